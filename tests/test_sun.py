"""brain.sun: the one sun of brain, and the estimator, the advisor and the synthetic sky agreeing on it."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from brain import sun
from brain.advisor.daylight import SunClock
from brain.estimator.light import sin_solar_elevation, sun_times
from brain.sources.synthetic import sun as synthetic_sun

JUNE_SOLSTICE = 172
WOOSTER = (40.78, -81.93)


def test_noon_elevation_is_ninety_minus_latitude_plus_declination() -> None:
    declination = math.degrees(sun.declination_rad(JUNE_SOLSTICE))
    assert declination == pytest.approx(23.45, abs=0.01)
    noon = math.degrees(math.asin(sun.sin_solar_elevation(52.0, JUNE_SOLSTICE, 12.0)))
    assert noon == pytest.approx(90.0 - 52.0 + declination, abs=1e-9)
    assert sun.sin_solar_elevation(52.0, JUNE_SOLSTICE, 0.0) < 0.0


@pytest.mark.parametrize(
    ("latitude", "day", "hours"),
    [(0.0, 80, 6.0), (52.0, JUNE_SOLSTICE, 8.2), (52.0, 355, 3.8), (78.0, 172, 12.0), (78.0, 355, 0.0)],
)
def test_half_the_day(latitude: float, day: int, hours: float) -> None:
    assert sun.half_day_hours(latitude, day) == pytest.approx(hours, abs=0.1)


def test_the_elevation_is_zero_at_sunrise_and_sunset() -> None:
    half = sun.half_day_hours(40.0, 100)
    for hour in (12.0 - half, 12.0 + half):
        assert sun.sin_solar_elevation(40.0, 100, hour) == pytest.approx(0.0, abs=1e-12)


def test_solar_hour_runs_ahead_east_of_greenwich() -> None:
    assert sun.solar_hour(12.0, 15.0) == 13.0
    assert sun.solar_hour(12.0, -81.93) == pytest.approx(12.0 - 81.93 / 15.0)


def test_the_synthetic_sky_is_the_same_sun() -> None:
    assert synthetic_sun.sin_solar_elevation is sun.sin_solar_elevation


def test_estimator_and_advisor_see_the_same_sunrise_and_sunset() -> None:
    """Where sunrise and sunset fall in the UTC day of solar noon (Europe), the estimator's sun_times,
    the advisor's SunClock and the estimator's light hours flip at the same second."""
    place = (52.0, 4.4)
    noon = datetime(2024, 7, 15, 11, 42, tzinfo=UTC).timestamp()
    sunrise, sunset = sun_times(noon, *place)
    clock = SunClock(*place)
    for moment, up in ((sunrise, True), (sunset, False)):
        assert clock.is_day(moment - 1.0) is (not up)
        assert clock.is_day(moment + 1.0) is up
        assert (sin_solar_elevation(moment - 1.0, *place) > 0.0) is (not up)
        assert (sin_solar_elevation(moment + 1.0, *place) > 0.0) is up
    assert (sunset - sunrise) / 3600.0 == pytest.approx(2 * sun.half_day_hours(52.0, 197))


def test_a_sunset_after_utc_midnight_differs_only_by_the_day_of_the_declination() -> None:
    """Ohio's summer sunset is after 00:00 UTC: sun_times takes the declination of the day of solar
    noon, the SunClock and the light hours that of the UTC day; a minute apart at most (documented)."""
    noon = datetime(2024, 7, 15, 17, 30, tzinfo=UTC).timestamp()
    _, sunset = sun_times(noon, *WOOSTER)
    clock = SunClock(*WOOSTER)
    flip = next(t for t in range(int(sunset) - 120, int(sunset) + 120) if not clock.is_day(float(t)))
    assert abs(flip - sunset) < 60.0
