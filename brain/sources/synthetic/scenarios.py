"""Scenarios for the synthetic greenhouse: climate episodes and sensor faults, chosen by name.

Why hooks on two levels: a climate scenario changes what the greenhouse faces
(the weather, what its equipment can do), so the physics and the relays stay
consistent (a heatwave opens the vents and runs the fog; a frost night keeps the
heater on); a sensor fault changes only what one sensor reports, after the
physics, exactly as a broken sensor would.

A new scenario is one small function and one entry in :data:`SCENARIOS`.

Text syntax (``brain-daemon --scenario SPEC``, ``[simulation] scenarios = [...]``)::

    NAME[:SENSOR][@OFFSET][,KEY=VALUE...]

    heatwave                           a hot spell from the start of the run
    heatwave@24h,max=36                from the second simulated day, outside up to 36 degC
    spike:co2_ppm@3h                   CO2 jumps by 400 ppm three hours in, for 10 minutes
    drift:air_temperature_c@6h,rate=0.4
    disconnect:relative_humidity_pct@1h30m,duration=20m

``OFFSET`` and ``duration`` are counted from the start of the simulation, in
``h``, ``m`` and ``s`` (``90m``, ``1h30m``, ``1.5h``). Fault scenarios need a
sensor; climate scenarios take none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from brain.contracts import Reading, SensorKey
from brain.errors import ConfigError
from brain.sources.synthetic.greenhouse_model import Conditions

CONFIG_KEY = "simulation.scenarios"
DISCONNECT_ERROR = "read error: sensor not responding (simulated disconnect)"

CLIMATE_LIMITS = (-60.0, 60.0)
"""Climate parameters are degC, K or kPa: beyond this range the weather is not the Earth's."""

Params = Mapping[str, float]
ClimateHook = Callable[[Conditions, Params], Conditions]
"""Return the conditions with the scenario's change applied."""
FaultHook = Callable[[Reading, float, Params, Reading], tuple[Reading, str | None]]
"""``(reading, seconds since the fault began, params, first non-null reading since) -> (reading, error)``."""


@dataclass(frozen=True)
class ScenarioKind:
    """One registered scenario: what it does and which parameters it takes."""

    summary: str
    params: Mapping[str, str]
    """Parameter name to its description (with its default) for ``--scenario help``."""
    defaults: Callable[[SensorKey | None], dict[str, float]]
    climate: ClimateHook | None = None
    fault: FaultHook | None = None
    default_duration_s: float = math.inf
    limits: tuple[float, float] = (-1e6, 1e6)
    """Range every parameter value must lie in: far beyond any sensor's range for faults, so a
    reading stays finite; -60..60 for climate (degC, K or kPa)."""


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario spec: which scenario, on which sensor, from when, for how long, with what."""

    name: str
    text: str
    sensor: SensorKey | None
    start_s: float
    duration_s: float
    params: Mapping[str, float] = field(default_factory=dict)

    @property
    def kind(self) -> ScenarioKind:
        """The registered behaviour of this scenario."""
        return SCENARIOS[self.name]

    def active(self, elapsed_s: float) -> bool:
        """Whether the scenario acts ``elapsed_s`` seconds after the simulation start."""
        return self.start_s <= elapsed_s < self.start_s + self.duration_s


# --- climate scenarios -------------------------------------------------------------------------


def _normal(conditions: Conditions, params: Params) -> Conditions:
    return conditions


def _heatwave(conditions: Conditions, params: Params) -> Conditions:
    return replace(
        conditions,
        outside_min_c=params["min"],
        outside_max_c=params["max"],
        outside_dew_point_c=params["dew_point"],
        cloud_factor=0.97,
    )


def _cold_night(conditions: Conditions, params: Params) -> Conditions:
    return replace(
        conditions,
        outside_min_c=params["min"],
        outside_max_c=params["max"],
        outside_dew_point_c=params["min"] - 2.0,
        cloud_factor=0.97,
        heating_capacity_k=params["heating_capacity"],
    )


def _humid_night(conditions: Conditions, params: Params) -> Conditions:
    return replace(
        conditions,
        outside_min_c=params["min"],
        outside_max_c=params["max"],
        outside_dew_point_c=params["min"],
        cloud_factor=0.45,
        dehumidify=False,
        night_vapour_excess_kpa=params["vapour_excess"],
    )


def _co2_depletion(conditions: Conditions, params: Params) -> Conditions:
    return replace(
        conditions,
        outside_min_c=params["min"],
        outside_max_c=params["max"],
        outside_dew_point_c=params["min"] - 1.0,
        cloud_factor=0.97,
        vent_limit=0.0,
        co2_supply=False,
    )


# --- sensor faults -----------------------------------------------------------------------------

SPIKE_SIZE: dict[SensorKey, float] = {
    SensorKey.AIR_TEMPERATURE_C: 8.0,
    SensorKey.RELATIVE_HUMIDITY_PCT: 20.0,
    SensorKey.CO2_PPM: 400.0,
    SensorKey.PAR_UMOL_M2_S: 600.0,
    SensorKey.SUBSTRATE_MOISTURE_PCT: 15.0,
}
"""Default jump per sensor: far beyond what the physics does in one minute."""
DRIFT_PER_H: dict[SensorKey, float] = {
    SensorKey.AIR_TEMPERATURE_C: 0.4,
    SensorKey.RELATIVE_HUMIDITY_PCT: 1.5,
    SensorKey.CO2_PPM: 25.0,
    SensorKey.PAR_UMOL_M2_S: 30.0,
    SensorKey.SUBSTRATE_MOISTURE_PCT: 0.5,
}
"""Default drift per hour: slow enough to hide in the daily swing for a while."""


def _stuck_at(reading: Reading, since_s: float, params: Params, first: Reading) -> tuple[Reading, str | None]:
    held = params.get("value", first)
    return (reading if held is None else held), None


def _spike(reading: Reading, since_s: float, params: Params, first: Reading) -> tuple[Reading, str | None]:
    return (None if reading is None else reading + params["size"]), None


def _drift(reading: Reading, since_s: float, params: Params, first: Reading) -> tuple[Reading, str | None]:
    return (None if reading is None else reading + params["rate"] * since_s / 3600.0), None


def _disconnect(
    reading: Reading, since_s: float, params: Params, first: Reading
) -> tuple[Reading, str | None]:
    return None, DISCONNECT_ERROR


def _climate_defaults(**values: float) -> Callable[[SensorKey | None], dict[str, float]]:
    return lambda _sensor: dict(values)


def _no_params(_sensor: SensorKey | None) -> dict[str, float]:
    return {}


SCENARIOS: dict[str, ScenarioKind] = {
    "normal": ScenarioKind(
        "An early-summer day as it should be: nothing to report.", {}, _no_params, climate=_normal
    ),
    "heatwave": ScenarioKind(
        "Clear, hot spell: outside 20-33 degC; with vents wide open the air passes 30 degC "
        "from mid-morning to evening and 35 degC around early afternoon.",
        {
            "min": "outside minimum, degC (20)",
            "max": "outside maximum, degC (33)",
            "dew_point": "outside dew point, degC (17)",
        },
        _climate_defaults(min=20.0, max=33.0, dew_point=17.0),
        climate=_heatwave,
        limits=CLIMATE_LIMITS,
    ),
    "cold_night": ScenarioKind(
        "Clear frost night: outside down to -10 degC before dawn, more than the heating can make up; "
        "the air falls below 10 degC for hours with the heater on full.",
        {
            "min": "outside minimum, degC (-10)",
            "max": "outside maximum, degC (6)",
            "heating_capacity": "kelvin the heating can add (16)",
        },
        _climate_defaults(min=-10.0, max=6.0, heating_capacity=16.0),
        climate=_cold_night,
        limits=CLIMATE_LIMITS,
    ),
    "humid_night": ScenarioKind(
        "Mild, drizzly weather, the outside air saturated and no dehumidification: RH above 90 % "
        "and VPD below 0.3 kPa for hours at night (botrytis weather).",
        {
            "min": "outside minimum and dew point, degC (13)",
            "max": "outside maximum, degC (18)",
            "vapour_excess": "kPa the shut house holds above outside at night (0.5)",
        },
        _climate_defaults(min=13.0, max=18.0, vapour_excess=0.5),
        climate=_humid_night,
        limits=CLIMATE_LIMITS,
    ),
    "co2_depletion": ScenarioKind(
        "Bright, cold day with the vents held shut and the CO2 tank empty: the crop draws CO2 "
        "well below 300 ppm in daylight.",
        {"min": "outside minimum, degC (2)", "max": "outside maximum, degC (9)"},
        _climate_defaults(min=2.0, max=9.0),
        climate=_co2_depletion,
        limits=CLIMATE_LIMITS,
    ),
    "stuck_at": ScenarioKind(
        "The sensor repeats one value: its first reading once the fault began, or VALUE.",
        {"value": "the value to repeat (default: the first reading once the fault began)"},
        _no_params,
        fault=_stuck_at,
    ),
    "spike": ScenarioKind(
        "The reading jumps by SIZE and comes back after DURATION (a loose contact, a glitch).",
        {
            "size": "jump in the sensor's unit ("
            + ", ".join(f"{k} {v:g}" for k, v in SPIKE_SIZE.items())
            + ")"
        },
        lambda sensor: {"size": SPIKE_SIZE[sensor]} if sensor else {},
        fault=_spike,
        default_duration_s=600.0,
    ),
    "drift": ScenarioKind(
        "The reading wanders off at RATE per hour (an ageing or fouled sensor). Needs several "
        "simulated days (e.g. --duration-hours 72): its reference is the previous days' readings, "
        "so a one-day run shows nothing.",
        {"rate": "unit per hour (" + ", ".join(f"{k} {v:g}" for k, v in DRIFT_PER_H.items()) + ")"},
        lambda sensor: {"rate": DRIFT_PER_H[sensor]} if sensor else {},
        fault=_drift,
    ),
    "disconnect": ScenarioKind(
        "The sensor stops answering: null readings with a read error in `errors`.",
        {},
        _no_params,
        fault=_disconnect,
    ),
}
"""Every scenario by name; ``--scenario help`` lists them in this order."""

_SPEC = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<sensor>[^@,]*))?(?:@(?P<offset>[^,]*))?$")
_DURATION = re.compile(r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$")


def _error(message: str) -> ConfigError:
    return ConfigError(f"{message} (`brain-daemon --scenario help` lists the scenarios)", key=CONFIG_KEY)


def parse_duration_s(text: str, *, spec: str) -> float:
    """Seconds in ``3h``, ``90m``, ``45s``, ``1h30m``, ``1.5h`` or ``0``; ``ConfigError`` otherwise."""
    match = _DURATION.match(text.strip())
    if text.strip() == "0":
        return 0.0
    if not text.strip() or match is None:
        raise _error(f"bad time {text!r} in scenario {spec!r}: write e.g. 3h, 90m, 45s or 1h30m")
    hours, minutes, seconds = (float(match[unit] or 0.0) for unit in ("h", "m", "s"))
    return hours * 3600.0 + minutes * 60.0 + seconds


def _parse_sensor(name: str, text: str | None, kind: ScenarioKind, spec: str) -> SensorKey | None:
    if kind.fault is None:
        if text is not None:
            raise _error(f"{name} is a climate scenario and takes no sensor, got {spec!r}")
        return None
    known = ", ".join(SensorKey)
    if not text:
        raise _error(f"{name} needs a sensor, e.g. {name}:co2_ppm@3h; sensors: {known}")
    try:
        return SensorKey(text.strip())
    except ValueError:
        raise _error(f"unknown sensor {text.strip()!r} in {spec!r}; sensors: {known}") from None


def _parse_params(
    parts: list[str], name: str, kind: ScenarioKind, spec: str
) -> tuple[dict[str, float], float]:
    params: dict[str, float] = {}
    duration = kind.default_duration_s
    allowed = [*kind.params, "duration"]
    for part in parts:
        key, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep or not key or not value:
            raise _error(f"bad parameter {part.strip()!r} in {spec!r}: write KEY=VALUE")
        if key == "duration":
            duration = parse_duration_s(value, spec=spec)
            continue
        if key not in kind.params:
            raise _error(f"{name} has no parameter {key!r}; it takes: {', '.join(allowed)}")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _error(f"parameter {key} in {spec!r} must be a finite number, got {value!r}")
        low, high = kind.limits
        if not low <= number <= high:
            raise _error(f"parameter {key} in {spec!r} must lie within {low:g}..{high:g}, got {number:g}")
        params[key] = number
    return params, duration


def parse_scenario(text: str) -> Scenario:
    """Parse ``NAME[:SENSOR][@OFFSET][,KEY=VALUE...]``; raise ``ConfigError`` with a helpful message."""
    spec = text.strip()
    head, *parts = spec.split(",")
    match = _SPEC.match(head.strip())
    if match is None:
        raise _error(
            f"cannot read scenario {spec!r}: write NAME, or FAULT:SENSOR@OFFSET such as spike:co2_ppm@3h"
        )
    name = match["name"]
    if name not in SCENARIOS:
        raise _error(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    kind = SCENARIOS[name]
    sensor = _parse_sensor(name, match["sensor"], kind, spec)
    start_s = 0.0 if match["offset"] is None else parse_duration_s(match["offset"], spec=spec)
    given, duration_s = _parse_params(parts, name, kind, spec)
    params = {**kind.defaults(sensor), **given}
    return Scenario(
        name=name, text=spec, sensor=sensor, start_s=start_s, duration_s=duration_s, params=params
    )


def scenario_help() -> str:
    """The text ``brain-daemon --scenario help`` prints: syntax, every scenario, its parameters."""
    lines = [
        "Scenarios: --scenario NAME[:SENSOR][@OFFSET][,KEY=VALUE...] (repeatable)",
        "  OFFSET and duration count from the simulation start: 3h, 90m, 45s, 1h30m.",
        "  Every scenario takes duration=TIME (default: to the end of the run; spike: 10m).",
        f"  SENSOR (fault scenarios only): {', '.join(SensorKey)}",
        "",
    ]
    for name, kind in SCENARIOS.items():
        usage = f"{name}:SENSOR@OFFSET" if kind.fault else name
        lines.append(f"{usage}")
        lines.append(f"    {kind.summary}")
        lines.extend(f"    {key}=  {meaning}" for key, meaning in kind.params.items())
    lines += [
        "",
        "Examples: --scenario heatwave",
        "          --scenario spike:co2_ppm@3h",
        "          --scenario drift:air_temperature_c@30h,rate=0.4 --duration-hours 72",
        "          --scenario disconnect:par_umol_m2_s@2h,duration=30m",
    ]
    return "\n".join(lines)
