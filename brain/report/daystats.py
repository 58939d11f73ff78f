"""What a grower reads off a day: means, extremes, the true VPD maximum, light integral, completeness.

Everything is computed from the observations (every poll), not from the states (every 15
minutes), so the day's real peak is in it. Readings of a sensor while its health was
``faulty`` are left out of every figure (and drawn grey on the curves); the page says so.
VPD is computed per observation with the estimator's own formula (:func:`brain.estimator.vpd_kpa`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from brain.contracts import ActionV1, ObservationV1, SensorKey
from brain.episodes import Episode, EpisodeKey
from brain.estimator import PsychrometricInputError, vpd_kpa
from brain.report import targets
from brain.report.days import DayWindow
from brain.report.records import DayRecords
from brain.report.timeline import (
    Span,
    device_positions,
    device_spans,
    faulty_spans,
    gap_spans,
    health_spans,
    poll_interval_s,
    severity_spans,
    trigger_threshold,
)

VPD = "vpd_kpa"
"""The series key of the VPD computed per observation."""

QUANTITIES: dict[str, tuple[str, str]] = {
    SensorKey.AIR_TEMPERATURE_C.value: ("Air temperature", "°C"),
    SensorKey.RELATIVE_HUMIDITY_PCT.value: ("Relative humidity", "%"),
    VPD: ("VPD", "kPa"),
    SensorKey.CO2_PPM.value: ("CO₂", "ppm"),
    SensorKey.PAR_UMOL_M2_S.value: ("PAR", "µmol/m²/s"),
    SensorKey.SUBSTRATE_MOISTURE_PCT.value: ("Substrate moisture", "%"),
}
"""Every series of the report: its name for a grower and its unit, in the page's order."""

MIN_SHARE_PCT = 80.0
"""A figure computed over less of the day than this (in % of the day's polls) is *partial*: shown,
marked so, and never judged good. Why 80 %: a day missing a fifth of its readings can miss
the whole afternoon peak or the night, which is what the day's figures are read for (a VPD
"85 % in band" from 42 % of the day says nothing about the other 58 %). ``brain report
--min-share`` sets another."""

GAP_POLLS = 5
"""Missing this many polls in a row (and at least MIN_GAP) is a gap worth naming."""
MIN_GAP = timedelta(minutes=15)


@dataclass
class Series:
    """One quantity over the day: trusted readings, and the readings left out while its sensor was faulty."""

    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    excluded_times: list[datetime] = field(default_factory=list)
    excluded_values: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Extreme:
    """A value and when it was read."""

    value: float
    at: datetime


@dataclass(frozen=True)
class QuantityStats:
    """Min, max and mean of one quantity and how many of the expected readings it had."""

    readings: int
    minimum: Extreme | None
    maximum: Extreme | None
    mean: float | None


@dataclass
class DaySummary:
    """One local day, ready to draw and to read aloud."""

    window: DayWindow
    zone: ZoneInfo
    poll_interval_s: float | None
    expected_polls: int | None
    observation_times: list[datetime]
    series: dict[str, Series]
    stats: dict[str, QuantityStats]
    is_day: list[bool]
    day_basis: str
    temperature_means: dict[str, float | None]
    vpd_in_band_pct: float | None
    dli_mol_m2_d: float | None
    health: dict[SensorKey, list[Span]]
    devices: dict[str, list[Span]]
    """Each relay's ``on`` (and ``unknown``) runs, by name."""
    positions: dict[str, tuple[list[datetime], list[float]]]
    """Each positioned device's opening in %, by name (DeviceStatusV1 1.1; empty for older logs)."""
    actions: list[ActionV1]
    episodes: list[Episode]
    severity_spans: dict[EpisodeKey, list[Span]]
    """Each episode's levels as they happened (a warning escalated at 14:10 is critical from then)."""
    trigger_thresholds: dict[EpisodeKey, float]
    """The threshold crossed to reach each episode's worst level (not the release one)."""
    gaps: list[Span]
    notes: list[str]
    malformed_lines: int
    sensor_errors: dict[str, str] = field(default_factory=dict)
    """The last error the source gave for each sensor (``not in source log``)."""
    min_share_pct: float = MIN_SHARE_PCT

    @property
    def observation_count(self) -> int:
        """Observations received on the day."""
        return len(self.observation_times)

    @property
    def completeness_pct(self) -> float | None:
        """Observations received, as a percentage of the polls the day should have had."""
        if not self.expected_polls:
            return None
        return min(100.0, 100.0 * self.observation_count / self.expected_polls)

    def sensor_completeness_pct(self, key: str) -> float | None:
        """Trusted readings of one sensor as a percentage of the expected polls."""
        if not self.expected_polls:
            return None
        return min(100.0, 100.0 * self.stats[key].readings / self.expected_polls)

    def is_partial(self, key: str) -> bool:
        """Whether figures of ``key`` come from less than :attr:`min_share_pct` of the day's polls."""
        share = self.sensor_completeness_pct(key)
        return share is None or share < self.min_share_pct

    @property
    def never_read(self) -> dict[str, str]:
        """Sensors without a single reading all day (trusted or not), with the source's reason if any.

        A sensor a site never had (OSU logs no PAR) is named once for the day, not once per
        figure it would have fed.
        """
        if not self.observation_count:
            return {}
        return {
            key.value: self.sensor_errors.get(key.value, "")
            for key in SensorKey
            if not self.stats[key.value].readings and not self.series[key.value].excluded_values
        }

    def local(self, moment: datetime) -> datetime:
        """An instant in the site's zone."""
        return moment.astimezone(self.zone)


def summarise(
    day: DayRecords, zone: ZoneInfo, until: datetime | None = None, *, min_share_pct: float = MIN_SHARE_PCT
) -> DaySummary:
    """Compute the day's figures; ``until`` ends a day still in progress (now), else the window's end."""
    window = day.window
    end = min(until, window.end) if until is not None else window.end
    times = [obs.timestamp for obs in day.observations]
    poll_s = poll_interval_s(times)
    step = timedelta(seconds=poll_s) if poll_s else MIN_GAP
    data_end = end if times and times[-1] + 2 * step >= end else (times[-1] + step if times else window.start)
    health = health_spans(day.health, window.start, data_end)
    faulty = faulty_spans(health)
    series = _series(day.observations, faulty)
    is_day, day_basis = _daylight(day.observations, series, faulty, zone)
    expected = round((end - window.start).total_seconds() / poll_s) if poll_s else None
    stats = {key: _stats(s) for key, s in series.items()}
    summary = DaySummary(
        window=window,
        zone=zone,
        poll_interval_s=poll_s,
        expected_polls=expected,
        observation_times=times,
        series=series,
        stats=stats,
        is_day=is_day,
        day_basis=day_basis,
        temperature_means=_temperature_means(day.observations, is_day, faulty),
        vpd_in_band_pct=_in_band_pct(series[VPD].values, targets.VPD_KPA),
        dli_mol_m2_d=_light_integral(series[SensorKey.PAR_UMOL_M2_S.value], step),
        health=health,
        devices=device_spans(day.device_status, 2 * step, data_end),
        positions=device_positions(day.device_status),
        actions=day.actions,
        episodes=day.episodes,
        severity_spans={e.key: severity_spans(day.anomalies, e, end) for e in day.episodes},
        trigger_thresholds={e.key: trigger_threshold(day.anomalies, e) for e in day.episodes},
        gaps=gap_spans(times, window.start, end, max(GAP_POLLS * step, MIN_GAP), step),
        notes=[],
        malformed_lines=day.malformed_lines,
        sensor_errors={key.value: _error_text(day.observations, key) for key in SensorKey},
        min_share_pct=min_share_pct,
    )
    summary.notes = missing_notes(summary, day.observations)
    return summary


def _in(spans: list[Span], moment: datetime) -> bool:
    return any(span.start <= moment < span.end for span in spans)


def _series(observations: Sequence[ObservationV1], faulty: dict[SensorKey, list[Span]]) -> dict[str, Series]:
    series = {key: Series() for key in QUANTITIES}
    for obs in observations:
        trusted: dict[str, float | None] = {}
        for key in SensorKey:
            value = obs.sensors.get(key)
            if value is None:
                continue
            own = series[key.value]
            if _in(faulty.get(key, []), obs.timestamp):
                own.excluded_times.append(obs.timestamp)
                own.excluded_values.append(value)
                trusted[key.value] = None
            else:
                own.times.append(obs.timestamp)
                own.values.append(value)
                trusted[key.value] = value
        vpd = vpd_or_none(
            trusted.get(SensorKey.AIR_TEMPERATURE_C.value), trusted.get(SensorKey.RELATIVE_HUMIDITY_PCT.value)
        )
        if vpd is not None:
            series[VPD].times.append(obs.timestamp)
            series[VPD].values.append(vpd)
    return series


def vpd_or_none(temp_c: float | None, rh_pct: float | None) -> float | None:
    """VPD with the estimator's formula; ``None`` without a temperature and a humidity it can take."""
    if temp_c is None or rh_pct is None:
        return None
    try:
        return vpd_kpa(temp_c, rh_pct)
    except PsychrometricInputError:
        return None


def _stats(series: Series) -> QuantityStats:
    if not series.values:
        return QuantityStats(0, None, None, None)
    low = min(range(len(series.values)), key=series.values.__getitem__)
    high = max(range(len(series.values)), key=series.values.__getitem__)
    return QuantityStats(
        readings=len(series.values),
        minimum=Extreme(series.values[low], series.times[low]),
        maximum=Extreme(series.values[high], series.times[high]),
        mean=statistics.fmean(series.values),
    )


def _daylight(
    observations: Sequence[ObservationV1],
    series: dict[str, Series],
    faulty: dict[SensorKey, list[Span]],
    zone: ZoneInfo,
) -> tuple[list[bool], str]:
    """Day or night for each observation: by PAR where it was read and trusted, else by the clock."""
    first, last = targets.FALLBACK_DAY_HOURS
    par_key = SensorKey.PAR_UMOL_M2_S
    flags = []
    by_clock = 0
    for obs in observations:
        par = obs.sensors.get(par_key)
        if par is not None and not _in(faulty.get(par_key, []), obs.timestamp):
            flags.append(par > targets.DAYLIGHT_PAR_UMOL_M2_S)
        else:
            by_clock += 1
            flags.append(first <= obs.timestamp.astimezone(zone).hour < last)
    clock = f"{first:02d}:00-{last:02d}:00 local time"
    if not series[par_key.value].values:
        return flags, f"{clock} (no PAR readings to tell day from night)"
    if by_clock:
        return flags, f"PAR above {targets.DAYLIGHT_PAR_UMOL_M2_S:g} µmol/m²/s; {clock} where PAR was missing"
    return flags, f"PAR above {targets.DAYLIGHT_PAR_UMOL_M2_S:g} µmol/m²/s"


def _temperature_means(
    observations: Sequence[ObservationV1], is_day: list[bool], faulty: dict[SensorKey, list[Span]]
) -> dict[str, float | None]:
    key = SensorKey.AIR_TEMPERATURE_C
    day: list[float] = []
    night: list[float] = []
    for obs, daytime in zip(observations, is_day, strict=True):
        value = obs.sensors.get(key)
        if value is None or _in(faulty.get(key, []), obs.timestamp):
            continue
        (day if daytime else night).append(value)
    return {
        "day": statistics.fmean(day) if day else None,
        "night": statistics.fmean(night) if night else None,
        "24h": statistics.fmean(day + night) if day or night else None,
    }


def _in_band_pct(values: list[float], band: targets.Band) -> float | None:
    if not values:
        return None
    inside = sum(1 for value in values if band.low <= value <= band.high)
    return 100.0 * inside / len(values)


def _light_integral(par: Series, step: timedelta) -> float | None:
    """DLI in mol/m²/day: sum of PAR x seconds / 1e6; a reading counts until the next, at most two polls."""
    if not par.values:
        return None
    longest = 2 * step.total_seconds()
    total = 0.0
    for index, value in enumerate(par.values):
        if index + 1 < len(par.times):
            seconds = min((par.times[index + 1] - par.times[index]).total_seconds(), longest)
        else:
            seconds = step.total_seconds()
        total += value * seconds
    return total / 1e6


def missing_notes(summary: DaySummary, observations: Sequence[ObservationV1]) -> list[str]:
    """What the day lacks, in sentences: empty day, gaps, sensors without readings, faulty sensors."""
    if not observations:
        return ["No observations on this day: nothing to draw or to compute."]
    notes = []
    local = summary.local
    for gap in summary.gaps:
        notes.append(
            f"No observations from {local(gap.start):%H:%M} to {_end_text(summary, gap.end)} "
            f"({gap.hours:.1f} h)."
        )
    notes += never_read_notes(summary.never_read, "all day")
    for key in SensorKey:
        name = QUANTITIES[key.value][0]
        for span in summary.health.get(key, []):
            if not span.label.startswith("faulty"):
                continue
            whole = span.start <= summary.window.start and span.end >= observations[-1].timestamp
            when = "all day" if whole else f"from {local(span.start):%H:%M} to {_end_text(summary, span.end)}"
            notes.append(f"{name} sensor {span.label} {when}: its readings then are left out of the figures.")
    par = SensorKey.PAR_UMOL_M2_S.value
    if summary.stats[par].readings == 0 and par not in summary.never_read:
        notes.append("No light integral: no trusted PAR readings.")
    partial = [
        QUANTITIES[key][0] for key in QUANTITIES if key not in summary.never_read and summary.is_partial(key)
    ]
    if partial:
        notes.append(
            f"Partial figures (from less than {summary.min_share_pct:g} % of the day, not judged): "
            + ", ".join(partial)
            + "."
        )
    if summary.malformed_lines:
        notes.append(f"{summary.malformed_lines} unreadable line(s) in the data root were skipped.")
    return notes


def never_read_notes(never_read: dict[str, str], period: str) -> list[str]:
    """One line per reason for the sensors never read, e.g. ``No PAR or CO₂ readings all day (...)``.

    What the missing sensor would have fed is said in the same line (no PAR, no light integral),
    so a site without a sensor reads one line about it, not one per figure.
    """
    by_reason: dict[str, list[str]] = {}
    for key, why in never_read.items():
        by_reason.setdefault(why, []).append(key)
    lines = []
    for why, keys in by_reason.items():
        names = [_in_sentence(QUANTITIES[key][0]) for key in keys]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        line = f"No {listed} readings {period}{f' ({why})' if why else ''}"
        if SensorKey.PAR_UMOL_M2_S.value in keys:
            line += ": no light integral, day and night by the clock"
        lines.append(line + ".")
    return lines


def _in_sentence(name: str) -> str:
    """``substrate moisture`` inside a sentence; ``PAR`` and ``CO₂`` stay as they are."""
    return name if name[:2].isupper() else name[0].lower() + name[1:]


def _end_text(summary: DaySummary, moment: datetime) -> str:
    return "24:00" if moment >= summary.window.end else f"{summary.local(moment):%H:%M}"


def _error_text(observations: Sequence[ObservationV1], key: SensorKey) -> str:
    for obs in reversed(observations):
        if key in obs.errors:
            return obs.errors[key]
    return ""
