"""``brain report``'s work: read a day (or a week) from a data root and write one HTML page.

The site name on the page is the records' ``site_id`` (else the manifest's, else the folder's
name); the zone is :func:`brain.report.days.resolve_zone`'s. Nothing here reads the clock:
the caller passes ``now`` (to end a day still in progress) and the day to report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from brain.report.day_page import day_page
from brain.report.days import SiteZone, day_window, week_days
from brain.report.daystats import MIN_SHARE_PCT, DaySummary, summarise
from brain.report.folder import manifest_summary, read_manifest
from brain.report.records import DayRecords, load_day


@dataclass(frozen=True)
class Report:
    """A rendered page and the summaries it was made from (tests and the CLI read the figures)."""

    html: str
    summaries: list[DaySummary]
    zone: SiteZone
    notes: list[str]
    """What the period lacks, one line each, for the command's output (a sensor never read all week once)."""


def summarise_day(
    data_root: Path,
    day: date,
    zone: SiteZone,
    now: datetime | None = None,
    *,
    min_share_pct: float = MIN_SHARE_PCT,
) -> tuple[DaySummary, DayRecords]:
    """Read and summarise one local day (figures from less than ``min_share_pct`` of it are partial)."""
    records = load_day(data_root, day_window(day, zone.zone))
    return summarise(records, zone.zone, until=now, min_share_pct=min_share_pct), records


def day_report(
    data_root: Path,
    day: date,
    zone: SiteZone,
    now: datetime | None = None,
    *,
    min_share_pct: float = MIN_SHARE_PCT,
) -> Report:
    """The page of one local day."""
    from brain.report.day_plots import day_charts
    from brain.report.plots import require_matplotlib

    require_matplotlib()
    summary, records = summarise_day(data_root, day, zone, now, min_share_pct=min_share_pct)
    site = _site_name(data_root, records)
    page = day_page(summary, day_charts(summary), site, context_lines(data_root, zone))
    return Report(page, [summary], zone, [f"{day}: {note}" for note in summary.notes])


def week_report(
    data_root: Path,
    first: date,
    zone: SiteZone,
    now: datetime | None = None,
    *,
    min_share_pct: float = MIN_SHARE_PCT,
) -> Report:
    """The page of seven local days from ``first``."""
    from brain.report.plots import require_matplotlib
    from brain.report.week_episodes import week_episodes
    from brain.report.week_page import week_notes, week_page
    from brain.report.week_plots import week_charts

    require_matplotlib()
    summaries, sites = [], []
    for day in week_days(first):
        summary, records = summarise_day(data_root, day, zone, now, min_share_pct=min_share_pct)
        summaries.append(summary)
        sites.append(_site_name(data_root, records, fallback=""))
    site = next((name for name in sites if name), _site_name(data_root, None))
    episodes = week_episodes(summaries)
    page = week_page(
        summaries, week_charts(summaries, episodes), episodes, site, context_lines(data_root, zone)
    )
    return Report(page, summaries, zone, week_notes(summaries, "%Y-%m-%d"))


def _site_name(data_root: Path, records: DayRecords | None, fallback: str | None = None) -> str:
    if records is not None and records.observations:
        return records.observations[0].site_id
    if fallback is not None:
        return fallback
    identity = (read_manifest(data_root) or {}).get("identity")
    site = identity.get("site_id") if isinstance(identity, dict) else None
    return site if isinstance(site, str) else data_root.resolve().name


def context_lines(data_root: Path, zone: SiteZone) -> list[str]:
    """Where the data came from and which zone the days are in, for the page's footer."""
    lines = [
        f"Data root: {data_root.resolve()}",
        f"Days are local days in {zone.name} ({zone.explained}).",
    ]
    manifest = read_manifest(data_root)
    if manifest is None:
        lines.append("No manifest.json in the data root: what made the folder is not recorded.")
    else:
        lines.append("Made by: " + "; ".join(f"{key} = {value}" for key, value in manifest_summary(manifest)))
    return lines
