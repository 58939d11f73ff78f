"""The span of time brain schedules, stores and names folders for: 2000-01-01 to 2100-01-01 UTC.

A contract may carry any aware datetime Python can hold (year 1 to 9999), but a
record outside this span is bad input to everything that acts on its time:

- the lower bound is where the scheduler's interval grid starts
  (``brain.scheduler.triggers.GRID_ORIGIN``), and a reading stamped before 2000
  comes from a clock that was never set (a Pi without a real-time clock boots at
  1970), not from a greenhouse;
- the upper bound (exclusive) is far past the life of any deployment and of any
  log worth replaying, yet about 7,900 years short of ``datetime.max``: arithmetic
  on a time inside the span (a day's end for a ``run_YYYYMMDD`` name, a 48-hour
  window, the next base cycle, a time zone's offset) can never overflow, and every
  site-local date in it has four digits.

Replay rejects (reports and counts) a record outside the span, the scheduler and
the simulated clock refuse such a time with :class:`UnschedulableTimeError`, and
the simulation's start is checked against it. Storage refuses to write outside it,
with the same span.

Example: ``timestamp in SCHEDULABLE`` is ``False`` for ``9999-12-31T23:59:00-05:00``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic_core import TzInfo

from brain.errors import BrainError

FIXED_OFFSET_ZONES = (timezone, TzInfo)
"""Zone types whose offset never changes: ``timezone`` and what pydantic parses ``Z`` or ``+02:00`` into.

Datetimes that share such a tzinfo object compare and subtract by their fields alone; the
estimator's timeline and storage's site calendar use that to skip offset look-ups."""

_ALWAYS_AWARE = (*FIXED_OFFSET_ZONES, ZoneInfo)
"""tzinfo types whose ``utcoffset()`` is never ``None``: a datetime carrying one is aware.

Why not simply ask: every parsed record's time carries pydantic's ``TzInfo``, whose
``utcoffset()`` is a call into Rust (about 2,000 instructions); the span is asked about
the same time some four times per replayed observation (callgrind, a 2-day replay:
16.7k instructions per observation in ``__contains__`` with the call, 9.7k without).
"""


@dataclass(frozen=True)
class TimeRange:
    """A half-open span of aware time, ``start <= t < end``, compared as instants (UTC)."""

    start: datetime
    end: datetime
    _inner_years: range = field(init=False, repr=False, compare=False)
    """The local years whose every moment is inside the span, whatever the UTC offset."""

    def __post_init__(self) -> None:
        # A UTC offset is less than a day, so a moment dated in year y (local) is after
        # 31 December of y - 1 and before 2 January of y + 1, as instants: two years clear
        # of the start's year and the end's year, it is inside. For SCHEDULABLE: 2002 to 2098.
        object.__setattr__(self, "_inner_years", range(self.start.year + 2, self.end.year - 1))

    def __contains__(self, moment: object) -> bool:
        """Whether ``moment`` is an aware datetime inside the span; never raises for any datetime."""
        if not isinstance(moment, datetime):
            return False
        if type(moment.tzinfo) not in _ALWAYS_AWARE and moment.utcoffset() is None:
            return False  # naive (or a tzinfo without an offset for this moment)
        # Why the year first: a record's time (pydantic's tzinfo) compared with the bounds
        # (datetime.UTC) costs two offset look-ups per comparison, 0.65 us for the pair; a
        # replay asks about 4 times per observation (reader, trigger, clock, writer), and
        # nearly every time the year alone answers (0.25 us for the whole call, measured).
        if moment.year in self._inner_years:
            return True
        # Comparing aware datetimes works on their offsets, without converting: no overflow
        # for 0001-01-01T00:00:00+05:00 or 9999-12-31T23:59:00-05:00.
        return self.start <= moment < self.end

    def holds_day(self, day: date) -> bool:
        """Whether a site-local date can hold records of the span (one day of slack either side).

        A UTC offset is less than a day, so the first instant of 2000 is 1999-12-31 west
        of Greenwich and the last one of 2099 is 2100-01-01 east of it.
        """
        return self.start.date() - timedelta(days=1) <= day <= self.end.date()

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()} (exclusive)"


SCHEDULABLE = TimeRange(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
"""The times brain acts on (module docstring): from 2000-01-01T00:00Z up to 2100-01-01T00:00Z."""


class UnschedulableTimeError(BrainError, ValueError):
    """A time outside :data:`SCHEDULABLE` reached the scheduler or a clock.

    A ``ValueError`` (a bad argument) and a ``BrainError`` (the daemon reports it in
    one line, without a traceback).
    """

    def __init__(self, what: str, moment: datetime) -> None:
        self.moment = moment
        super().__init__(f"{what} {moment.isoformat()} is outside the schedulable range {SCHEDULABLE}")
