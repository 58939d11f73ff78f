"""Device faults: a device runs and the climate does not respond, so the grower should look at it.

Each check is a row of :data:`FAULT_CHECKS`: while a device of ``kind`` is at or above
``on_pct`` without a break, the ``reading`` is watched; once the run has lasted the
check's window and the reading did what the device should have prevented, one
``inspect`` action is written for that run. A reading the estimator does not trust
(``None``) ends the run: no fault is ever judged on a faulty sensor.

- exhaust fans, vents or pads at 90 % or more, the air above the cooling line
  (``cooling_on_c``) all along and still warming by 1 K or more (full ventilation
  should hold a hot house; a slipping belt, a shut louvre or dry pads show exactly
  this; a warm morning with the fans at full is no fault);
- lamps at 50 % or more and PAR at or below 10 umol m-2 s-1 the whole time (the Cornell
  lamp failure of 2021-01-04/05: lamps logged at 100 % while PAR was dark);
- heating on and the air cooling by 0.5 K or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from brain.names import DeviceKind


class Expect(Enum):
    """What the reading must not do while the device runs."""

    NOT_RISE = "not_rise"
    NOT_FALL = "not_fall"
    NOT_STAY_BELOW = "not_stay_below"


@dataclass(frozen=True, slots=True)
class FaultCheck:
    """One row: which device, which reading, what it must not do, by how much, for how long."""

    kind: DeviceKind
    on_pct: float
    reading: str
    """A :class:`~brain.advisor.situation.Situation` field."""
    expect: Expect
    limit: float
    """K of rise or fall, or the level PAR must not stay below."""
    window_s: float | None
    """``None``: the advisor's ``fault_after_s``."""
    above: str | None
    """A :class:`~brain.advisor.settings.Setpoints` field the reading must stay at or above for the run
    to count (fans at full in a warm morning are no fault; fans at full and the air still warming past
    the cooling line are)."""
    symptom: str
    """The reason's clause, formatted with (device, position, minutes, start value, value now)."""


_WARMING = "{} at {:.0f} % for {:.0f} min and the air still warming, {:.1f} -> {:.1f} °C"

FAULT_CHECKS: tuple[FaultCheck, ...] = (
    FaultCheck(DeviceKind.VENTILATION, 90.0, "air_c", Expect.NOT_RISE, 1.0, None, "cooling_on_c", _WARMING),
    FaultCheck(DeviceKind.COOLING, 90.0, "air_c", Expect.NOT_RISE, 1.0, None, "cooling_on_c", _WARMING),
    FaultCheck(
        DeviceKind.LAMPS, 50.0, "par", Expect.NOT_STAY_BELOW, 10.0, 900.0, None,
        "{} at {:.0f} % for {:.0f} min and PAR dark, {:.0f} -> {:.0f} umol m-2 s-1",
    ),
    FaultCheck(
        DeviceKind.HEATING, 50.0, "air_c", Expect.NOT_FALL, 0.5, None, None,
        "{} on ({:.0f} %) for {:.0f} min and the air cooling, {:.1f} -> {:.1f} °C",
    ),
)  # fmt: skip
"""Every device fault brain recognises (module docstring)."""


@dataclass(slots=True)
class Run:
    """One device's current run at or above its check's ``on_pct``."""

    since_s: float
    start: float
    highest: float
    flagged: bool = False


def counts(check: FaultCheck, value: float | None, level: float | None) -> bool:
    """Whether this reading continues a run: trusted, at or above ``level``, and dark for PAR checks.

    Why a dark check restarts at light: the lamps may have run since the afternoon, while
    daylight lit the sensor; the fault is the stretch of darkness under running lamps.
    """
    if value is None or (level is not None and value < level):
        return False
    return check.expect is not Expect.NOT_STAY_BELOW or value <= check.limit


def faulty(check: FaultCheck, run: Run, value: float) -> bool:
    """Whether the reading did what the running device should have prevented."""
    if check.expect is Expect.NOT_RISE:
        return value - run.start >= check.limit
    if check.expect is Expect.NOT_FALL:
        return run.start - value >= check.limit
    return run.highest <= check.limit
