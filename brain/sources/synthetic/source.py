"""SyntheticSource: a seeded tomato greenhouse that a grower would recognise.

Why it is built this way:

- The physics (``greenhouse_model``) and the weather run on their own one-minute
  grid anchored at the simulation start, and an observation between two grid
  instants is interpolated. So the climate at 12:00 is the same whatever the
  poll interval, and the signals are continuous in time.
- Sensor noise is drawn per observation from its own random stream and then
  quantised to each sensor's resolution, as real sensors report: a live sensor
  flickers in its last digit, a stuck one does not.
- Climate scenarios change the conditions the model faces; fault scenarios
  change only the readings (``brain.sources.synthetic.scenarios``).
- One day of spin-up before the start means the first observation already sits
  in a settled greenhouse, not at arbitrary initial values.

Example::

    source = SyntheticSource(seed=42, start=datetime(2026, 6, 1, tzinfo=UTC), poll_interval_s=60,
                             duration_s=86_400, site_id="greenhouse-sim")
    while (observation := source.next_observation()) is not None:
        relays = source.device_status()
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from brain.contracts import (
    DEFAULT_DEVICES,
    DeviceStatusV1,
    ObservationSource,
    ObservationV1,
    Reading,
    RelayState,
    SensorKey,
    SensorReadings,
    check_site_id,
)
from brain.errors import ConfigError, SourceError
from brain.sources.synthetic.greenhouse_model import Controls, GreenhouseModel, Snapshot
from brain.sources.synthetic.scenarios import Scenario
from brain.sources.synthetic.weather import Weather

log = structlog.get_logger(__name__)

GRID_STEP_S = 60.0
"""The physics step: one minute, short against every time constant of the model (10 min and up)."""
SPIN_UP_S = 86_400.0
"""Simulated time run before the start so the greenhouse is settled at the first observation."""
DEFAULT_LATITUDE_DEG = 52.0
"""The Westland, the Netherlands: the densest tomato-glasshouse region in Europe."""
MODELLED_DEVICES = frozenset(DEFAULT_DEVICES)


@dataclass(frozen=True, slots=True)
class SensorNoise:
    """How one sensor misreads: Gaussian noise, then rounding to the digits it reports."""

    sigma: float
    decimals: int
    relative: bool = False
    high: float = math.inf


NOISE: dict[SensorKey, SensorNoise] = {
    # Sensirion SHT3x class: 0.01 degC resolution, about 0.05 degC repeatability.
    SensorKey.AIR_TEMPERATURE_C: SensorNoise(0.05, 2),
    SensorKey.RELATIVE_HUMIDITY_PCT: SensorNoise(0.3, 1, high=100.0),
    # NDIR CO2 (SCD30/SCD4x class): 1 ppm resolution, about 5 ppm noise.
    SensorKey.CO2_PPM: SensorNoise(5.0, 0),
    # Quantum sensor through an ADC: 1 % of the reading, so darkness reads exactly 0.
    SensorKey.PAR_UMOL_M2_S: SensorNoise(0.01, 1, relative=True),
    # Stone-wool slab sensor (Grodan GroSens class, 0.1 % resolution in the AGC 2019 logs).
    SensorKey.SUBSTRATE_MOISTURE_PCT: SensorNoise(0.1, 1, high=100.0),
}
"""Noise and resolution per sensor."""


class _ActiveFault:
    """A fault scenario bound to one source: remembers the first reading it saw (what stuck_at repeats)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.first: Reading = None

    def apply(self, reading: Reading, error: str | None, elapsed_s: float) -> tuple[Reading, str | None]:
        scenario = self.scenario
        hook = scenario.kind.fault
        if hook is None or not scenario.active(elapsed_s):
            return reading, error
        if self.first is None:
            self.first = reading
        value, new_error = hook(reading, elapsed_s - scenario.start_s, scenario.params, self.first)
        if new_error is not None:
            return value, new_error
        return value, (error if value is None else None)


class SyntheticSource:
    """A :class:`brain.sources.base.TimedSource` that simulates a tomato greenhouse (see the module doc)."""

    def __init__(
        self,
        *,
        seed: int,
        start: datetime,
        poll_interval_s: float,
        duration_s: float,
        site_id: str,
        scenarios: Sequence[Scenario] = (),
        devices: Sequence[str] = DEFAULT_DEVICES,
        latitude_deg: float = DEFAULT_LATITUDE_DEG,
        control: str = "builtin",
    ) -> None:
        _check_arguments(start, poll_interval_s, duration_s, site_id, latitude_deg)
        self._start = start
        self._poll_s = float(poll_interval_s)
        self._duration_s = float(duration_s)
        self._site_id = site_id
        self._devices = tuple(devices)
        self._controls: Controls | None = None if control == "builtin" else Controls()
        """``None``: the model's own climate computer; else the devices as :meth:`follow` last set them."""
        master = random.Random(seed)
        physics = random.Random(master.getrandbits(64))
        self._noise = random.Random(master.getrandbits(64))
        self._weather = Weather(physics, step_s=GRID_STEP_S)
        self._model = GreenhouseModel(latitude_deg=latitude_deg, rng=physics, step_s=GRID_STEP_S)
        self._climate = [s for s in scenarios if s.kind.climate is not None]
        self._faults = [_ActiveFault(s) for s in scenarios if s.kind.fault is not None]
        wall = start.replace(tzinfo=None)
        self._midnight_offset_s = (
            wall.hour * 3600.0 + wall.minute * 60.0 + wall.second + wall.microsecond / 1e6
        )
        self._day_of_year = wall.timetuple().tm_yday + self._midnight_offset_s / 86_400.0
        self._grid_elapsed_s = -SPIN_UP_S
        self._before = self._advance()
        self._after = self._advance()
        self._index = 0
        self._status: DeviceStatusV1 | None = None
        self._closed = False
        unmodelled = [name for name in self._devices if name not in MODELLED_DEVICES]
        log.info(
            "synthetic_source_ready",
            seed=seed,
            start=start.isoformat(),
            poll_interval_s=self._poll_s,
            duration_s=self._duration_s,
            scenarios=[s.text for s in scenarios],
            unmodelled_devices=unmodelled,
        )

    def next_timestamp(self) -> datetime | None:
        """When the next observation will be taken; ``None`` once ``duration_s`` is reached."""
        elapsed = self._index * self._poll_s
        if self._closed or elapsed >= self._duration_s:
            return None
        return self._start + timedelta(seconds=elapsed)

    def next_observation(self) -> ObservationV1 | None:
        """Simulate the next poll; ``None`` at the end of the run and forever after."""
        timestamp = self.next_timestamp()
        if timestamp is None:
            return None
        elapsed = self._index * self._poll_s
        self._index += 1
        truth, relays = self._truth_at(elapsed)
        values: dict[str, Reading] = {}
        errors: dict[SensorKey, str] = {}
        for key, true_value in truth.items():
            reading: Reading = self._measure(key, true_value)
            error: str | None = None
            for fault in self._faults:
                if fault.scenario.sensor is key:
                    reading, error = fault.apply(reading, error, elapsed)
            values[key.value] = reading
            if error is not None:
                errors[key] = error
        observation = ObservationV1(
            schema_version="1.0",
            timestamp=timestamp,
            site_id=self._site_id,
            source=ObservationSource.SYNTHETIC,
            sensors=SensorReadings(**values),
            errors=errors,
        )
        self._status = DeviceStatusV1(
            schema_version="1.0",
            timestamp=timestamp,
            site_id=self._site_id,
            devices={name: _relay(name, relays) for name in self._devices},
        )
        return observation

    def device_status(self) -> DeviceStatusV1:
        """The relays read in the same poll as the observation last returned."""
        if self._status is None:
            raise SourceError("device_status() was called before the first observation")
        return self._status

    def follow(self, positions: Mapping[str, float]) -> None:
        """Set the modelled devices (name to position, 0-100 %) from now on; only in ``control = "advice"``.

        The model has already stepped to the next grid minute, so a change takes effect one
        minute later: as a relay switched now changes the climate a little after.
        """
        if self._controls is None or not positions:
            return
        c = self._controls
        self._controls = Controls(
            heating=positions.get("heater", 100.0 * c.heating) / 100.0,
            vents=positions.get("vent_fan", 100.0 * c.vents) / 100.0,
            misting=positions.get("misting", 100.0 * c.misting) > 0.0,
            dosing=positions.get("co2_valve", 100.0 * c.dosing) > 0.0,
            lamps=positions.get("grow_lights", 100.0 * c.lamps) > 0.0,
            irrigation=positions.get("irrigation_pump", 100.0 * c.irrigation) > 0.0,
            circulation=positions.get("circulation_fan", 100.0 * c.circulation) > 0.0,
        )

    def close(self) -> None:
        """Stop the run: nothing is held open, so this only ends the stream; safe to call twice."""
        self._closed = True

    def _advance(self) -> tuple[float, Snapshot]:
        """Step weather and greenhouse one grid step; return the grid instant and its snapshot."""
        elapsed = self._grid_elapsed_s
        local_s = self._midnight_offset_s + elapsed
        day_of_year = self._day_of_year + elapsed / 86_400.0
        conditions = self._weather.conditions(day_of_year)
        for scenario in self._climate:
            hook = scenario.kind.climate
            if hook is not None and scenario.active(elapsed):
                conditions = hook(conditions, scenario.params)
        snapshot = self._model.step(conditions, (local_s / 3600.0) % 24.0, day_of_year, self._controls)
        self._weather.step()
        self._grid_elapsed_s += GRID_STEP_S
        return elapsed, snapshot

    def _truth_at(self, elapsed: float) -> tuple[dict[SensorKey, float], frozenset[str]]:
        """The true climate at ``elapsed``, interpolated between grid instants, and the relays then on."""
        while self._after[0] <= elapsed:
            self._before, self._after = self._after, self._advance()
        (t0, a), (_, b) = self._before, self._after
        w = (elapsed - t0) / GRID_STEP_S
        truth = {
            SensorKey.AIR_TEMPERATURE_C: a.air_temperature_c
            + w * (b.air_temperature_c - a.air_temperature_c),
            SensorKey.RELATIVE_HUMIDITY_PCT: a.relative_humidity_pct
            + w * (b.relative_humidity_pct - a.relative_humidity_pct),
            SensorKey.CO2_PPM: a.co2_ppm + w * (b.co2_ppm - a.co2_ppm),
            SensorKey.PAR_UMOL_M2_S: a.par_umol_m2_s + w * (b.par_umol_m2_s - a.par_umol_m2_s),
            SensorKey.SUBSTRATE_MOISTURE_PCT: a.substrate_moisture_pct
            + w * (b.substrate_moisture_pct - a.substrate_moisture_pct),
        }
        return truth, a.relays_on

    def _measure(self, key: SensorKey, true_value: float) -> float:
        noise = NOISE[key]
        deviation = self._noise.gauss(0.0, noise.sigma)
        value = true_value * (1.0 + deviation) if noise.relative else true_value + deviation
        return round(min(noise.high, max(0.0, value)), noise.decimals) + 0.0


def _relay(name: str, relays_on: frozenset[str]) -> RelayState:
    if name not in MODELLED_DEVICES:
        return RelayState.UNKNOWN
    return RelayState.ON if name in relays_on else RelayState.OFF


def _check_arguments(
    start: datetime, poll_interval_s: float, duration_s: float, site_id: str, latitude_deg: float
) -> None:
    """Refuse settings the simulation cannot honour, naming the setting."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ConfigError(
            f"the simulation start must carry a UTC offset, got {start.isoformat()}", key="simulation.start"
        )
    if not (math.isfinite(poll_interval_s) and poll_interval_s > 0):
        raise ConfigError(
            f"poll interval must be a positive number of seconds, got {poll_interval_s}",
            key="poll_interval_s",
        )
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ConfigError(
            f"duration must be zero or more seconds, got {duration_s}", key="simulation.duration_hours"
        )
    if not -66.0 <= latitude_deg <= 66.0:
        raise ConfigError(
            f"latitude must be within the polar circles, got {latitude_deg}", key="latitude_deg"
        )
    check_site_id(site_id)
