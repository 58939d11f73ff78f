"""Triggers: APScheduler's decide every fire time; these add what the daemon needs on top.

- :class:`Trigger` is the one method the scheduler calls, so any APScheduler 3
  trigger (``IntervalTrigger``, ``CronTrigger``, ``OrTrigger``, ...) fits.
- :func:`every` builds an ``IntervalTrigger`` on a fixed grid, never on "now".
- :class:`TimestampTrigger` fires at the times a stream carries (synthetic or
  replayed observations), so simulated and replayed runs use the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Protocol

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from brain.contracts import SCHEDULABLE, UnschedulableTimeError

GRID_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
"""Where :func:`every` starts counting intervals: fire times are ``GRID_ORIGIN + k * interval``."""


class Trigger(Protocol):
    """APScheduler 3's trigger interface (``BaseTrigger.get_next_fire_time``)."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The fire time after ``previous_fire_time`` (from ``now`` when ``None``); ``None`` = done."""
        ...


def every(interval: timedelta, *, end: datetime | None = None) -> IntervalTrigger:
    """An ``IntervalTrigger`` firing at ``GRID_ORIGIN + k * interval`` (UTC), up to ``end`` inclusive.

    Why a fixed grid rather than APScheduler's default start: without ``start_date``
    an ``IntervalTrigger`` starts at ``datetime.now()`` of the wall clock when it is
    built, which a simulated run must never read, and which would make fire times
    depend on the second the daemon started. On the grid, a minute poll fires at the
    top of each minute and the 2-hour cycle at even UTC hours, whichever the clock;
    and after the wall clock steps back the scheduler can re-anchor the trigger at
    the new now (a grid point in the past is still a grid point).

    The grid runs both ways from ``GRID_ORIGIN``: a wall clock that reads 1970 (a Pi
    without a real-time clock, before NTP) gets its next grid point, one interval
    away at most, not the origin thirty years ahead.

    Example: ``every(timedelta(hours=2))`` is the logical 2-hour cycle.
    """
    if interval <= timedelta(0):
        raise ValueError(f"interval must be positive, got {interval!r}")
    return GridTrigger(seconds=interval.total_seconds(), start_date=GRID_ORIGIN, end_date=end, timezone=UTC)


class GridTrigger(IntervalTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type information
    """An ``IntervalTrigger`` whose grid also extends before its ``start_date``.

    Why: APScheduler answers "the start date" for any ``now`` before it, so a poll on a
    grid starting in 2000 would first fire in 2000 when the wall clock says 1970: the
    daemon would send READY, then never poll nor ping its watchdog. Before the start
    date this trigger gives the first grid point at or after ``now``; from the start
    date on it is APScheduler's, unchanged.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """APScheduler's answer, except before ``start_date``: the grid point at or after ``now``."""
        if previous_fire_time is not None or now >= self.start_date:
            fire_time: datetime | None = super().get_next_fire_time(previous_fire_time, now)
            return fire_time
        start = self.start_date.timestamp()
        steps_back = ceil((now.timestamp() - start) / self.interval_length)  # zero or negative
        fire = start + self.interval_length * steps_back
        if self.end_date is not None and fire > self.end_date.timestamp():
            return None
        return datetime.fromtimestamp(fire, tz=self.timezone)


class TimestampTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type information
    """Fires at the timestamps a stream carries; ``None`` from the stream means the job is done.

    ``next_timestamp`` must *peek*: return the time of the next item without
    consuming it (as ``TimedSource.next_timestamp`` does), so that asking twice
    before the job runs gives the same answer; the job consumes the item, and the
    scheduler then asks for the following time. A stream's times may repeat or go
    back (field logs do); the scheduler runs each item once, in stream order.

    A timestamp outside :data:`brain.contracts.SCHEDULABLE` raises
    :class:`~brain.contracts.UnschedulableTimeError`: a stream must leave such items
    out (the replay source rejects and reports them), and one that does not is
    stopped with a message naming the time, never fed to date arithmetic that
    overflows near year 9999.
    """

    __slots__ = ("_next_timestamp",)

    def __init__(self, next_timestamp: Callable[[], datetime | None]) -> None:
        self._next_timestamp = next_timestamp

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The stream's next timestamp, whatever the previous fire time and now."""
        timestamp = self._next_timestamp()
        if timestamp is None or timestamp in SCHEDULABLE:  # aware and in range: one check, once a poll
            return timestamp
        if timestamp.utcoffset() is None:
            raise ValueError(
                f"TimestampTrigger got a naive timestamp {timestamp!r}; streams carry aware times"
            )
        raise UnschedulableTimeError("the stream's next timestamp", timestamp)

    def __repr__(self) -> str:
        return f"<TimestampTrigger ({self._next_timestamp!r})>"
