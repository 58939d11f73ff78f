"""The week's charts: each day's lowest, mean and highest value of a quantity; light integral bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from brain.contracts import SensorKey
from brain.report import targets
from brain.report.daystats import QUANTITIES, VPD, DaySummary
from brain.report.plots import COLOURS, Chart, legend_above, new_figure, num, png_bytes, say_no_data

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CHART_HEIGHT_IN = 2.8
RANGES = (
    SensorKey.AIR_TEMPERATURE_C.value,
    SensorKey.RELATIVE_HUMIDITY_PCT.value,
    VPD,
    SensorKey.CO2_PPM.value,
)
"""Quantities drawn as daily min-mean-max ranges, in the page's order."""


def week_charts(summaries: Sequence[DaySummary]) -> list[Chart]:
    """Every chart of the week, in the page's order."""
    return [*(_ranges(summaries, key) for key in RANGES), _light_bars(summaries)]


def _noon(summary: DaySummary) -> float:
    """The middle of a local day, as a date number: where its bar stands."""
    return num(summary.window.start + (summary.window.end - summary.window.start) / 2)


def _day_axis(summaries: Sequence[DaySummary], axes: Axes) -> None:
    import matplotlib.dates as mdates

    axes.set_xlim(num(summaries[0].window.start), num(summaries[-1].window.end))
    axes.set_xticks([_noon(s) for s in summaries])
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=summaries[0].zone))  # type: ignore[no-untyped-call]


def _band(axes: Axes, band: targets.Band, colour: str) -> None:
    axes.axhspan(band.low, band.high, color=colour, alpha=0.12, label=band.label)


def _ranges(summaries: Sequence[DaySummary], key: str) -> Chart:
    name, unit = QUANTITIES[key]
    figure, axes = new_figure(CHART_HEIGHT_IN)
    colour = COLOURS[key]
    width = 7 / 24
    shown = [s for s in summaries if s.stats[key].minimum and s.stats[key].maximum]
    if key == SensorKey.AIR_TEMPERATURE_C.value:
        _band(axes, targets.DAY_TEMPERATURE_C, COLOURS["band"])
        _band(axes, targets.NIGHT_TEMPERATURE_C, COLOURS["night_band"])
    elif key == VPD:
        _band(axes, targets.VPD_KPA, COLOURS["band"])
    for index, summary in enumerate(shown):
        stats = summary.stats[key]
        assert stats.minimum is not None and stats.maximum is not None and stats.mean is not None
        noon = _noon(summary)
        axes.bar(noon, stats.maximum.value - stats.minimum.value, width=width, bottom=stats.minimum.value,
                 color=colour, alpha=0.35, label="lowest to highest" if index == 0 else None)  # fmt: skip
        axes.plot([noon], [stats.mean], "o", color=colour, markersize=7, label="mean" if index == 0 else None)
        axes.annotate(f"{stats.maximum.value:.3g}", (noon, stats.maximum.value), xytext=(0, 3),
                      textcoords="offset points", ha="center", fontsize=8, color=COLOURS["text"])  # fmt: skip
    if shown:
        legend_above(axes)
    else:
        say_no_data(axes, f"No {name} readings this week")
    axes.set_ylabel(unit, fontsize=9, color=COLOURS["text"])
    _day_axis(summaries, axes)
    return Chart(f"week-{key}", f"{name} ({unit}): daily lowest, mean and highest", png_bytes(figure),
                 f"{name} daily range over the week")  # fmt: skip


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
