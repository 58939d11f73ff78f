"""Drift of the air temperature and humidity sensors: a slow departure from the reference day.

Why against a reference day and the dew point: a greenhouse's temperature
moves by many degrees every day, so a drifting sensor is only visible against
what the same half hour looked like on a recent clean day, and a warm, sunny
day after a dull one also departs from it. What tells them apart is the
co-located humidity (Ni et al. 2009 judge drift against neighbouring sensors):

- weather: warmer air has a lower RH at the same water content, so the dew
  point computed from temperature and RH stays near the reference;
- a temperature sensor reading high while the RH sensor is right: RH does not
  fall, so the computed dew point rises with the temperature.

Temperature drifts when its half-hour mean departs from the reference by
``temperature_offset_c`` or more and the dew point departed in the same
direction by at least ``temperature_dew_point_ratio`` of it, for ``sustain_s``
in a row, on the same side, and the departure over that time is a steady ramp
(least-squares slope at least ``temperature_slope_c_per_h`` away from the
reference, R^2 at least ``min_r2``): a drifting sensor walks away, while weather
departures come and go with the day. A departure of ``temperature_offset_large_c``
or more held for ``large_sustain_s`` counts too, ramp or not: an offset that
appeared in one step (a sensor swapped or knocked), which the jump rule accepts
as a new level after one reading. Humidity drifts when it departs by
``humidity_offset_pct`` while temperature stays within
``humidity_max_temperature_offset_c`` (dew point moving with it), for
``sustain_s``, ramping at ``humidity_slope_pct_per_h``. A drift ends when the departure falls
below half its offset (or changes side). The reference is the same half hour
one day earlier (a ring of one mean per half hour); while a drift lasts the
ring is frozen, so a drifting sensor never becomes its own reference. Drift
needs a reference day: it is judged from the second day of data on.
"""

from __future__ import annotations

import math

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
        self._ref_t = [math.nan] * self._slots
        self._ref_rh = [math.nan] * self._slots
        self._ref_time = [-math.inf] * self._slots
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
        slot = bucket % self._slots
        frozen = self.temperature.active or self.humidity.active
        age = end - self._ref_time[slot]
        usable = age <= settings.reference_lag_s + settings.bucket_s / 2 or (frozen and age < math.inf)
        ref_rh = self._ref_rh[slot]
        if usable and mean_rh > 0 and ref_rh > 0:
            self._judge(start, end, (mean_t, mean_rh), (self._ref_t[slot], ref_rh))
        else:
            self.temperature.reset()
            self.humidity.reset()
        if not (self.temperature.active or self.humidity.active):
            self._ref_t[slot] = mean_t
            self._ref_rh[slot] = mean_rh
            self._ref_time[slot] = end

    def _judge(self, start: float, end: float, now: tuple[float, float], ref: tuple[float, float]) -> None:
        mean_t, mean_rh = now
        ref_t, ref_rh = ref
        settings = self._settings
        d_t = mean_t - ref_t
        d_rh = mean_rh - ref_rh
        d_dew = dew_point_c(mean_t, mean_rh) - dew_point_c(ref_t, ref_rh)  # both RH above 0: see _close
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
        self.temperature.evidence = (window, "offset_from_reference_c", d_t, settings.temperature_offset_c)
        self.humidity.evidence = (window, "offset_from_reference_pct", d_rh, settings.humidity_offset_pct)
        t_holds = abs(d_t) >= settings.temperature_offset_c / 2
        rh_holds = abs(d_rh) >= settings.humidity_offset_pct / 2
        self.temperature.update(d_t, departs=t_departs, holds=t_holds, start=start, end=end, sustain_s=window)
        self.humidity.update(d_rh, departs=rh_departs, holds=rh_holds, start=start, end=end, sustain_s=window)
