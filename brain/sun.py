"""Where the sun is at a place and day: declination, elevation, half the length of the day.

Why one module, low in the layers: the estimator (light hours and nights), the advisor
(day and night) and the synthetic greenhouse (its sky) all ask the sun, and a grower who
sets the site's place once (top-level ``latitude``/``longitude``) must get one sunrise
from all of them. It imports nothing of brain, so every layer may use it.

Sources and the one simplification:

- Solar declination: Cooper (1969), "The absorption of radiation in solar stills",
  Solar Energy 12(3): ``23.45 deg * sin(360/365 * (284 + n))``, ``n`` the day of the year.
- Elevation: ``sin(el) = sin(lat) sin(dec) + cos(lat) cos(dec) cos(h)``, ``h`` the hour
  angle, 15 degrees per hour from solar noon (any solar-geometry text, e.g. Duffie &
  Beckman, *Solar Engineering of Thermal Processes*, ch. 1).
- Sunrise and sunset where the sun's centre crosses the horizon: ``cos(h0) = -tan(lat) tan(dec)``.
- Local solar time is taken as UTC plus the longitude over 15 degrees per hour, without the
  equation of time (at most about 16 minutes off in early November, Spencer 1971) and without
  refraction (sunrise about 4 minutes later than seen): a 5-minute poll hardly sees either, and
  every caller used this same formula before it was shared (issue 27/28 follow-up), so their
  outputs did not change.
"""

from __future__ import annotations

import math

OBLIQUITY_DEG = 23.45
"""Cooper's (1969) amplitude of the solar declination, degrees."""


def declination_rad(day_of_year: float) -> float:
    """The sun's declination, radians (Cooper 1969); ``day_of_year`` from 1 on 1 January, maybe fractional."""
    return math.radians(OBLIQUITY_DEG) * math.sin(2.0 * math.pi * (284.0 + day_of_year) / 365.0)


def sin_solar_elevation(latitude_deg: float, day_of_year: float, solar_hour: float) -> float:
    """Sine of the sun's elevation; negative at night.

    ``solar_hour`` is local solar time (12.0 is solar noon): UTC hours plus
    ``longitude / 15`` at a real site (:func:`solar_hour`).
    """
    declination = declination_rad(day_of_year)
    latitude = math.radians(latitude_deg)
    hour_angle = math.radians(15.0 * (solar_hour - 12.0))
    return math.sin(latitude) * math.sin(declination) + math.cos(latitude) * math.cos(declination) * math.cos(
        hour_angle
    )


def solar_hour(utc_hour: float, longitude_deg: float) -> float:
    """Local solar time of a UTC hour of day at ``longitude_deg`` (east positive); not wrapped to 0-24."""
    return utc_hour + longitude_deg / 15.0


def half_day_hours(latitude_deg: float, day_of_year: int) -> float:
    """Half the length of the day in hours: from solar noon to sunset (0 in polar night, 12 in polar day)."""
    cos_hour_angle = -math.tan(math.radians(latitude_deg)) * math.tan(declination_rad(day_of_year))
    if cos_hour_angle >= 1.0:
        return 0.0
    if cos_hour_angle <= -1.0:
        return 12.0
    return math.degrees(math.acos(cos_hour_angle)) / 15.0
