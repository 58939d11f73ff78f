"""The week's charts: each quantity as one curve over the seven days with its episodes; light integral bars.

Why one continuous curve rather than a bar per day: an episode (a warm spell, a humid night)
runs across midnights, and only a curve shows where it began, how it escalated and when it
ended; the daily lowest, mean and highest are in the page's table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from brain.contracts import SensorKey
from brain.report import targets
from brain.report.day_plots import METRIC_CHART, day_spans
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
)
from brain.report.week_episodes import WeekEpisode

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CHART_HEIGHT_IN = 2.8
CURVES = (
    SensorKey.AIR_TEMPERATURE_C.value,
    SensorKey.RELATIVE_HUMIDITY_PCT.value,
    VPD,
    SensorKey.CO2_PPM.value,
)
"""Quantities drawn as one continuous curve over the seven days, in the page's order."""


def week_charts(summaries: Sequence[DaySummary], episodes: Sequence[WeekEpisode]) -> list[Chart]:
    """Every chart of the week, in the page's order."""
    return [*(_curve(summaries, key, episodes) for key in CURVES), _light_bars(summaries)]


def _noon(summary: DaySummary) -> float:
    """The middle of a local day, as a date number: where its bar stands."""
    return num(summary.window.start + (summary.window.end - summary.window.start) / 2)


def _day_axis(summaries: Sequence[DaySummary], axes: Axes) -> None:
    import matplotlib.dates as mdates

    axes.set_xlim(num(summaries[0].window.start), num(summaries[-1].window.end))
    axes.set_xticks([_noon(s) for s in summaries])
    axes.set_xticks([num(s.window.start) for s in summaries[1:]], minor=True)  # the midnights
    axes.grid(False, axis="x")
    axes.grid(True, which="minor", axis="x", color="#c8c8c8", linewidth=1.0)
    axes.tick_params(axis="x", which="minor", length=0)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=summaries[0].zone))  # type: ignore[no-untyped-call]


def _band(axes: Axes, band: targets.Band, colour: str) -> None:
    axes.axhspan(band.low, band.high, color=colour, alpha=0.12, label=band.label)


def _curve(summaries: Sequence[DaySummary], key: str, episodes: Sequence[WeekEpisode]) -> Chart:
    """Seven days of one quantity as one line (broken only at gaps), its bands, and its episodes shaded.

    Each episode of this chart's metric is shaded by severity as it happened and numbered
    where it began, the number of the page's episode table.
    """
    name, unit = QUANTITIES[key]
    figure, axes = new_figure(CHART_HEIGHT_IN)
    times = [t for s in summaries for t in s.series[key].times]
    values = [v for s in summaries for v in s.series[key].values]
    poll_s = next((s.poll_interval_s for s in summaries if s.poll_interval_s), 900.0)
    if values:
        _bands(axes, summaries, key)
        xs, ys = broken_line(times, values, timedelta(seconds=3 * poll_s))
        axes.plot(xs, ys, color=COLOURS[key], linewidth=1.0, label=name)
        _shade(axes, [e for e in episodes if METRIC_CHART.get(e.episode.metric) == key])
        legend_above(axes)
    else:
        say_no_data(axes, f"No {name} readings this week")
    axes.set_ylabel(unit, fontsize=9, color=COLOURS["text"])
    _day_axis(summaries, axes)
    stats = [s.stats[key] for s in summaries]
    lows = [st.minimum.value for st in stats if st.minimum]
    highs = [st.maximum.value for st in stats if st.maximum]
    alt = (
        f"{name} over the week: from {min(lows):.3g} to {max(highs):.3g}" if lows else f"{name}: no readings"
    )
    return Chart(f"week-{key}", f"{name} ({unit}) over the week", png_bytes(figure), alt)


def _bands(axes: Axes, summaries: Sequence[DaySummary], key: str) -> None:
    if key == SensorKey.AIR_TEMPERATURE_C.value:
        labelled: set[str] = set()
        for summary in summaries:
            for span in day_spans(summary) if summary.observation_count else []:
                band = targets.DAY_TEMPERATURE_C if span.label == "day" else targets.NIGHT_TEMPERATURE_C
                colour = COLOURS["band"] if span.label == "day" else COLOURS["night_band"]
                label = band.label if band.label not in labelled else None
                labelled.add(band.label)
                axes.fill_between([num(span.start), num(span.end)], band.low, band.high, color=colour,
                                  alpha=0.13, label=label)  # fmt: skip
    elif key == VPD:
        _band(axes, targets.VPD_KPA, COLOURS["band"])
    elif key == SensorKey.CO2_PPM.value:
        axes.axhline(targets.CO2_AMBIENT_PPM, color=COLOURS["muted"], linestyle="--", linewidth=1,
                     label="outdoor air")  # fmt: skip
    elif key == SensorKey.RELATIVE_HUMIDITY_PCT.value:
        limit = targets.RH_DISEASE_RISK_PCT
        axes.axhspan(
            limit, 100.0, color=COLOURS["critical"], alpha=0.07, label=f"disease risk above {limit:g} %"
        )


LABEL_CLEARANCE_DAYS = 0.2
"""Episode numbers closer than this (about 5 h, a number's width on a week's axis) are stacked."""


def _shade(axes: Axes, episodes: Sequence[WeekEpisode]) -> None:
    labelled: set[str] = set()
    last_x, stack = -1.0, 0
    for item in episodes:
        for span in item.levels:
            label = f"{span.label} anomaly" if span.label not in labelled else None
            labelled.add(span.label)
            axes.axvspan(num(span.start), num(span.end), color=COLOURS[span.label], alpha=0.22, label=label)
        if item.levels:
            x = num(item.levels[0].start)
            stack = stack + 1 if x - last_x < LABEL_CLEARANCE_DAYS else 0
            last_x = x
            axes.annotate(
                str(item.number), (x, 1.0), xycoords=("data", "axes fraction"),
                xytext=(2, -11 - 11 * stack), textcoords="offset points", fontsize=9, fontweight="bold",
                color=COLOURS["text"],
            )  # fmt: skip


def _light_bars(summaries: Sequence[DaySummary]) -> Chart:
    figure, axes = new_figure(CHART_HEIGHT_IN)
    shown = [s for s in summaries if s.dli_mol_m2_d is not None]
    _band(axes, targets.DLI_MOL_M2_D, COLOURS["band"])
    for index, summary in enumerate(shown):
        dli = summary.dli_mol_m2_d
        assert dli is not None
        colour = COLOURS["par_umol_m2_s"] if dli >= targets.DLI_LOW_MOL_M2_D else COLOURS["critical"]
        axes.bar(_noon(summary), dli, width=14 / 24, color=colour,
                 label="light integral" if index == 0 else None)  # fmt: skip
        axes.annotate(f"{dli:.1f}", (_noon(summary), dli), xytext=(0, 3), textcoords="offset points",
                      ha="center", fontsize=9, color=COLOURS["text"])  # fmt: skip
    if shown:
        legend_above(axes)
    else:
        say_no_data(axes, "No PAR readings this week: no light integral")
    axes.set_ylabel("mol/m²/day", fontsize=9, color=COLOURS["text"])
    _day_axis(summaries, axes)
    return Chart(
        "week-dli", "Daily light integral (mol/m²/day)", png_bytes(figure), "daily light integral bars"
    )
