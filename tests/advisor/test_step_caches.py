"""What the advisor keeps between steps must answer as if computed afresh (docs/advisor.md, "Step time")."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from brain.advisor import Setpoints
from brain.advisor.daylight import SunClock, half_day_hours
from brain.advisor.settings import plain_setpoints
from brain.advisor.situation import Desire


def _sun_up(latitude: float, longitude: float, epoch_s: float) -> bool:
    """The sunrise/sunset rule computed afresh, as before the cache."""
    day = int(epoch_s // 86_400)
    half = half_day_hours(latitude, datetime.fromtimestamp(day * 86_400, UTC).timetuple().tm_yday)
    solar_hour = (epoch_s % 86_400) / 3600.0 + longitude / 15.0
    return abs((solar_hour % 24.0) - 12.0) < half


@pytest.mark.parametrize(
    "place",
    [(40.0, -83.0), (42.44, -76.5), (52.0, 0.0), (-33.9, 151.2), (65.0, 170.0), (65.0, -170.0), (0.0, 0.0)],
)
def test_the_cached_sun_answers_as_the_rule_does_at_every_step(place: tuple[float, float]) -> None:
    rng = random.Random(7)
    clock = SunClock(*place)
    epoch = 1.7e9
    changes = 0
    previous = None
    for _ in range(20_000):
        epoch += rng.choice((1.0, 60.0, 300.0, 3600.0 * 5))
        answer = clock.is_day(epoch)
        assert answer is _sun_up(*place, epoch), epoch
        assert epoch < clock.until_s or math.isinf(clock.until_s)
        changes += previous is not None and answer is not previous
        previous = answer
    assert changes > 100  # the cache did not simply freeze one answer


def test_plain_setpoints_carry_every_value() -> None:
    setpoints = Setpoints(heating_day_c=21.0, crack_pct=15.0)
    plain = plain_setpoints(setpoints)
    for name in Setpoints.model_fields:
        assert getattr(plain, name) == getattr(setpoints, name), name
    with pytest.raises(AttributeError):
        plain.crack_pct = 20.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("trend", "words"), [(None, ""), (0.29, ""), (-0.29, ""), (0.3, " and rising"), (-1.2, " and falling")]
)
def test_the_trend_is_worded_only_when_the_reason_is_formatted(trend: float | None, words: str) -> None:
    desire = Desire(True, 40.0, "Air {:.1f} °C{!t}, above {:.1f} °C", (23.46, trend, 21.5))
    assert desire.reason() == f"Air 23.5 °C{words}, above 21.5 °C"
    assert Desire(False, 0.0, "RH {!r}", ("x",)).reason() == "RH 'x'"
