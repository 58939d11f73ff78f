"""The grower's days: site-local calendar days as UTC windows, and the zone they are counted in.

Why windows rather than run folders: a run folder holds the records of one local day *in the
zone the writer was given*, which may not be the zone a report is asked for (a field log
replayed without ``--timezone`` lands in UTC folders). A day here is ``[local midnight, next
local midnight)`` converted to UTC, so it is 23 or 25 hours long on a DST change, and its
records are found by time in the folders of that date and its neighbours.

The zone, in order: ``--timezone`` given to the command, else the data root's manifest
(what the writer used), else the configured site ``timezone``, else UTC, and every page says
which it was.

The small records here are named tuples, not dataclasses: ``brain status`` imports this
module, and the ``dataclasses`` module alone (it imports ``inspect``) is a tenth of that
command's start-up budget (``bench/status.py``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brain.report.folder import manifest_timezone, read_manifest

UTC_NAME = "UTC"


class SiteZone(NamedTuple):
    """The zone a report counts days in, and where that choice came from (shown on every page)."""

    zone: ZoneInfo
    origin: str
    """``command line``, ``manifest``, ``configuration`` or ``default``."""

    @property
    def explained(self) -> str:
        """Where the zone came from, in words: ``zone from the manifest``."""
        if self.origin == "default":
            return "UTC: no zone in the manifest or the configuration"
        return f"zone from the {self.origin}"

    @property
    def name(self) -> str:
        """The IANA name, e.g. ``Europe/Amsterdam``."""
        return self.zone.key


def resolve_zone(
    manifest: dict[str, object] | None, configured: str | None, *, explicit: str | None = None
) -> SiteZone:
    """The site zone: ``explicit``, else the manifest's, else the configured one, else UTC."""
    candidates = (
        (explicit, "command line"),
        (manifest_timezone(manifest), "manifest"),
        (configured, "configuration"),
    )
    for name, origin in candidates:
        if name:
            try:
                return SiteZone(ZoneInfo(name), origin)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return SiteZone(ZoneInfo(UTC_NAME), "default")


def site_zone(data_root: Path, configured: str | None, *, explicit: str | None = None) -> SiteZone:
    """The zone ``data_root``'s days are counted in (:func:`resolve_zone`)."""
    return resolve_zone(read_manifest(data_root), configured, explicit=explicit)


class DayWindow(NamedTuple):
    """One local day: its date and its ``[start, end)`` as aware datetimes (UTC instants)."""

    day: date
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length of the day: 86,400 s, or 82,800/90,000 on a DST change."""
        return (self.end - self.start).total_seconds()

    def contains(self, moment: datetime) -> bool:
        """Whether an aware instant falls in the day."""
        return self.start <= moment < self.end


def day_window(day: date, zone: tzinfo) -> DayWindow:
    """``day`` from local midnight to the next local midnight in ``zone``."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return DayWindow(day, start, end)


def local_today(now: datetime, zone: tzinfo) -> date:
    """The local date of an aware ``now`` in ``zone``."""
    return now.astimezone(zone).date()


def last_week_start(today: date) -> date:
    """The Monday of the week before the one ``today`` is in: ``--week``'s default."""
    return today - timedelta(days=today.weekday() + 7)


def week_days(first: date) -> list[date]:
    """Seven consecutive days from ``first``."""
    return [first + timedelta(days=offset) for offset in range(7)]
