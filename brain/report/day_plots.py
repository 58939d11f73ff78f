"""The day's charts: climate curves with the tomato bands, light with its integral, water, and a timeline.

Each chart is drawn even when its data is missing, with the reason written across it, so a
bad day's page has the same shape as a good one and says what is missing where it would be.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from brain.contracts import ActionV1, Metric, SensorKey
from brain.episodes import Episode
from brain.report import targets
from brain.report.daystats import QUANTITIES, VPD, DaySummary
from brain.report.plots import (
    COLOURS,
    Chart,
    Mark,
    broken_line,
    image_position,
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
    from matplotlib.figure import Figure

CHART_HEIGHT_IN = 2.6

METRIC_CHART = {
    Metric.AIR_TEMPERATURE_C: SensorKey.AIR_TEMPERATURE_C.value,
    Metric.NIGHT_MEAN_AIR_TEMPERATURE_C: SensorKey.AIR_TEMPERATURE_C.value,
    Metric.MEAN_24H_AIR_TEMPERATURE_C: SensorKey.AIR_TEMPERATURE_C.value,
    Metric.DAILY_LIGHT_INTEGRAL_MOL_M2_D: SensorKey.PAR_UMOL_M2_S.value,
    Metric.RELATIVE_HUMIDITY_PCT: SensorKey.RELATIVE_HUMIDITY_PCT.value,
    Metric.DEW_POINT_MARGIN_C: SensorKey.RELATIVE_HUMIDITY_PCT.value,
    Metric.VPD_KPA: VPD,
    Metric.CO2_PPM: SensorKey.CO2_PPM.value,
    Metric.PAR_UMOL_M2_S: SensorKey.PAR_UMOL_M2_S.value,
    Metric.SUBSTRATE_MOISTURE_PCT: SensorKey.SUBSTRATE_MOISTURE_PCT.value,
}
"""On which chart an anomaly of each metric is shaded (condensation risk on the humidity chart, a warm
night or a hot 24-hour mean on the temperature curve they are means of)."""


def day_charts(summary: DaySummary) -> list[Chart]:
    """Every chart of the day, in the page's order."""
    return [
        _curve(summary, SensorKey.AIR_TEMPERATURE_C.value, _temperature_bands),
        _curve(summary, SensorKey.RELATIVE_HUMIDITY_PCT.value, _humidity_limit),
        _curve(summary, VPD, _vpd_band),
        _curve(summary, SensorKey.CO2_PPM.value, _co2_marks),
        _curve(summary, SensorKey.PAR_UMOL_M2_S.value, _light_fill),
        _curve(summary, SensorKey.SUBSTRATE_MOISTURE_PCT.value, _irrigation),
        devices_chart(summary),
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


def day_spans(summary: DaySummary) -> list[Span]:
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
    for span in day_spans(summary):
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


IRRIGATION_WORD = "irrigation"
"""A relay whose name holds this word waters the crop (``irrigation_pump`` by default)."""


def _irrigation(axes: Axes, summary: DaySummary) -> None:
    """The irrigation runs behind the substrate curve, where their effect shows."""
    runs = [
        span
        for name, spans in summary.devices.items()
        if IRRIGATION_WORD in name
        for span in spans
        if span.label == "on"
    ]
    for index, span in enumerate(runs):
        label = "irrigation on" if index == 0 else None
        axes.axvspan(num(span.start), num(span.end), color=COLOURS["irrigation"], alpha=0.35, label=label)


def _severity_bars(summary: DaySummary, episode: Episode) -> list[Span]:
    """An episode's levels within the day, as they happened (warning, then critical from its escalation)."""
    spans = summary.severity_spans.get(episode.key) or []
    clipped = [
        Span(max(s.start, summary.window.start), min(s.end, summary.window.end), s.label) for s in spans
    ]
    return [span for span in clipped if span.end > span.start]


def _shade_episodes(axes: Axes, summary: DaySummary, key: str) -> None:
    labelled: set[str] = set()
    for episode in summary.episodes:
        if METRIC_CHART.get(episode.metric) != key:
            continue
        for span in _severity_bars(summary, episode):
            severity = span.label
            label = f"{severity} anomaly" if severity not in labelled else None
            labelled.add(severity)
            axes.axvspan(num(span.start), num(span.end), color=COLOURS[severity], alpha=0.18, label=label)


def _timeline(summary: DaySummary) -> Chart:
    rows: list[tuple[str, list[tuple[Span, str]]]] = []
    for key in SensorKey:
        health = summary.health.get(key, [])
        rows.append((QUANTITIES[key.value][0], [(s, COLOURS[s.label.split(":")[0]]) for s in health]))
    kinds = sorted({episode.kind.value for episode in summary.episodes})
    for kind in kinds:
        bars = [
            (span, COLOURS[span.label])
            for episode in summary.episodes
            if episode.kind.value == kind
            for span in _severity_bars(summary, episode)
        ]
        rows.append((kind.replace("_", " "), bars))
    figure, axes = new_figure(0.75 + 0.3 * len(rows))
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


ROW_HEIGHT = 0.7
"""Height of a device's row in the device chart (rows are 1 apart): its 0-100 % range."""


def _device_rows(summary: DaySummary) -> list[str]:
    """The device chart's rows: relays, then positioned devices, then :data:`ADVICE_ROW` if needed."""
    rows = list(summary.devices)
    rows += [name for name in summary.positions if name not in rows]
    if any(action.target_device not in rows for action in summary.actions):
        rows.append(ADVICE_ROW)
    return rows


ADVICE_ROW = "other advice"
"""The row of actions that name no device of the chart (``inspect`` a sensor, alert the grower)."""


def devices_chart(summary: DaySummary) -> Chart:
    """Relays on/off as bands, positions (0-100 %) as step lines, the advice marked.

    Drawn under the climate curves on the same time axis, as a climate computer's day graph
    shows them; a marker per action of the ``actions`` stream, its reason the tooltip.
    """
    figure, _, marks = draw_devices(summary)
    alt = f"devices: {len(summary.devices)} relays, {len(summary.positions)} positions, {len(marks)} advice"
    return Chart("devices", "Devices: relays on, openings in %, advice", png_bytes(figure), alt, tuple(marks))


def device_row_base(summary: DaySummary) -> dict[str, float]:
    """The bottom of each device's row in data units (a row spans ``ROW_HEIGHT`` up from it)."""
    rows = _device_rows(summary)
    return {name: len(rows) - 1 - index - ROW_HEIGHT / 2 for index, name in enumerate(rows)}


def draw_devices(summary: DaySummary) -> tuple[Figure, Axes, list[Mark]]:
    """The device chart's figure, axes and advice marks, before rendering (tests find pixels with them)."""
    rows = _device_rows(summary)
    figure, axes = new_figure(0.9 + 0.32 * max(len(rows), 2))
    base = device_row_base(summary)
    for name, spans in summary.devices.items():
        for span in spans:
            if name in summary.positions and span.label == "on":
                continue  # "on" is its position above 0 (DeviceStatusV1 1.1): the step line says more
            colour = COLOURS["device_on"] if span.label == "on" else COLOURS["unknown"]
            axes.barh(base[name], num(span.end) - num(span.start), left=num(span.start), height=ROW_HEIGHT,
                      align="edge", color=colour, alpha=0.85 if span.label == "on" else 0.6)  # fmt: skip
    longest = timedelta(seconds=2 * (summary.poll_interval_s or 900))
    for name, (times, values) in summary.positions.items():
        xs, ys = held_steps(times, values, longest, summary.window.end)
        ys = [base[name] + ROW_HEIGHT * v / 100.0 for v in ys]
        axes.step(xs, ys, where="post", color=COLOURS["position"], linewidth=1.4)
        axes.fill_between(xs, base[name], ys, step="post", color=COLOURS["position"], alpha=0.18)
    ticks = [base[name] + ROW_HEIGHT / 2 for name in rows]
    axes.set_yticks(ticks, [_row_label(summary, name) for name in rows], fontsize=8)
    axes.set_ylim(-0.5, len(rows) - 0.1)
    axes.grid(False, axis="y")
    time_axis(axes, summary.window.start, summary.window.end, summary.zone)
    marks = _advice_marks(axes, summary, base)
    _devices_legend(axes, bool(summary.positions), bool(marks))
    if not rows:
        say_no_data(axes, "No device status on this day")
    return figure, axes, marks


def held_steps(
    times: Sequence[datetime], values: Sequence[float], longest: timedelta, end: datetime
) -> tuple[list[float], list[float]]:
    """A position held from each reading to the next, at most ``longest`` (then a break: no data).

    The points for a ``where="post"`` step line: each reading, its value held to the next
    one or, after the last or across a gap, for ``longest`` only, then NaN so nothing is drawn
    where no status was read.
    """
    xs: list[float] = []
    ys: list[float] = []
    for index, (moment, value) in enumerate(zip(times, values, strict=True)):
        xs.append(num(moment))
        ys.append(value)
        following = times[index + 1] if index + 1 < len(times) else None
        if following is None or following - moment > longest:
            xs += [num(min(moment + longest, end)), num(min(moment + longest, end))]
            ys += [value, math.nan]
    return xs, ys


def _row_label(summary: DaySummary, name: str) -> str:
    label = name.replace("_", " ")
    return f"{label} %" if name in summary.positions else label


def _advice_marks(axes: Axes, summary: DaySummary, base: dict[str, float]) -> list[Mark]:
    """A marker per action on its device's row; its reason is the page's tooltip there."""
    marks = []
    for action in summary.actions:
        row = action.target_device if action.target_device in base else ADVICE_ROW
        x, y = num(action.timestamp), base[row] + ROW_HEIGHT
        axes.plot([x], [y], marker="v", color=COLOURS["advice"], markersize=8, linestyle="none")
        left, top = image_position(axes, x, y)
        marks.append(Mark(left, top, _advice_text(summary, action)))
    return marks


def _advice_text(summary: DaySummary, action: ActionV1) -> str:
    return f"{summary.local(action.timestamp):%H:%M} {advice_words(action)}: {action.reason}"


def advice_words(action: ActionV1) -> str:
    """``turn on vent_lee to 80 %``: the action, its device, and its target position where it has one.

    ``target_position_pct`` arrives with ActionV1 1.1 (the advisor); read with ``getattr`` so a
    1.0 model and log read the same.
    """
    words = action.action_type.value.replace("_", " ")
    if action.target_device:
        words += f" {action.target_device}"
    target: float | None = getattr(action, "target_position_pct", None)
    return words + (f" to {target:g} %" if target is not None else "")


def _devices_legend(axes: Axes, positions: bool, advice: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Patch | Line2D] = [
        Patch(color=COLOURS["device_on"], label="on"),
        Patch(color=COLOURS["unknown"], label="state unknown"),
    ]
    if positions:
        handles.append(Line2D([], [], color=COLOURS["position"], label="opening %"))
    if advice:
        handles.append(Line2D([], [], color=COLOURS["advice"], marker="v", linestyle="none",
                              label="advice (hover for the reason)"))  # fmt: skip
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=4, fontsize=8,
                frameon=False)  # fmt: skip
