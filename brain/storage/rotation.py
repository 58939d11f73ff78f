"""Which site-local day a record belongs to, decided by its own timestamp.

Why the record's timestamp and not the wall clock: a replay of last year must
put each record in the same ``run_YYYYMMDD`` as the live run did, and a record
written a second after midnight about the second before midnight belongs to
the old day.

Why a cache: converting every timestamp to the site zone costs more than the
rest of the day decision; the UTC bounds of the current day are kept, and a
timestamp inside them needs one float comparison. Days with a DST change are
not cached (their local clock jumps, so "inside the bounds" would not be
enough); they cost one conversion per record, two days a year.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class SiteCalendar:
    """Maps aware timestamps to the site-local date."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._start = 0.0
        self._end = 0.0
        self._day = date.min

    def day_of(self, timestamp: datetime) -> date:
        """The site-local date of ``timestamp``, which must be aware and inside ``SCHEDULABLE``.

        The writer refuses any other time first: next to year 1 and year 9999 the
        date or its midnights cannot even be expressed (``datetime`` overflows).
        """
        seconds = timestamp.timestamp()
        if self._start <= seconds < self._end:
            return self._day
        day = timestamp.astimezone(self._zone).date()
        start = datetime.combine(day, time(0), tzinfo=self._zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
        if start.utcoffset() == (end - timedelta(microseconds=1)).utcoffset():
            self._start, self._end, self._day = start.timestamp(), end.timestamp(), day
        return day
