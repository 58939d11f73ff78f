"""Figures over the grower's day: the night's mean temperature, the 24-hour mean, the daily light integral.

Why these: a tomato crop is harmed by warm nights and warm days on average, not only by
peaks (a night mean above about 24 degC, a 24-hour mean above 25-26 degC), and it
starves on a day with too little light; docs/anomaly_thresholds.md has the rules and
their sources. Nights and days are the site's local ones: a night from sunset to sunrise
at the site's latitude and longitude (without them, 22:00-06:00 by the clock), a day from
midnight to midnight in the site's time zone, so a 23- or 25-hour DST day is one day.

Each figure counts only with enough data behind it (``min_coverage`` of its window):
a mean of a few readings is not a night's mean. Time between two readings counts as
covered up to ``gap_s``. Values come from the estimator's trusted readings.

Each night and each day is judged as a whole, when it is over: a night's mean is its
figure from 06:00 (describing the night since 22:00) until the next night is over,
so a run of warm nights reads as one episode and a night that starts warm after a hot
day but cools down is not a warm night. Example: readings from 22:00 to 06:00 local
average 24.6 degC; at the first reading after 06:00 ``night_mean_c`` is 24.6 and
``night_start`` the 22:00 before.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from brain.contracts import Metric
from brain.estimator.light import sun_times
from brain.estimator.settings import DailySettings
from brain.estimator.timeline import bucket_end

Moment = tuple[float, datetime]
"""Estimator time and timestamp of an observation or of a period's start."""


class _Mean:
    """A sample mean with the time its samples cover."""

    __slots__ = ("count", "covered_s", "last_t", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0
        self.covered_s = 0.0
        self.last_t: float | None = None

    def add(self, t: float, value: float, gap_s: float) -> None:
        if self.last_t is not None:
            dt = t - self.last_t
            self.covered_s += dt if dt < gap_s else gap_s  # min() without a call: every reading
        self.last_t = t
        self.total += value
        self.count += 1


class DailyFigures:
    """Updated once per observation by :meth:`step`; read its attributes afterwards.

    Why slots: an instance with more than 30 attributes loses Python 3.11's shared-key
    dictionary, and every attribute read of :meth:`step` then costs more (docs/performance.md,
    issue 29); with slots each is a fixed offset.
    """

    __slots__ = (
        "_bin",
        "_bin_end",
        "_bin_mean",
        "_bins",
        "_dark",
        "_day_end",
        "_day_start",
        "_gap_s",
        "_light_covered_s",
        "_light_day",
        "_light_day_start",
        "_light_last_t",
        "_light_mol",
        "_night",
        "_night_end_today",
        "_night_end_tomorrow",
        "_night_key",
        "_night_s",
        "_night_start_today",
        "_night_start_yesterday",
        "_night_started",
        "_settings",
        "_site",
        "_stretch_end",
        "_stretch_start",
        "_sums",
        "_zone",
        "light_day_start",
        "light_integral",
        "mean_24h_c",
        "night_mean_c",
        "night_start",
        "period_starts",
    )

    def __init__(
        self,
        settings: DailySettings,
        *,
        timezone: str,
        gap_s: float,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> None:
        self._settings = settings
        self._zone = ZoneInfo(timezone)
        self._site = None if latitude is None or longitude is None else (latitude, longitude)
        """Where the site is: its nights are sunset to sunrise; ``None``: the clock's night hours."""
        self._night_start_yesterday = self._night_end_tomorrow = 0.0
        self._night_s = 0.0
        """How long the night being averaged lasts (its coverage is judged against it)."""
        self._gap_s = gap_s
        self._day_start = self._day_end = 0.0
        """The current local day, as epoch seconds [start, end)."""
        self._night_end_today = self._night_start_today = 0.0
        self._night_key: float | None = None
        """Epoch start of the night the last reading belonged to (``None`` outside a night)."""
        self._stretch_start = self._stretch_end = 0.0
        """Epoch seconds [start, end) in which neither the local day nor the night changes."""
        self._night = _Mean()
        self._dark = _Mean()
        """The night's readings without lamp light (lamps on at night are the crop's day)."""
        self._bins: deque[tuple[int, float, int, float]] = deque()
        """Closed 5-minute bins of the 24-hour mean: (index, sum, count, covered seconds)."""
        self._bin = -1
        self._bin_end = -math.inf
        """Where bin ``_bin`` ends (``bucket_end``): a later time may be in another bin."""
        self._bin_mean = _Mean()
        self._sums = [0.0, 0.0, 0.0]  # sum, count, covered of the closed bins in the window
        self._light_day: float | None = None
        self._light_day_start: Moment | None = None
        self._light_mol = 0.0
        self._light_covered_s = 0.0
        self._light_last_t: float | None = None
        self.night_mean_c: float | None = None
        """Mean air temperature of the last complete local night (``None`` if too little data)."""
        self.night_start: Moment | None = None
        """When the night ``night_mean_c`` describes began."""
        self._night_started: Moment | None = None
        self.mean_24h_c: float | None = None
        """Mean air temperature over the 24 hours before the last 5-minute bin closed, when they are
        covered enough (it moves a bin at a time: the rule built on it counts hours)."""
        self.light_integral: float | None = None
        """Daily light integral of the last complete local day, mol m-2 d-1 (``None`` without PAR)."""
        self.light_day_start: Moment | None = None
        """When the day ``light_integral`` describes began."""
        self.period_starts: dict[Metric, Moment] = {}
        """Per figure that describes a whole night or day (the night's mean, the light integral),
        when that night or day began, while it has a value: an episode on it starts and ends there
        (``AnomalyDetector.step``'s ``since``). Kept as the figures close, not rebuilt per reading."""

    def step(
        self, t: float, epoch_s: float, temp_c: float | None, par: float | None, light: bool | None = None
    ) -> None:
        """Account one observation at estimator time ``t`` (wall time ``epoch_s``).

        Why the stretch check: ``bench/estimator.py`` holds ``Estimator.step`` to a budget of
        instructions (issue 29), and finding the local day and night of every reading was a tenth
        of it. Between two local boundaries (midnight, the night's start and end) neither
        changes, so one comparison tells that this reading belongs where the last one did; only
        a reading past a boundary (or before it: the wall clock stepped back) looks them up.
        """
        if not self._stretch_start <= epoch_s < self._stretch_end:
            self._cross(t, epoch_s)
        if temp_c is not None:
            if self._night_key is not None:
                self._night.add(t, temp_c, self._gap_s)
                if light is not True:  # lamp-lit hours of the night are the crop's day
                    self._dark.add(t, temp_c, self._gap_s)
            if t >= self._bin_end and int(t // self._settings.bin_s) != self._bin:
                self._close_bin(int(t // self._settings.bin_s))
            self._bin_mean.add(t, temp_c, self._gap_s)
        if par is None:
            self._light_last_t = None
        else:
            if self._light_last_t is not None:
                dt = t - self._light_last_t
                dt = dt if dt < self._gap_s else self._gap_s
                self._light_mol += par * dt / 1e6
                self._light_covered_s += dt
            self._light_last_t = t

    def _cross(self, t: float, epoch_s: float) -> None:
        """A reading outside the last stretch: its local day and night, closing the ones that ended."""
        if not self._day_start <= epoch_s < self._day_end:
            self._find_day(epoch_s)
        self._step_night(t, epoch_s)
        if self._day_start != self._light_day:
            self._close_light_day(t, epoch_s)
        bounds = (self._day_start, self._night_end_today, self._night_start_today, self._day_end)
        self._stretch_start = max(b for b in bounds if b <= epoch_s)
        self._stretch_end = min(b for b in bounds if b > epoch_s)

    def _find_day(self, epoch_s: float) -> None:
        """The local day of ``epoch_s`` and its night boundaries (wall-clock steps back included)."""
        zone = self._zone
        day = datetime.fromtimestamp(epoch_s, zone).date()
        self._day_start = datetime.combine(day, time(0), zone).timestamp()
        self._day_end = datetime.combine(day + timedelta(days=1), time(0), zone).timestamp()
        self._night_end_today, self._night_start_today = self._night_bounds(day)
        self._night_start_yesterday = self._night_bounds(day - timedelta(days=1))[1]
        self._night_end_tomorrow = self._night_bounds(day + timedelta(days=1))[0]

    def _night_bounds(self, day: date) -> tuple[float, float]:
        """When the night before ``day`` ends and the night after it begins (epoch seconds).

        Sunrise and sunset at the site, else the clock's night hours.
        """
        zone = self._zone
        if self._site is not None:
            return sun_times(datetime.combine(day, time(12), zone).timestamp(), *self._site)
        settings = self._settings
        return (
            datetime.combine(day, time(settings.night_end_hour), zone).timestamp(),
            datetime.combine(day, time(settings.night_start_hour), zone).timestamp(),
        )

    def _step_night(self, t: float, epoch_s: float) -> None:
        key: float | None
        if epoch_s < self._night_end_today:
            key = self._night_start_yesterday  # the night began yesterday
            length = self._night_end_today - self._night_start_yesterday
        elif epoch_s >= self._night_start_today:
            key = self._night_start_today
            length = self._night_end_tomorrow - self._night_start_today
        else:
            key = None
            length = 0.0
        if key != self._night_key:
            if self._night_key is not None:  # a night just ended: it is judged as a whole
                self._close_night()
            self._night_key = key
            self._night = _Mean()
            self._dark = _Mean()
            self._night_s = length
            if key is not None:
                self._night_started = (t - (epoch_s - key), datetime.fromtimestamp(key, UTC))

    def _close_night(self) -> None:
        night = self._night
        hours = self._settings
        night_s = self._night_s
        dark = self._dark
        if night.count and dark.count and night.covered_s >= hours.min_coverage * night_s:
            self.night_mean_c = dark.total / dark.count
            self.night_start = self._night_started
        else:
            self.night_mean_c = self.night_start = None
        self._period_began(Metric.NIGHT_MEAN_AIR_TEMPERATURE_C, self.night_start)

    def _close_bin(self, index: int) -> None:
        """The bin before ``index`` is complete: add it, drop bins older than the window, recompute."""
        settings = self._settings
        closed = self._bin_mean
        if self._bin >= 0 and closed.count:
            self._bins.append((self._bin, closed.total, closed.count, closed.covered_s))
            self._sums[0] += closed.total
            self._sums[1] += closed.count
            self._sums[2] += closed.covered_s
        self._bin = index
        self._bin_end = bucket_end(index, settings.bin_s)
        self._bin_mean = _Mean()
        self._bin_mean.last_t = closed.last_t  # coverage runs on across the bin boundary
        oldest = index - int(settings.mean_window_s // settings.bin_s)
        while self._bins and self._bins[0][0] <= oldest:
            _, total, count, covered = self._bins.popleft()
            self._sums[0] -= total
            self._sums[1] -= count
            self._sums[2] -= covered
        total, samples, covered_s = self._sums
        enough = samples and covered_s >= settings.min_coverage * settings.mean_window_s
        self.mean_24h_c = total / samples if enough else None

    def _close_light_day(self, t: float, epoch_s: float) -> None:
        """A local day is over: its light integral, if its PAR readings covered enough of it."""
        if self._light_day is not None and self._light_day_start is not None:
            length = self._day_end_of(self._light_day) - self._light_day
            if self._light_covered_s >= self._settings.min_coverage * length:
                self.light_integral = self._light_mol * length / self._light_covered_s
                self.light_day_start = self._light_day_start
            else:
                self.light_integral = self.light_day_start = None
            self._period_began(Metric.DAILY_LIGHT_INTEGRAL_MOL_M2_D, self.light_day_start)
        day = self._day_start
        self._light_day = day
        self._light_day_start = (t - (epoch_s - day), datetime.fromtimestamp(day, UTC))
        self._light_mol = self._light_covered_s = 0.0
        self._light_last_t = None

    def _period_began(self, figure: Metric, start: Moment | None) -> None:
        """Keep ``period_starts`` in step with a figure's period (none while the figure has no value)."""
        if start is None:
            self.period_starts.pop(figure, None)
        else:
            self.period_starts[figure] = start

    def _day_end_of(self, day_start: float) -> float:
        zone = self._zone
        day = datetime.fromtimestamp(day_start, zone).date()
        return datetime.combine(day + timedelta(days=1), time(0), zone).timestamp()
