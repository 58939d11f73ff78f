"""The table of device kinds: each kind's rule, what it needs, its anti-chatter times, its words.

Adding a device kind is one entry here (and its member in :class:`brain.names.DeviceKind`)
plus its rule in :mod:`brain.advisor.rules`. The table's order is the order of evaluation:
a rule may read the advice of a kind above it (CO2 dosing reads ventilation's, the shade
screen the lamps', circulation heating's).

Minimum on and off times (the ESPHome thermostat's ``min_*_run_time`` and ``min_idle_time``,
Home Assistant's ``min_cycle_duration``): "minimum on/off times of several minutes are common
practice for fans, pumps and valves" (tomato_climate.md, "How climate computers steer").
Screens and lamps get 15 min: a screen takes minutes to travel, and an HPS lamp that is switched
off needs 10-15 min to cool before it strikes again (docs/advisor.md, "Device kinds").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brain.advice import ANSWERS
from brain.advisor import rules
from brain.advisor.rules import Decision
from brain.advisor.settings import Setpoints
from brain.advisor.situation import Desire, Situation
from brain.names import AnomalyKind, DeviceKind

Rule = Callable[[Situation, Setpoints, Desire | None], Decision | None]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One row of the table."""

    rule: Rule
    needs: tuple[str, ...]
    """:class:`Situation` fields that must be known (trusted) for any advice: the rule returns
    ``None`` when one is not, and the advisor names the missing ones from this list."""
    min_on_s: float
    """Once advised on, the advice stays on at least this long."""
    min_off_s: float
    """Once advised off, it stays off at least this long."""
    turn_on: str
    """The verb for "on" in a reason: "open", "start", "close" (a screen closes to work)."""
    turn_off: str
    answers: frozenset[AnomalyKind] = frozenset()
    """Anomaly kinds an action of this kind answers, when one starts at the same step."""


KINDS: dict[DeviceKind, KindSpec] = {
    DeviceKind.VENTILATION: KindSpec(
        rules.ventilation,
        ("air_c",),
        900.0,
        900.0,
        "open",
        "close",
        ANSWERS[DeviceKind.VENTILATION],
    ),
    DeviceKind.HEATING: KindSpec(
        rules.heating,
        ("air_c",),
        600.0,
        600.0,
        "turn on",
        "turn off",
        ANSWERS[DeviceKind.HEATING],
    ),
    DeviceKind.COOLING: KindSpec(
        rules.cooling,
        ("air_c", "vpd_kpa"),
        600.0,
        600.0,
        "start",
        "stop",
        ANSWERS[DeviceKind.COOLING],
    ),
    DeviceKind.LAMPS: KindSpec(
        rules.lamps,
        ("natural_par",),
        900.0,
        900.0,
        "turn on",
        "turn off",
        ANSWERS[DeviceKind.LAMPS],
    ),
    DeviceKind.ENERGY_SCREEN: KindSpec(
        rules.energy_screen,
        ("outside_c", "is_day"),
        900.0,
        900.0,
        "close",
        "open",
        ANSWERS[DeviceKind.ENERGY_SCREEN],
    ),
    DeviceKind.SHADE_SCREEN: KindSpec(
        rules.shade_screen, ("is_day",), 900.0, 900.0, "close", "open", ANSWERS[DeviceKind.SHADE_SCREEN]
    ),
    DeviceKind.CO2_DOSING: KindSpec(
        rules.co2_dosing,
        ("co2_ppm", "is_day"),
        300.0,
        300.0,
        "start",
        "stop",
        ANSWERS[DeviceKind.CO2_DOSING],
    ),
    DeviceKind.IRRIGATION: KindSpec(
        rules.irrigation,
        ("substrate_pct",),
        120.0,
        600.0,
        "start",
        "stop",
        ANSWERS[DeviceKind.IRRIGATION],
    ),
    DeviceKind.CIRCULATION: KindSpec(
        rules.circulation,
        ("vpd_kpa",),
        300.0,
        300.0,
        "turn on",
        "turn off",
        ANSWERS[DeviceKind.CIRCULATION],
    ),
}
"""Every kind brain can advise on, in the order they are decided (module docstring)."""

NEEDS_WORDS: dict[str, str] = {
    "air_c": "air temperature",
    "vpd_kpa": "VPD (air temperature and humidity)",
    "natural_par": "PAR",
    "outside_c": "outside temperature",
    "is_day": "day or night (no PAR and no latitude/longitude)",
    "co2_ppm": "CO2",
    "substrate_pct": "substrate moisture",
}
"""How a reason names a missing input: "no advice: air temperature not trusted"."""
