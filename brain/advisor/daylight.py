"""Day or night, the site's local hour and the day's light integral, at the cost of a comparison per step.

Why cached per day and per hour: the advisor runs at every poll beside the estimator
and its budget is a quarter of the estimator's step (issue 27). The length of the day
changes by minutes a day, a zone's offset twice a year, so each is computed once per
UTC day or hour and every step after that compares numbers.

Day and night, in order of trust:

1. sunrise and sunset at the site's latitude and longitude (:mod:`brain.sun`, the one sun
   module the estimator and the synthetic greenhouse use too: Cooper 1969 declination, sunrise
   where the sun's elevation is zero). Solar time is taken as UTC plus longitude / 15 h, without
   the equation of time (at most about 16 min off, Spencer 1971), which a 5-minute poll hardly sees;
2. without a place, natural PAR above :data:`DAY_PAR_UMOL_M2_S` (PAR minus what the
   lamps add, so a lit night stays a night);
3. with neither, unknown: rules that need it give no advice.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from brain.sun import half_day_hours

__all__ = ["DAY_PAR_UMOL_M2_S", "LightIntegral", "LocalClock", "SunClock", "half_day_hours"]

DAY_PAR_UMOL_M2_S = 40.0
"""Natural PAR above which it is day: GreenLight's ``dayThresh`` of 20 W m-2 global radiation
(Katzin et al. 2020) is about 40 umol m-2 s-1 of PAR (2.06 umol per J, Thimijan & Heins 1983)."""
MAX_LIGHT_STEP_S = 900.0
"""A gap longer than this between observations adds no light to the integral (nothing is known)."""


class SunClock:
    """Day or night at a place, from the sun: one ``acos`` per UTC day, one answer until the sun crosses.

    :meth:`is_day` answers from its cache until ``until_s`` (the next sunrise, sunset or UTC
    midnight, whichever comes first); a caller that polls often may read ``day`` directly
    while ``epoch_s < until_s`` (the advisor does: it runs at every poll).
    """

    def __init__(self, latitude_deg: float, longitude_deg: float) -> None:
        self._latitude = latitude_deg
        self._solar_offset_h = longitude_deg / 15.0
        self._day: int = -1
        self._half_day_h = 0.0
        self.day = False
        """The answer of the last :meth:`is_day`, true until ``until_s``."""
        self.until_s = -math.inf

    def is_day(self, epoch_s: float) -> bool:
        """Whether the sun is up at ``epoch_s`` (seconds since 1970 UTC)."""
        if epoch_s < self.until_s:
            return self.day
        day = int(epoch_s // 86_400)
        if day != self._day:
            self._day = day
            day_of_year = datetime.fromtimestamp(day * 86_400, UTC).timetuple().tm_yday
            self._half_day_h = half_day_hours(self._latitude, day_of_year)
        half = self._half_day_h
        solar_hour = ((epoch_s % 86_400) / 3600.0 + self._solar_offset_h) % 24.0
        self.day = abs(solar_hour - 12.0) < half
        # The next sunrise or sunset (solar hours 12 -+ half, today or tomorrow), or UTC midnight.
        ahead_h = min(h for h in (12.0 - half, 12.0 + half, 36.0 - half, 36.0 + half) if h > solar_hour)
        self.until_s = min(epoch_s + (ahead_h - solar_hour) * 3600.0, (day + 1) * 86_400.0)
        return self.day


class LocalClock:
    """The site's local date and hour of an instant; the zone's offset looked up once per UTC hour."""

    def __init__(self, zone: str) -> None:
        self._zone = ZoneInfo(zone)
        self.offset_s = 0.0
        """The zone's offset from UTC, seconds, valid until ``until_s`` (the next UTC hour)."""
        self.until_s = -math.inf

    def local_seconds(self, moment: datetime, epoch_s: float) -> float:
        """Seconds since 1970 on the site's wall clock (local midnight is a multiple of 86,400)."""
        if epoch_s >= self.until_s:
            offset = moment.astimezone(self._zone).utcoffset() or timedelta(0)
            self.offset_s = offset.total_seconds()
            self.until_s = (epoch_s // 3600 + 1) * 3600.0
        return epoch_s + self.offset_s


class LightIntegral:
    """The day's light integral so far, mol m-2 d-1: PAR summed over the local day (tomato_climate.md)."""

    def __init__(self) -> None:
        self._day = -1.0
        self._last_s: float | None = None
        self._last_par: float | None = None
        self.mol_m2 = 0.0

    def add(self, local_s: float, par: float | None) -> float:
        """Add the light since the last step (the earlier reading held, gaps over 15 min count nothing)."""
        day = local_s // 86_400.0  # the local day's number (a float: no int() call per poll)
        if day != self._day:
            self._day = day
            self.mol_m2 = 0.0
            self._last_s = None
        if self._last_s is not None and self._last_par is not None:
            step = local_s - self._last_s
            if 0.0 < step <= MAX_LIGHT_STEP_S:
                self.mol_m2 += self._last_par * step / 1e6
        self._last_s, self._last_par = local_s, par
        return self.mol_m2
