"""The physics under the synthetic greenhouse, against references that do not come from this code."""

from __future__ import annotations

import math
import random

import pytest

from brain.sources.synthetic.greenhouse_model import (
    Conditions,
    outside_temperature_c,
    saturation_vapour_pressure_kpa,
)
from brain.sources.synthetic.sun import clear_sky_par, sin_solar_elevation
from brain.sources.synthetic.weather import Weather

JUNE_SOLSTICE = 172.0  # day of year


@pytest.mark.parametrize(
    ("temperature_c", "kpa"),
    # Saturation vapour pressure over water (WMO/CIMO Guide, Annex 4.B, as tabulated by Buck 1981).
    [(0.0, 0.6112), (10.0, 1.2282), (20.0, 2.3389), (30.0, 4.2467)],
)
def test_magnus_matches_the_saturation_table(temperature_c: float, kpa: float) -> None:
    assert saturation_vapour_pressure_kpa(temperature_c) == pytest.approx(kpa, rel=0.003)


def test_noon_elevation_and_day_length_at_52_north_in_june() -> None:
    # Solar noon elevation = 90 - latitude + declination (23.45 deg at the solstice).
    noon = math.degrees(math.asin(sin_solar_elevation(52.0, JUNE_SOLSTICE, 12.0)))
    assert noon == pytest.approx(90.0 - 52.0 + 23.45, abs=0.1)
    # Geometric day length at 52 deg N on 21 June is about 16.4 h (16 h 40 min with refraction).
    minutes_up = sum(sin_solar_elevation(52.0, JUNE_SOLSTICE, m / 60.0) > 0.0 for m in range(24 * 60))
    assert 16.2 <= minutes_up / 60.0 <= 16.6
    assert sin_solar_elevation(52.0, JUNE_SOLSTICE, 0.0) < 0.0


def test_clear_sky_par_is_about_2000_at_a_summer_noon_and_zero_at_night() -> None:
    # A clear summer noon at mid-latitudes brings about 1,800-2,100 umol/m2/s of PAR outside.
    assert 1700.0 <= clear_sky_par(sin_solar_elevation(52.0, JUNE_SOLSTICE, 12.0)) <= 2100.0
    assert clear_sky_par(-0.2) == 0.0
    assert clear_sky_par(1e-9) < 1e-6, "the light fades out continuously at sunrise"


def test_outside_temperature_is_coolest_at_five_and_warmest_at_fifteen() -> None:
    conditions = Conditions(outside_min_c=10.0, outside_max_c=20.0, outside_dew_point_c=9.0, cloud_factor=0.9)
    hourly = [outside_temperature_c(conditions, h / 4) for h in range(96)]
    assert hourly.index(min(hourly)) == 5 * 4 and min(hourly) == 10.0
    assert hourly.index(max(hourly)) == 15 * 4 and max(hourly) == 20.0
    assert outside_temperature_c(conditions, 23.999) == pytest.approx(
        outside_temperature_c(conditions, 0.0), abs=0.01
    )


def test_weather_anomalies_wander_but_stay_within_their_clips() -> None:
    weather = Weather(random.Random(3), step_s=60.0)
    minima, clouds = [], []
    for _ in range(30 * 1440):
        weather.step()
        conditions = weather.conditions(152.0)  # the same date throughout: only the anomalies move
        minima.append(conditions.outside_min_c)
        clouds.append(conditions.cloud_factor)
        assert conditions.outside_dew_point_c < conditions.outside_min_c + 0.6
    assert 1.0 < max(minima) - min(minima) <= 4.0  # +-2 K day-to-day anomaly
    assert 0.76 <= min(clouds) < max(clouds) <= 1.0
