"""Light hours and nights at the site: from PAR where it is trusted, else the lamps, else the sun.

Why: a rule that only matters in light (``vpd_high``, ``co2_low``: stomata and photosynthesis
work in light) must not run at night, and a site without a PAR sensor (OSU 2024) or with a
PAR sensor brain no longer trusts (Cornell's frozen PAR) still has a day. In that order:

1. PAR, trusted: light at ``daylight_par_umol_m2_s`` or more (docs/anomaly_thresholds.md);
2. a device of kind ``lamps`` running (``[advisor.devices]``, else a name holding ``lamp`` or
   ``light``: :mod:`brain.device_kinds`): light;
3. the sun at the site's latitude and longitude (``[estimator]`` ``latitude``/``longitude``):
   light while it is above the horizon;
4. none of these: unknown (``None``), and the rules apply as they did before (a daylight
   rule runs, a dark rule does not).

The sun's position: :mod:`brain.sun` (Cooper 1969 declination; local solar time is UTC plus
the longitude over 15 degrees per hour, without the equation of time: at most about 16 minutes
off), the one module the advisor and the synthetic greenhouse use too.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from brain import sun
from brain.contracts import DeviceStatusV1
from brain.device_kinds import SiteDevices
from brain.names import DeviceKind


def kind_on(device_status: DeviceStatusV1, kind: DeviceKind, devices: SiteDevices) -> bool | None:
    """Whether a device of ``kind`` runs (:mod:`brain.device_kinds`); ``None``: none known."""
    if not device_status.devices:
        return None
    return devices.running(kind, device_status.devices, device_status.positions or _NO_POSITIONS)


_NO_POSITIONS: dict[str, float] = {}


def sin_solar_elevation(epoch_s: float, latitude_deg: float, longitude_deg: float) -> float:
    """Sine of the sun's elevation at ``epoch_s`` (UTC seconds) at the site; negative at night."""
    day_of_year = datetime.fromtimestamp(epoch_s, UTC).timetuple().tm_yday
    hour = sun.solar_hour((epoch_s % 86400.0) / 3600.0, longitude_deg)
    return sun.sin_solar_elevation(latitude_deg, day_of_year, hour)


def sun_times(day_start_utc_s: float, latitude_deg: float, longitude_deg: float) -> tuple[float, float]:
    """Sunrise and sunset (epoch seconds) of the UTC calendar day of ``day_start_utc_s``'s solar noon.

    ``day_start_utc_s``: any moment of the local day; the times are those of the solar day whose
    noon is nearest. Polar day or night: sunrise and sunset at solar noon +/- 12 h or at noon.
    """
    noon_utc_h = 12.0 - longitude_deg / 15.0
    midnight = day_start_utc_s - (day_start_utc_s % 86400.0)
    noon = midnight + noon_utc_h * 3600.0
    if noon - day_start_utc_s > 43200.0:
        noon -= 86400.0
    elif day_start_utc_s - noon > 43200.0:
        noon += 86400.0
    day_of_year = datetime.fromtimestamp(noon, UTC).timetuple().tm_yday
    half_day_h = sun.half_day_hours(latitude_deg, day_of_year)
    return noon - half_day_h * 3600.0, noon + half_day_h * 3600.0


class LightHours:
    """Whether it is light at the site (module docstring); :meth:`light` once per observation."""

    def __init__(self, latitude: float | None, longitude: float | None, devices: SiteDevices) -> None:
        self._site = None if latitude is None or longitude is None else (latitude, longitude)
        self._devices = devices
        self._sun_until = -math.inf
        self._sun_up = False

    def light(self, epoch_s: float, par_light: bool | None, device_status: DeviceStatusV1) -> bool | None:
        """``par_light``: PAR's verdict (``None`` when PAR is not trusted or not installed)."""
        if par_light is not None:
            return par_light
        if kind_on(device_status, DeviceKind.LAMPS, self._devices):
            return True
        if self._site is None:
            return None
        if not epoch_s < self._sun_until:  # the sun moves slowly: judged once a minute
            self._sun_up = sin_solar_elevation(epoch_s, *self._site) > 0.0
            self._sun_until = epoch_s + 60.0
        return self._sun_up
