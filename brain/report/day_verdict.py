"""The day in one line, at the top of its page: what went wrong and what to check, worst first.

A grower opening the page wants the answer before the charts: "10 h above 30 °C; humidity
sensor stuck since 09:59: check it". The line is built from the same figures the page shows
(hours past the heat and chill limits of :mod:`brain.report.targets`, sensors still faulty at
the day's end or read too little, critical episodes, devices the advisor says to inspect,
gaps, then the other episodes) and says "nothing to check" on a good day, with the figures
that make it good.
"""

from __future__ import annotations

from datetime import timedelta

from brain.contracts import SensorKey
from brain.names import Severity
from brain.report import targets
from brain.report.daystats import QUANTITIES, VPD, DaySummary, Series

MAX_CLAUSES = 4
"""More than this and the line stops being one line; the page below has the rest."""

MIN_HOURS = 0.25
"""Hours past a limit shorter than this (a few polls) are not worth the verdict's space."""


def hours_beyond(series: Series, limit: float, *, above: bool, longest: timedelta) -> float:
    """Hours the readings spent beyond ``limit``; a reading counts until the next, at most ``longest``."""
    seconds = 0.0
    for index, (moment, value) in enumerate(zip(series.times, series.values, strict=True)):
        if (value > limit) if above else (value < limit):
            following = series.times[index + 1] if index + 1 < len(series.times) else moment + longest
            seconds += min(following - moment, longest).total_seconds()
    return seconds / 3600.0


def day_verdict(summary: DaySummary) -> tuple[str, str]:
    """``(line, level)``: the day's verdict and ``good``, ``warn`` or ``bad`` for its colour."""
    if not summary.observation_count:
        return "No observations on this day: nothing to judge.", "bad"
    clauses: list[str] = []
    level = "good"
    longest = timedelta(seconds=2 * (summary.poll_interval_s or 900))
    temperature = summary.series[SensorKey.AIR_TEMPERATURE_C.value]
    for limit, above, word in ((targets.HOT_C, True, "above"), (targets.CHILL_C, False, "below")):
        hours = hours_beyond(temperature, limit, above=above, longest=longest)
        if hours >= MIN_HOURS:
            clauses.append(f"{hours:.1f} h {word} {limit:g} °C".replace(".0 h", " h"))
            level = "warn" if level == "good" else level
    faulty = _faulty_at_end(summary)
    clauses += faulty
    clauses += _read_too_little(summary)
    critical = sorted(
        {e.kind.value.replace("_", " ") for e in summary.episodes if e.severity is Severity.CRITICAL}
    )
    if critical:
        clauses.append("critical: " + ", ".join(critical))
    inspect = sorted({a.target_device for a in summary.actions if a.action_type.value.startswith("inspect")
                      and a.target_device})  # fmt: skip
    if inspect:
        clauses.append("advice: inspect " + ", ".join(inspect))
    missing = sum(gap.hours for gap in summary.gaps)
    if missing >= MIN_HOURS:
        clauses.append(f"no data for {missing:.1f} h")
    warnings = sorted({e.kind.value.replace("_", " ") for e in summary.episodes} - set(critical))
    if warnings:
        clauses.append("warning: " + ", ".join(warnings))
    if faulty or critical:
        level = "bad"
    elif missing >= MIN_HOURS or summary.episodes or clauses:
        level = "warn"
    if not clauses:
        return _good_day(summary), level
    line = "; ".join(clauses[:MAX_CLAUSES])
    return line[0].upper() + line[1:] + ".", level


def _faulty_at_end(summary: DaySummary) -> list[str]:
    """``humidity sensor stuck since 09:59: check it`` for each sensor still faulty when the data ends."""
    clauses = []
    for key, spans in summary.health.items():
        last = spans[-1] if spans else None
        if last is None or not last.label.startswith("faulty"):
            continue
        fault = last.label.split(": ", 1)[-1].replace("_at", "").replace("_", " ")
        name = _sensor_name(key)
        since = (
            "all day" if last.start <= summary.window.start else f"since {summary.local(last.start):%H:%M}"
        )
        clauses.append(f"{name} sensor {fault} {since}: check it")
    return clauses


def _read_too_little(summary: DaySummary) -> list[str]:
    """``humidity read 42 % of the day: check it`` for a sensor with too few readings (not a missing one)."""
    clauses = []
    for key in SensorKey:
        share = summary.sensor_completeness_pct(key.value)
        if key.value in summary.never_read or share is None or not summary.is_partial(key.value):
            continue
        if any(span.label.startswith("faulty") for span in summary.health.get(key, [])[-1:]):
            continue  # said already, with its fault
        clauses.append(f"{_sensor_name(key)} read {share:.0f} % of the day: check it")
    return clauses


def _sensor_name(key: SensorKey) -> str:
    """``humidity``, ``air temperature``, ``PAR``: the sensor as a grower says it in a sentence."""
    name = QUANTITIES[key.value][0].replace("Relative humidity", "humidity")
    return name if name[:2].isupper() else name[0].lower() + name[1:]


def _good_day(summary: DaySummary) -> str:
    """The figures that make a day good, or what could not be judged."""
    temperature = summary.stats[SensorKey.AIR_TEMPERATURE_C.value]
    parts = []
    if temperature.minimum and temperature.maximum:
        parts.append(f"temperature {temperature.minimum.value:.1f}-{temperature.maximum.value:.1f} °C")
    if summary.vpd_in_band_pct is not None and not summary.is_partial(VPD):
        parts.append(f"VPD in band {summary.vpd_in_band_pct:.0f} % of the day")
    said = ", ".join(parts)
    return (said[0].upper() + said[1:] + ": nothing to check.") if said else "Nothing to check."
