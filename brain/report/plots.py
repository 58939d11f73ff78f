"""What every chart of the report shares: matplotlib (Agg, no display), one style, PNG bytes out.

Why matplotlib is imported here and nowhere else in brain: it is the optional extra
``brain[report]``; the daemon on the Pi never needs it. :func:`require_matplotlib` turns its
absence into :class:`MatplotlibMissingError`, which ``brain report`` prints with the command
that installs it.

Why figures are built with ``matplotlib.figure.Figure`` and not pyplot: no global state, no
figure manager, nothing kept alive between charts (pyplot keeps every figure until closed).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = 11.0
DPI = 100
"""1,100 pixels wide: sharp on a laptop, readable on a phone when the page scales it."""

COLOURS = {
    "air_temperature_c": "#c0392b",
    "relative_humidity_pct": "#1f78b4",
    "vpd_kpa": "#2c3e50",
    "co2_ppm": "#7d3c98",
    "par_umol_m2_s": "#e69f00",
    "substrate_moisture_pct": "#8c5e3c",
    "excluded": "#b0b0b0",
    "band": "#2ca25f",
    "night_band": "#3182bd",
    "irrigation": "#4fa3e0",
    "info": "#8395a7",
    "warning": "#f39c12",
    "critical": "#e74c3c",
    "ok": "#27ae60",
    "degraded": "#f39c12",
    "faulty": "#e74c3c",
    "device_on": "#16a085",
    "unknown": "#bdbdbd",
    "position": "#1f5f99",
    "advice": "#6a1b9a",
    "text": "#333333",
    "muted": "#777777",
}
"""One colour per quantity and per verdict, the same on every chart."""


class MatplotlibMissingError(RuntimeError):
    """matplotlib is not installed: ``brain report`` needs the ``report`` extra."""


@dataclass(frozen=True)
class Mark:
    """A point of a chart the page makes hoverable: where it is (in % of the image) and what it says."""

    left_pct: float
    top_pct: float
    title: str


@dataclass(frozen=True)
class Chart:
    """One rendered chart: a heading for the page, PNG bytes, its alternative text, hoverable marks."""

    key: str
    title: str
    png: bytes
    alt: str
    marks: tuple[Mark, ...] = ()


def image_position(axes: Axes, x: float, y: float) -> tuple[float, float]:
    """Where data point ``(x, y)`` lands in the saved image, as % from its left and from its top.

    Valid once the axes' limits are final (the figure has fixed margins, no layout engine).
    """
    px, py = axes.transData.transform((x, y))
    fx, fy = axes.figure.transFigure.inverted().transform((px, py))
    return 100.0 * float(fx), 100.0 * (1.0 - float(fy))


def require_matplotlib() -> None:
    """Import matplotlib with the Agg backend, else :class:`MatplotlibMissingError` (how to install it)."""
    try:
        import matplotlib
    except ImportError as exc:
        from brain.install_hint import install_command

        raise MatplotlibMissingError(f"brain report needs matplotlib: {install_command('report')}") from exc
    matplotlib.use("Agg", force=True)


LEFT_IN = 1.5
"""Every day chart's left margin, so their time axes line up (a device row under its hour of heat)
and the longest row name (``Substrate moisture``, ``circulation_fan``) fits."""
RIGHT_IN = 0.4
"""Room right of the last hour: the closing ``00:00`` tick label is centred on the edge and
would otherwise be cut in half."""


def new_figure(height_in: float, *, left_in: float = LEFT_IN, top_in: float = 0.35) -> tuple[Figure, Axes]:
    """A figure of the report's width with one styled axes; margins in inches (room for labels, legend)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    # Fixed margins, not a layout engine: constrained layout draws every chart twice.
    figure.subplots_adjust(
        left=left_in / WIDTH_IN,
        right=1.0 - RIGHT_IN / WIDTH_IN,
        top=1.0 - top_in / height_in,
        bottom=0.4 / height_in,
    )
    axes = figure.add_subplot()
    axes.grid(True, color="#e6e6e6", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#999999")
    axes.tick_params(colors=COLOURS["text"], labelsize=9)
    return figure, axes


def png_bytes(figure: Figure) -> bytes:
    """Render a figure to PNG (no metadata, so the same data gives the same bytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def legend_above(axes: Axes) -> None:
    """The legend in one row above the plot, where it never hides a curve."""
    axes.legend(
        loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, frameon=False, ncols=6, borderaxespad=0.2
    )


def say_no_data(axes: Axes, text: str) -> None:
    """Write why a chart is empty across it, instead of leaving a blank frame."""
    axes.text(
        0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center",
        fontsize=12, color=COLOURS["muted"], wrap=True,
    )  # fmt: skip


def num(moment: datetime) -> float:
    """An instant as matplotlib's date number (days since 1970-01-01 UTC, its default epoch)."""
    return moment.timestamp() / 86400.0


def broken_line(
    times: Sequence[datetime], values: Sequence[float], longest_step: timedelta
) -> tuple[list[float], list[float]]:
    """The points with a NaN after each gap longer than ``longest_step``: no line is drawn across a gap."""
    xs: list[float] = []
    ys: list[float] = []
    for index, (moment, value) in enumerate(zip(times, values, strict=True)):
        if index and moment - times[index - 1] > longest_step:
            xs.append(num(times[index - 1] + longest_step))
            ys.append(math.nan)
        xs.append(num(moment))
        ys.append(value)
    return xs, ys


def time_axis(axes: Axes, start: datetime, end: datetime, zone: Any, *, days: bool = False) -> None:
    """Local clock times (or dates) along x, from ``start`` to ``end``."""
    import matplotlib.dates as mdates

    axes.set_xlim(num(start), num(end))
    if days:
        axes.xaxis.set_major_locator(mdates.DayLocator(tz=zone))  # type: ignore[no-untyped-call]
    else:
        axes.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 2), tz=zone))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b" if days else "%H:%M", tz=zone))  # type: ignore[no-untyped-call]
