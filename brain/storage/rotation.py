"""Which site-local day a record belongs to, decided by its own timestamp.

Why the record's timestamp and not the wall clock: a replay of last year must
put each record in the same ``run_YYYYMMDD`` as the live run did, and a record
written a second after midnight about the second before midnight belongs to
the old day.

Why a cache: converting every timestamp to the site zone costs more than the
rest of the day decision; the bounds of the current day are kept, and a
timestamp inside them needs two comparisons. Days with a DST change are not
cached (their local clock jumps, so "inside the bounds" would not be enough);
they cost one conversion per record, two days a year.

Why the bounds are kept in the zone of the records when its offset is fixed:
datetimes that share a tzinfo object compare by their fields alone, while
pydantic's ``TzInfo`` (every parsed record's) answers an offset through a call
into Rust. A replay writes 1.4 records per observation; callgrind, a 2-day
replay: 9.3k instructions per observation in ``day_of`` with UTC float bounds
(``timestamp()`` per record), 1.5k with bounds in the record's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from brain.contracts import FIXED_OFFSET_ZONES


class SiteCalendar:
    """Maps aware timestamps to the site-local date."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        nothing_yet = datetime(2000, 1, 1, tzinfo=UTC)
        self._start = nothing_yet  # [start, end) of the cached day: empty until the first record
        self._end = nothing_yet
        self._day = date.min

    def day_of(self, timestamp: datetime) -> date:
        """The site-local date of ``timestamp``, which must be aware and inside ``SCHEDULABLE``.

        The writer refuses any other time first: next to year 1 and year 9999 the
        date or its midnights cannot even be expressed (``datetime`` overflows).
        """
        if self._start <= timestamp < self._end:
            return self._day
        day = timestamp.astimezone(self._zone).date()
        start = datetime.combine(day, time(0), tzinfo=self._zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
        if start.utcoffset() == (end - timedelta(microseconds=1)).utcoffset():
            # In the record's zone when that offset is fixed (module docstring); in any other
            # zone the comparison is between instants, exact but slower.
            zone = timestamp.tzinfo if type(timestamp.tzinfo) in FIXED_OFFSET_ZONES else UTC
            self._start, self._end, self._day = start.astimezone(zone), end.astimezone(zone), day
        return day
