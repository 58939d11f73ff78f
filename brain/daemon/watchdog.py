"""The systemd watchdog job and the wall-clock sanity check: liveness that no wall date can starve.

Why the watchdog job is not on the interval grid: a grid (``every``) is anchored
on a wall date, and a Pi without a real-time clock boots at whatever date its
clock says (1970, or the date its image was built) until NTP answers. A ping
must come every ``WatchdogSec/2`` whatever that date, so the watchdog's trigger
counts from *now*: each fire time is one interval after the previous run, on the
same clock the loop waits on. When the wall clock steps, the scheduler re-anchors
the job at the new now (a step back) or runs it once at once (a step forward),
so the gap between two pings is one interval plus at most one of the loop's
5-second waits (``brain.clock.clocks.REAL_MAX_WAIT_S``), whatever the step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

log = structlog.get_logger(__name__)

PLAUSIBLE_YEARS = range(2000, 2101)
"""Wall-clock years brain takes at face value (2000-2100, the range record timestamps may have).

A reading outside it is a clock that was never set (a Pi without a real-time clock
before NTP reads 1970) rather than a greenhouse in another century.
"""


class AfterEachRun:
    """A trigger that fires ``interval`` after ``now``: never anchored on a wall date.

    It has APScheduler 3's trigger interface (``get_next_fire_time``), which is all
    the scheduler asks of a trigger. Example: ``AfterEachRun(timedelta(seconds=90))``
    fires 90 s after each run, whether the clock says 1970 or 2026.
    """

    def __init__(self, interval: timedelta) -> None:
        if interval <= timedelta(0):
            raise ValueError(f"interval must be positive, got {interval!r}")
        self.interval = interval

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """``now + interval``, whatever came before (the job's lateness is never made up)."""
        return now.astimezone(UTC) + self.interval

    def __repr__(self) -> str:
        return f"AfterEachRun({self.interval!r})"


class WallClockCheck:
    """Logs ``wall_clock_implausible`` once when the Pi's clock reads a year outside ``PLAUSIBLE_YEARS``.

    The daemon keeps polling and pinging its watchdog meanwhile (records then carry
    that time, and storage decides whether to keep them); once the clock is set,
    ``wall_clock_plausible`` says so, and a later relapse is logged again.
    """

    def __init__(self) -> None:
        self.implausible = False

    def check(self, now: datetime) -> None:
        """Log a change between a plausible and an implausible wall clock."""
        implausible = now.year not in PLAUSIBLE_YEARS
        if implausible and not self.implausible:
            log.warning(
                "wall_clock_implausible",
                now=now.isoformat(),
                plausible_years=f"{PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1}",
                hint="the clock is not set yet (no real-time clock, no NTP answer); polls go on",
            )
        elif self.implausible and not implausible:
            log.info("wall_clock_plausible", now=now.isoformat())
        self.implausible = implausible
