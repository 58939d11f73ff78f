"""The day report as a page: headline cards, what is missing, anomalies, charts, the grower's table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from brain.contracts import SensorKey
from brain.episodes import Episode
from brain.report import html, targets
from brain.report.day_plots import advice_words
from brain.report.day_verdict import day_verdict
from brain.report.daystats import QUANTITIES, VPD, DaySummary, Extreme
from brain.report.html import NO_VALUE
from brain.report.plots import Chart

TEMPERATURE = SensorKey.AIR_TEMPERATURE_C.value


def day_page(summary: DaySummary, charts: Sequence[Chart], site: str, context: Sequence[str]) -> str:
    """The whole page of one day; ``context`` lines (zone, data root, manifest) go in the footer."""
    day = summary.window.day
    title = f"{site}: {day:%A %d %B %Y}"
    subtitle = (
        f"Greenhouse day report, local time {summary.zone.key}. "
        f"{summary.observation_count:,} observations"
        + (f", every {summary.poll_interval_s:g} s" if summary.poll_interval_s else "")
        + "."
    )
    body = [
        html.verdict(*day_verdict(summary)),
        html.cards(headline_cards(summary)),
        html.heading("What is missing"),
        html.notes(summary.notes, empty="Nothing: every sensor reported all day and no gaps."),
        html.heading("Anomalies"),
        anomaly_table(summary),
        html.heading("Climate over the day"),
        *[html.figure(chart) for chart in charts],
        *advice_section(summary),
        html.heading("The day in numbers"),
        figures_table(summary),
        html.footer(list(context) + method_lines(summary)),
    ]
    return html.page(title, subtitle, body)


def _fmt(value: float | None, digits: int, unit: str = "") -> str:
    if value is None:
        return NO_VALUE
    return f"{value:.{digits}f}{(' ' + unit) if unit else ''}"


def headline_cards(summary: DaySummary) -> list[html.Card]:
    """Five figures a grower asks first: mean temperature, highest VPD, VPD in band, light, completeness.

    A figure from less than the summary's ``min_share_pct`` of the day is marked partial
    and not judged (a grey, dashed card): it cannot say the day was good.
    """
    means = summary.temperature_means
    vpd_max = summary.stats[VPD].maximum
    in_band = summary.vpd_in_band_pct
    dli = summary.dli_mol_m2_d
    complete = summary.completeness_pct
    par = SensorKey.PAR_UMOL_M2_S.value
    return [
        _judged(summary, TEMPERATURE, (
            _fmt(means["24h"], 1, "°C"), "24-hour mean temperature",
            f"day {_fmt(means['day'], 1)} / night {_fmt(means['night'], 1)} °C",
            _verdict(means["24h"], good=lambda v: v <= 25.0, bad=lambda v: v > 26.0),
        )),
        _judged(summary, VPD, (
            _fmt(vpd_max.value if vpd_max else None, 2, "kPa"), "highest VPD (every observation)",
            f"at {summary.local(vpd_max.at):%H:%M}" if vpd_max else "no VPD",
            _verdict(vpd_max.value if vpd_max else None, good=lambda v: v <= 1.2, bad=lambda v: v > 1.6),
        )),
        _judged(summary, VPD, (
            _fmt(in_band, 0, "%"), "of the day with VPD in band", targets.VPD_KPA.label,
            _verdict(in_band, good=lambda v: v >= 80.0, bad=lambda v: v < 50.0),
        )),
        _judged(summary, par, (
            _fmt(dli, 1), "light integral, mol/m²/day", targets.DLI_MOL_M2_D.label,
            _verdict(dli, good=lambda v: v >= targets.DLI_MOL_M2_D.low,
                     bad=lambda v: v < targets.DLI_LOW_MOL_M2_D),
        )),
        (
            _fmt(complete, 0, "%"),
            "data completeness",
            f"{summary.observation_count:,} of {summary.expected_polls or 0:,} polls",
            _verdict(complete, good=lambda v: v >= 98.0, bad=lambda v: v < 80.0),
        ),
    ]  # fmt: skip


def _judged(summary: DaySummary, key: str, card: html.Card) -> html.Card:
    """``card`` as judged, unless its figure is partial: then marked so, grey and not judged."""
    value, label, _hint, _verdict_class = card
    if value == NO_VALUE or not summary.is_partial(key):
        return card
    share = summary.sensor_completeness_pct(key) or 0.0
    return (value, f"{label} (partial)", f"from {share:.0f} % of the day: not judged", "partial")


def _verdict(value: float | None, *, good: Callable[[float], bool], bad: Callable[[float], bool]) -> str:
    """``good``, ``warn`` or ``bad`` for a card's colour; no colour without a value."""
    if value is None:
        return ""
    if bad(value):
        return "bad"
    return "good" if good(value) else "warn"


def episode_peak(summary: DaySummary, episode: Episode) -> float:
    """The worst value of an episode's metric within the day (its records' values where no curve has it)."""
    values = [episode.first_value, episode.last_value]
    series = summary.series.get(episode.metric.value)
    if series is not None:
        end = episode.ended_at or summary.window.end
        values += [
            v for t, v in zip(series.times, series.values, strict=True) if episode.started_at <= t <= end
        ]
    return min(values) if episode.peak_is_low else max(values)


def anomaly_table(summary: DaySummary) -> str:
    """One row per episode that touched the day: what, how bad, from when to when, its worst value."""
    if not summary.episodes:
        return html.notes([], empty="No anomaly episode on this day.")
    rows, classes = [], []
    for episode in summary.episodes:
        rows.append(
            [
                episode.kind.value.replace("_", " "),
                _severity_text(summary, episode),
                _when(summary, episode.started_at),
                _when(summary, episode.ended_at) if episode.ended_at else "still open",
                f"{episode_peak(summary, episode):.3g}",
                f"{summary.trigger_thresholds.get(episode.key, episode.threshold):g}",
            ]
        )
        classes.append(f"sev-{episode.severity.value}")
    header = ["anomaly", "severity", "from", "to", "worst value", "threshold crossed"]
    return html.table(header, rows, classes, text=True)


def _severity_text(summary: DaySummary, episode: Episode) -> str:
    """``warning, critical from 14:10`` when the level changed, else the one level."""
    spans = summary.severity_spans.get(episode.key) or []
    if len(spans) < 2:
        return episode.severity.value
    changes = [f"{span.label} from {_when(summary, span.start)}" for span in spans[1:]]
    return ", ".join([spans[0].label, *changes])


def advice_section(summary: DaySummary) -> list[str]:
    """The advice of the day as a table (the chart marks them; a table reads them aloud)."""
    if not summary.actions:
        return []
    rows = [
        [_when(summary, action.timestamp), advice_words(action), action.reason] for action in summary.actions
    ]
    return [html.heading("Advice"), html.table(["time", "advice", "why"], rows, text=True)]


def _when(summary: DaySummary, moment: datetime) -> str:
    local = summary.local(moment)
    if local.date() == summary.window.day:
        return f"{local:%H:%M}"
    return f"{local:%d %b %H:%M}"


def _extreme(summary: DaySummary, extreme: Extreme | None, digits: int) -> str:
    if extreme is None:
        return NO_VALUE
    return f"{extreme.value:.{digits}f} at {summary.local(extreme.at):%H:%M}"


DIGITS = {TEMPERATURE: 1, SensorKey.RELATIVE_HUMIDITY_PCT.value: 0, VPD: 2, SensorKey.CO2_PPM.value: 0,
          SensorKey.PAR_UMOL_M2_S.value: 0, SensorKey.SUBSTRATE_MOISTURE_PCT.value: 1}  # fmt: skip


def figures_table(summary: DaySummary) -> str:
    """The table a grower reads aloud: each quantity's min, max, mean and readings, then the day's totals."""
    rows = []
    for key, (name, unit) in QUANTITIES.items():
        stats = summary.stats[key]
        digits = DIGITS[key]
        share = summary.sensor_completeness_pct(key)
        rows.append(
            [
                f"{name} ({unit})" + _partial(summary, key, stats.readings),
                _extreme(summary, stats.minimum, digits),
                _extreme(summary, stats.maximum, digits),
                _fmt(stats.mean, digits),
                _fmt(share, 0, "%"),
            ]
        )
    means = summary.temperature_means
    hot = _partial(summary, TEMPERATURE, summary.stats[TEMPERATURE].readings)
    par = SensorKey.PAR_UMOL_M2_S.value
    rows += [
        ["Mean temperature, day (°C)" + hot, "", "", _fmt(means["day"], 1), ""],
        ["Mean temperature, night (°C)" + hot, "", "", _fmt(means["night"], 1), ""],
        ["Mean temperature, 24 hours (°C)" + hot, "", "", _fmt(means["24h"], 1), ""],
        [f"VPD in band ({targets.VPD_KPA.label})" + _partial(summary, VPD, summary.stats[VPD].readings),
         "", "", _fmt(summary.vpd_in_band_pct, 0, "%"), ""],
        ["Light integral (mol/m²/day)" + _partial(summary, par, summary.stats[par].readings),
         "", "", _fmt(summary.dli_mol_m2_d, 1), ""],
        ["Observations received", "", "", _fmt(summary.completeness_pct, 1, "%"), ""],
    ]  # fmt: skip
    return html.table(["quantity", "lowest", "highest", "mean", "readings"], rows)


def _partial(summary: DaySummary, key: str, readings: int) -> str:
    """`` (partial)`` after a figure from too little of the day; nothing where there is no figure."""
    return " (partial)" if readings and summary.is_partial(key) else ""


def method_lines(summary: DaySummary) -> list[str]:
    """How the figures were made, in the footer."""
    return [
        f"Day and night: {summary.day_basis}.",
        "Figures are computed from every observation; readings of a sensor marked faulty are left out "
        "(grey on the curves). VPD per observation uses brain's estimator formula (FAO-56 Magnus).",
        f"A figure from less than {summary.min_share_pct:g} % of the day's polls is partial: shown, marked "
        "(partial), or * in the week's table, and not judged good or bad.",
        "Light integral = sum of PAR x seconds / 1,000,000; each reading counts until the next "
        "(two polls at most).",
        "Bands: temperature day 21-27 °C, night 16-18 °C (OMAFRA; Peet & Bartholomew 1996); VPD 0.5-1.2 kPa "
        "(Prenger & Ling, OSU AEX-800; Shamshiri et al. 2018); RH above 90 % disease risk; CO2 enrichment "
        "700-1000 ppm (AHDB; Hao et al. 2006); DLI 20-30 mol/m²/day (Dorais 2003).",
    ]
