"""The day's charts: climate curves with the tomato bands, light with its integral, water, and a timeline.

Each chart is drawn even when its data is missing, with the reason written across it, so a
bad day's page has the same shape as a good one and says what is missing where it would be.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from brain.contracts import Metric, SensorKey
from brain.report import targets
from brain.report.daystats import QUANTITIES, VPD, DaySummary
from brain.report.plots import (
    COLOURS,
    Chart,
    broken_line,
    legend_above,
    new_figure,
    num,
    png_bytes,
    say_no_data,
    time_axis,
)
from brain.report.timeline import Span

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CHART_HEIGHT_IN = 2.6

METRIC_CHART = {
    Metric.AIR_TEMPERATURE_C: SensorKey.AIR_TEMPERATURE_C.value,
    Metric.RELATIVE_HUMIDITY_PCT: SensorKey.RELATIVE_HUMIDITY_PCT.value,
    Metric.DEW_POINT_MARGIN_C: SensorKey.RELATIVE_HUMIDITY_PCT.value,
    Metric.VPD_KPA: VPD,
    Metric.CO2_PPM: SensorKey.CO2_PPM.value,
    Metric.PAR_UMOL_M2_S: SensorKey.PAR_UMOL_M2_S.value,
    Metric.SUBSTRATE_MOISTURE_PCT: SensorKey.SUBSTRATE_MOISTURE_PCT.value,
}
"""On which chart an anomaly of each metric is shaded (condensation risk on the humidity chart)."""


def day_charts(summary: DaySummary) -> list[Chart]:
    """Every chart of the day, in the page's order."""
    return [
        _curve(summary, SensorKey.AIR_TEMPERATURE_C.value, _temperature_bands),
        _curve(summary, SensorKey.RELATIVE_HUMIDITY_PCT.value, _humidity_limit),
        _curve(summary, VPD, _vpd_band),
        _curve(summary, SensorKey.CO2_PPM.value, _co2_marks),
        _curve(summary, SensorKey.PAR_UMOL_M2_S.value, _light_fill),
        _curve(summary, SensorKey.SUBSTRATE_MOISTURE_PCT.value, _irrigation),
        _timeline(summary),
    ]


Decorate = Callable[["Axes", DaySummary], None]


def _curve(summary: DaySummary, key: str, decorate: Decorate) -> Chart:
    name, unit = QUANTITIES[key]
    figure, axes = new_figure(CHART_HEIGHT_IN)
    series = summary.series[key]
    step = timedelta(seconds=3 * (summary.poll_interval_s or 900))
    title = f"{name} ({unit})"
    if series.excluded_values:
        xs, ys = broken_line(series.excluded_times, series.excluded_values, step)
        axes.plot(xs, ys, color=COLOURS["excluded"], linewidth=1.0, label="left out: sensor faulty")
    if series.values:
        xs, ys = broken_line(series.times, series.values, step)
        axes.plot(xs, ys, color=COLOURS.get(key, COLOURS["text"]), linewidth=1.6, label=name)
        decorate(axes, summary)
        _shade_episodes(axes, summary, key)
        legend_above(axes)
    elif not series.excluded_values:
        say_no_data(axes, _no_data_text(summary, key))
    axes.set_ylabel(unit, color=COLOURS["text"], fontsize=9)
    time_axis(axes, summary.window.start, summary.window.end, summary.zone)
    stats = summary.stats[key]
    alt = f"{title}: no trusted readings"
    if stats.minimum and stats.maximum:
        alt = f"{title}: from {stats.minimum.value:.3g} to {stats.maximum.value:.3g}"
    return Chart(key, title, png_bytes(figure), alt)


def _no_data_text(summary: DaySummary, key: str) -> str:
    if not summary.observation_count:
        return "No observations on this day"
    name = QUANTITIES[key][0]
    if key == VPD:
        return "No VPD: it needs trusted air temperature and humidity readings"
    return f"No {name} readings on this day"


def _day_spans(summary: DaySummary) -> list[Span]:
    """Contiguous runs of day (label ``day``) and night (``night``) over the observations."""
    times = summary.observation_times
    spans: list[Span] = []
    for index, daytime in enumerate(summary.is_day):
        label = "day" if daytime else "night"
        end = times[index + 1] if index + 1 < len(times) else summary.window.end
        if spans and spans[-1].label == label:
            spans[-1] = Span(spans[-1].start, end, label)
        else:
            spans.append(Span(times[index] if spans else summary.window.start, end, label))
    return spans


def _temperature_bands(axes: Axes, summary: DaySummary) -> None:
    labelled: set[str] = set()
    for span in _day_spans(summary):
        band = targets.DAY_TEMPERATURE_C if span.label == "day" else targets.NIGHT_TEMPERATURE_C
        colour = COLOURS["band"] if span.label == "day" else COLOURS["night_band"]
        label = band.label if band.label not in labelled else None
        labelled.add(band.label)
        axes.fill_between(
            [num(span.start), num(span.end)], band.low, band.high, color=colour, alpha=0.13, label=label
        )


def _humidity_limit(axes: Axes, _summary: DaySummary) -> None:
    limit = targets.RH_DISEASE_RISK_PCT
    axes.axhspan(limit, 100.0, color=COLOURS["critical"], alpha=0.07, label=f"disease risk above {limit:g} %")
    axes.set_ylim(top=100.0)


def _vpd_band(axes: Axes, summary: DaySummary) -> None:
    band = targets.VPD_KPA
    axes.axhspan(band.low, band.high, color=COLOURS["band"], alpha=0.13, label=band.label)
    peak = summary.stats[VPD].maximum
    if peak is not None:
        axes.plot([num(peak.at)], [peak.value], "o", color=COLOURS["critical"], markersize=5)
        axes.annotate(
            f"max {peak.value:.2f} kPa at {summary.local(peak.at):%H:%M}",
            (num(peak.at), peak.value),
            xytext=(8, -4), textcoords="offset points", fontsize=8, color=COLOURS["text"],
        )  # fmt: skip


def _co2_marks(axes: Axes, _summary: DaySummary) -> None:
    band = targets.CO2_ENRICHMENT_PPM
    axes.axhspan(band.low, band.high, color=COLOURS["band"], alpha=0.10, label=band.label)
    axes.axhline(
        targets.CO2_AMBIENT_PPM, color=COLOURS["muted"], linestyle="--", linewidth=1, label="outdoor air"
    )


def _light_fill(axes: Axes, summary: DaySummary) -> None:
    series = summary.series[SensorKey.PAR_UMOL_M2_S.value]
    xs, ys = broken_line(series.times, series.values, timedelta(seconds=3 * (summary.poll_interval_s or 900)))
    axes.fill_between(xs, ys, color=COLOURS["par_umol_m2_s"], alpha=0.25)
    if summary.dli_mol_m2_d is not None:
        axes.text(
            0.99, 0.92, f"light integral {summary.dli_mol_m2_d:.1f} mol/m²/day",
            transform=axes.transAxes, ha="right", fontsize=10, color=COLOURS["text"], fontweight="bold",
        )  # fmt: skip


def _irrigation(axes: Axes, summary: DaySummary) -> None:
    for index, span in enumerate(summary.irrigation):
        label = "irrigation on" if index == 0 else None
        axes.axvspan(num(span.start), num(span.end), color=COLOURS["irrigation"], alpha=0.35, label=label)


def _shade_episodes(axes: Axes, summary: DaySummary, key: str) -> None:
    labelled: set[str] = set()
    for episode in summary.episodes:
        if METRIC_CHART.get(episode.metric) != key:
            continue
        start = max(episode.started_at, summary.window.start)
        end = min(episode.ended_at or summary.window.end, summary.window.end)
        severity = episode.severity.value
        label = f"{severity} anomaly" if severity not in labelled else None
        labelled.add(severity)
        axes.axvspan(num(start), num(end), color=COLOURS[severity], alpha=0.18, label=label)


def _timeline(summary: DaySummary) -> Chart:
    rows: list[tuple[str, list[tuple[Span, str]]]] = []
    for key in SensorKey:
        health = summary.health.get(key, [])
        rows.append((QUANTITIES[key.value][0], [(s, COLOURS[s.label.split(":")[0]]) for s in health]))
    kinds = sorted({episode.kind.value for episode in summary.episodes})
    for kind in kinds:
        bars: list[tuple[Span, str]] = []
        for episode in summary.episodes:
            if episode.kind.value != kind:
                continue
            start = max(episode.started_at, summary.window.start)
            end = min(episode.ended_at or summary.window.end, summary.window.end)
            bars.append((Span(start, end, episode.severity.value), COLOURS[episode.severity.value]))
        rows.append((kind.replace("_", " "), bars))
    figure, axes = new_figure(0.75 + 0.3 * len(rows), left_in=1.6)
    for index, (_, row) in enumerate(rows):
        y = len(rows) - 1 - index
        for span, colour in row:
            axes.barh(y, num(span.end) - num(span.start), left=num(span.start), height=0.6, color=colour)
    axes.set_yticks(range(len(rows)), [name for name, _ in reversed(rows)], fontsize=8)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.grid(False, axis="y")
    _timeline_legend(axes)
    if not any(row for _, row in rows):
        say_no_data(axes, "No sensor-health or anomaly records on this day")
    time_axis(axes, summary.window.start, summary.window.end, summary.zone)
    return Chart(
        "timeline", "Sensor health and anomalies", png_bytes(figure), "sensor health and anomaly timeline"
    )


def _timeline_legend(axes: Axes) -> None:
    from matplotlib.patches import Patch

    names = ["ok", "degraded", "faulty", "warning", "critical"]
    handles = [Patch(color=COLOURS[name], label=name) for name in names]
    axes.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=5, fontsize=8, frameon=False
    )
