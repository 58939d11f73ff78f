"""The week report as a page: headline cards, each day's gaps, the charts, and a row per day."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime

from brain.contracts import SensorKey
from brain.report import html
from brain.report.day_page import method_lines
from brain.report.daystats import VPD, DaySummary, never_read_notes
from brain.report.html import NO_VALUE
from brain.report.plots import Chart
from brain.report.week_episodes import WeekEpisode

TEMPERATURE = SensorKey.AIR_TEMPERATURE_C.value
PAR = SensorKey.PAR_UMOL_M2_S.value


def _fmt(value: float | None, digits: int) -> str:
    return NO_VALUE if value is None else f"{value:.{digits}f}"


def week_page(
    summaries: Sequence[DaySummary],
    charts: Sequence[Chart],
    episodes: Sequence[WeekEpisode],
    site: str,
    context: Sequence[str],
) -> str:
    """The whole page of seven days."""
    first, last = summaries[0].window.day, summaries[-1].window.day
    title = f"{site}: week {first:%d %b} - {last:%d %b %Y}"
    subtitle = f"Greenhouse week report, local time {summaries[0].zone.key}."
    body = [
        html.cards(week_cards(summaries)),
        html.heading("What is missing"),
        html.notes(week_notes(summaries), empty="Nothing: every day is complete."),
        html.heading("Anomaly episodes"),
        episode_table(summaries[0], episodes),
        html.heading("The week hour by hour"),
        *[html.figure(chart) for chart in charts],
        html.heading("The week in numbers"),
        week_table(summaries),
        html.footer(list(context) + method_lines(summaries[0])[1:]),
    ]
    return html.page(title, subtitle, body)


def week_cards(summaries: Sequence[DaySummary]) -> list[html.Card]:
    """The week's mean temperature, highest VPD, mean light integral, anomaly count and completeness."""
    means = [s.temperature_means["24h"] for s in summaries if s.temperature_means["24h"] is not None]
    peaks = [(s.stats[VPD].maximum, s) for s in summaries if s.stats[VPD].maximum is not None]
    lights = [s.dli_mol_m2_d for s in summaries if s.dli_mol_m2_d is not None]
    episodes = {e.key for s in summaries for e in s.episodes}
    polls = sum(s.expected_polls or 0 for s in summaries)
    received = sum(s.observation_count for s in summaries)
    peak = max(peaks, key=lambda pair: pair[0].value) if peaks else None  # type: ignore[union-attr]
    return [
        (
            f"{statistics.fmean(means):.1f} °C" if means else NO_VALUE,
            "mean temperature",
            f"over {len(means)} day(s)",
            "",
        ),
        (
            f"{peak[0].value:.2f} kPa" if peak and peak[0] else NO_VALUE,
            "highest VPD",
            f"{peak[1].local(peak[0].at):%a %H:%M}" if peak and peak[0] else "no VPD",
            "",
        ),
        (
            f"{statistics.fmean(lights):.1f}" if lights else NO_VALUE,
            "mean light integral, mol/m²/day",
            "",
            "",
        ),
        (str(len(episodes)), "anomaly episodes", "", "good" if not episodes else "warn"),
        (
            f"{100.0 * received / polls:.0f} %" if polls else NO_VALUE,
            "data completeness",
            f"{received:,} observations",
            "",
        ),
    ]


def week_notes(summaries: Sequence[DaySummary], day_format: str = "%a %d %b") -> list[str]:
    """Sensors never read all week, named once; then each day's missing items, prefixed with the day."""
    read = [s for s in summaries if s.observation_count]
    never = {key: why for key, why in (read[0].never_read.items() if read else ())
             if all(key in s.never_read for s in read)}  # fmt: skip
    notes = never_read_notes(never, "all week")
    for s in summaries:
        own = set(never_read_notes(s.never_read, "all day"))
        rest = never_read_notes({k: v for k, v in s.never_read.items() if k not in never}, "all day")
        notes += [
            f"{s.window.day:{day_format}}: {note}" for note in rest + [n for n in s.notes if n not in own]
        ]
    return notes


def episode_table(summary: DaySummary, episodes: Sequence[WeekEpisode]) -> str:
    """One row per episode of the week, numbered as on the curves, with the threshold that triggered it."""
    if not episodes:
        return html.notes([], empty="No anomaly episode this week.")
    rows, classes = [], []
    for item in episodes:
        episode = item.episode
        levels = [item.levels[0].label] if item.levels else [episode.severity.value]
        levels += [f"{span.label} from {_when(summary, span.start)}" for span in item.levels[1:]]
        rows.append(
            [
                str(item.number),
                episode.kind.value.replace("_", " "),
                ", ".join(levels),
                _when(summary, episode.started_at),
                _when(summary, episode.ended_at) if episode.ended_at else "still open",
                f"{item.peak:.3g}",
                f"{item.threshold:g}",
            ]
        )
        classes.append(f"sev-{episode.severity.value}")
    header = ["#", "anomaly", "severity", "from", "to", "worst value", "threshold crossed"]
    return html.table(header, rows, classes, text=True)


def _when(summary: DaySummary, moment: datetime) -> str:
    return f"{summary.local(moment):%a %d %b %H:%M}"


def _star(summary: DaySummary, key: str) -> str:
    """``*`` after a figure from too little of its day (partial: not to be compared with whole days)."""
    return "*" if summary.stats[key].readings and summary.is_partial(key) else ""


def week_table(summaries: Sequence[DaySummary]) -> str:
    """One row per day: temperatures, highest VPD, VPD in band, light integral, completeness."""
    rows = []
    for s in summaries:
        temp = s.stats[TEMPERATURE]
        vpd = s.stats[VPD].maximum
        rows.append(
            [
                f"{s.window.day:%a %d %b}",
                _fmt(temp.minimum.value if temp.minimum else None, 1),
                _fmt(s.temperature_means["24h"], 1) + _star(s, TEMPERATURE),
                _fmt(temp.maximum.value if temp.maximum else None, 1),
                _fmt(s.temperature_means["day"], 1),
                _fmt(s.temperature_means["night"], 1),
                _fmt(vpd.value if vpd else None, 2) + _star(s, VPD),
                _fmt(s.vpd_in_band_pct, 0) + _star(s, VPD),
                _fmt(s.dli_mol_m2_d, 1) + _star(s, PAR),
                str(len(s.episodes)),
                _fmt(s.completeness_pct, 0),
            ]
        )
    header = ["day", "min °C", "mean °C", "max °C", "day °C", "night °C", "VPD max kPa", "VPD in band %",
              "DLI mol/m²", "anomalies", "complete %"]  # fmt: skip
    return html.table(header, rows)
