"""Drift of the air temperature and humidity sensors: a slow departure from a week of references.

Why a week's envelope and the dew point: a greenhouse's temperature moves by many
degrees every day, so a drifting sensor is only visible against what the same half
hour looked like on earlier days; but "yesterday" is fooled by a warm day after a
cool one (the OSU 2024 season: two false drift verdicts in its first, ventilated
weeks). So the reference is the **envelope** of the same half hour over the last
``reference_days`` days (its lowest and highest half-hour mean), and a departure is
counted only beyond it: a warm spell must be warmer than every day of the week
before, at the same half hour, for twelve hours in a row, ramping steadily; a season
change moves the envelope with it, a day at a time. With one temperature and one
humidity sensor no reference is immune to weather: this one makes a false verdict
rare, and a verdict makes the sensor suspect (``degraded``: still used, trust
halved), never excluded, so a wrong one costs confidence, not the data.

The co-located humidity decides the direction (Ni et al. 2009 judge drift against
neighbouring sensors): warmer air has a lower RH at the same water content, so the
dew point computed from temperature and RH stays inside its own envelope in
weather, while a temperature sensor reading high beside a correct RH sensor carries
the computed dew point out with it.

Temperature drifts when its half-hour mean is ``temperature_offset_c`` or more
beyond the envelope and the dew point left its envelope on the same side by at
least ``temperature_dew_point_ratio`` of that, for ``sustain_s`` in a row, and the
departure over that time is a steady ramp (least-squares slope at least
``temperature_slope_c_per_h``, R^2 at least ``min_r2``). A departure of
``temperature_offset_large_c`` held for ``large_sustain_s`` counts too, ramp or not:
an offset that appeared in one step (a sensor swapped or knocked). Humidity drifts
when it is ``humidity_offset_pct`` beyond its envelope while temperature stays within
``humidity_max_temperature_offset_c`` of its own, for ``sustain_s``, ramping at
``humidity_slope_pct_per_h``. A drift ends when the departure falls below half its
offset (or changes side). While a drift lasts the references are frozen, so a
drifting sensor never becomes its own reference. Drift is judged from the second
day of data on (one reference day; the envelope widens as days are added).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from brain.estimator.health import Evidence
from brain.estimator.settings import DriftSettings
from brain.estimator.timeline import bucket_end
from brain.estimator.vpd import dew_point_c

DriftVerdict = tuple[float, Evidence] | None
"""``(onset, evidence)`` while a sensor drifts, else ``None``."""


class _Departure:
    """One sensor's run of half-hours departing from its reference, on one side."""

    __slots__ = (
        "active",
        "evidence",
        "large",
        "large_start",
        "large_sustain_s",
        "min_r2",
        "min_slope_per_h",
        "points",
        "run_start",
        "upward",
    )

    def __init__(self, min_slope_per_h: float, min_r2: float, large: float, large_sustain_s: float) -> None:
        self.min_slope_per_h = min_slope_per_h
        self.min_r2 = min_r2
        self.large = large
        self.large_sustain_s = large_sustain_s
        self.run_start: float | None = None
        self.large_start: float | None = None
        self.upward = True
        self.active = False
        self.points: list[tuple[float, float]] = []
        """(end time in hours, departure) of the half hours of the current run."""
        self.evidence: Evidence = (0.0, "offset_from_reference", None, None)

    def update(
        self, departure: float, *, departs: bool, holds: bool, start: float, end: float, sustain_s: float
    ) -> None:
        """Account one judged half hour ``[start, end)`` whose mean departed by ``departure``."""
        upward = departure > 0
        if self.active:
            if not holds or upward is not self.upward:
                self.active = False
                self.reset()
            return
        if not departs or (self.run_start is not None and upward is not self.upward):
            self.reset()
        if not departs:
            return
        if self.run_start is None:
            self.run_start = start
            self.upward = upward
        self.points.append((end / 3600.0, departure))
        if abs(departure) < self.large:
            self.large_start = None
        elif self.large_start is None:
            self.large_start = start
        ramped = end - self.run_start >= sustain_s and self._ramps(end / 3600.0 - sustain_s / 3600.0)
        offset = self.large_start is not None and end - self.large_start >= self.large_sustain_s
        if ramped or offset:
            self.active = True

    def _ramps(self, since_h: float) -> bool:
        """Whether the departure since ``since_h`` is a steady ramp (least-squares slope and R^2)."""
        window = [(x, y) for x, y in self.points if x > since_h]
        n = len(window)
        if n < 3:
            return False
        mean_x = sum(x for x, _ in window) / n
        mean_y = sum(y for _, y in window) / n
        sxx = sum((x - mean_x) ** 2 for x, _ in window)
        sxy = sum((x - mean_x) * (y - mean_y) for x, y in window)
        syy = sum((y - mean_y) ** 2 for _, y in window)
        if sxx <= 0 or syy <= 0:
            return False
        slope = sxy / sxx
        r2 = sxy * sxy / (sxx * syy)
        toward = slope if self.upward else -slope
        return toward >= self.min_slope_per_h and r2 >= self.min_r2

    def reset(self) -> None:
        """A half hour could not be judged: a building run is broken; an active drift stays."""
        if not self.active:
            self.run_start = None
            self.large_start = None
            self.points = []

    def verdict(self) -> DriftVerdict:
        if not self.active or self.run_start is None:
            return None
        return self.run_start, self.evidence


class DriftDetector:
    """Judges temperature and humidity drift from half-hour means of their accepted readings."""

    def __init__(self, settings: DriftSettings) -> None:
        self._settings = settings
        self._slots = int(settings.reference_lag_s // settings.bucket_s)
        self._references: list[deque[_Reference]] = [
            deque(maxlen=settings.reference_days) for _ in range(self._slots)
        ]
        """Per half hour of the day: its means on the last ``reference_days`` days."""
        self._bucket = -1
        self._bucket_s = settings.bucket_s
        self._bucket_end = -math.inf
        """Where the current half hour ends: until then a step needs one comparison (see ``advance``)."""
        self._sum_t = self._sum_rh = 0.0
        self._n_t = self._n_rh = 0
        self.temperature = _Departure(
            settings.temperature_slope_c_per_h,
            settings.min_r2,
            settings.temperature_offset_large_c,
            settings.large_sustain_s,
        )
        self.humidity = _Departure(
            settings.humidity_slope_pct_per_h,
            settings.min_r2,
            settings.humidity_offset_large_pct,
            settings.large_sustain_s,
        )

    def advance(self, t: float) -> bool:
        """Move to the half hour of ``t``; return ``True`` when a half hour closed and was judged.

        ``t`` is estimator time, which only grows: a time before the current half
        hour's end is in it (see :func:`~brain.estimator.timeline.bucket_end`).
        """
        if t < self._bucket_end:
            return False
        bucket = int(t // self._bucket_s)
        if bucket == self._bucket:
            return False
        closed = self._bucket >= 0
        if closed:
            self._close(self._bucket)
        self._bucket = bucket
        self._bucket_end = bucket_end(bucket, self._bucket_s)
        self._sum_t = self._sum_rh = 0.0
        self._n_t = self._n_rh = 0
        return closed

    def add(self, temp_c: float | None, rh_pct: float | None) -> None:
        """Add one step's accepted readings to the current half hour."""
        if temp_c is not None:
            self._sum_t += temp_c
            self._n_t += 1
        if rh_pct is not None:
            self._sum_rh += rh_pct
            self._n_rh += 1

    def _close(self, bucket: int) -> None:
        settings = self._settings
        start = bucket * settings.bucket_s
        end = start + settings.bucket_s
        if not self._n_t or not self._n_rh:
            self.temperature.reset()
            self.humidity.reset()
            return
        mean_t = self._sum_t / self._n_t
        mean_rh = min(self._sum_rh / self._n_rh, 100.0)
        references = self._references[bucket % self._slots]
        frozen = self.temperature.active or self.humidity.active
        oldest = end - settings.reference_days * settings.reference_lag_s - settings.bucket_s / 2
        usable = [r for r in references if frozen or r.end >= oldest]
        if usable and mean_rh > 0:
            self._judge(start, end, _Reference(mean_t, mean_rh, dew_point_c(mean_t, mean_rh), end), usable)
        else:
            self.temperature.reset()
            self.humidity.reset()
        if not (self.temperature.active or self.humidity.active) and mean_rh > 0:
            references.append(_Reference(mean_t, mean_rh, dew_point_c(mean_t, mean_rh), end))

    def _judge(self, start: float, end: float, now: _Reference, references: list[_Reference]) -> None:
        settings = self._settings
        d_t = _beyond(now.temperature_c, [r.temperature_c for r in references])
        d_rh = _beyond(now.humidity_pct, [r.humidity_pct for r in references])
        d_dew = _beyond(now.dew_point_c, [r.dew_point_c for r in references])
        t_departs = (
            abs(d_t) >= settings.temperature_offset_c
            and d_t * d_dew > 0
            and d_dew / d_t >= settings.temperature_dew_point_ratio
        )
        rh_departs = (
            abs(d_rh) >= settings.humidity_offset_pct
            and abs(d_t) < settings.humidity_max_temperature_offset_c
            and d_rh * d_dew > 0
        )
        window = settings.sustain_s
        self.temperature.evidence = (
            window,
            "offset_beyond_week_c",
            d_t,
            settings.temperature_offset_c,
        )
        self.humidity.evidence = (
            window,
            "offset_beyond_week_pct",
            d_rh,
            settings.humidity_offset_pct,
        )
        t_holds = abs(d_t) >= settings.temperature_offset_c / 2
        rh_holds = abs(d_rh) >= settings.humidity_offset_pct / 2
        self.temperature.update(d_t, departs=t_departs, holds=t_holds, start=start, end=end, sustain_s=window)
        self.humidity.update(d_rh, departs=rh_departs, holds=rh_holds, start=start, end=end, sustain_s=window)


@dataclass(frozen=True, slots=True)
class _Reference:
    """One half hour's means: a day's point of the reference envelope."""

    temperature_c: float
    humidity_pct: float
    dew_point_c: float
    end: float
    """When the half hour ended (estimator time): references older than the week are not used."""


def _beyond(value: float, references: list[float]) -> float:
    """How far ``value`` lies outside the envelope of ``references`` (signed; 0 inside it)."""
    low, high = min(references), max(references)
    if value > high:
        return value - high
    if value < low:
        return value - low
    return 0.0
