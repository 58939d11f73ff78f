"""What the advisor keeps between steps must answer as if computed afresh (docs/advisor.md, "Step time")."""

from __future__ import annotations

import math
import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from brain.advisor import Advisor, AdvisorSettings, DeviceKind, Setpoints, rules
from brain.advisor.daylight import SunClock, half_day_hours
from brain.advisor.settings import plain_setpoints
from brain.advisor.situation import Desire
from tests.advisor.steps import NOON, estimate


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


def _eager_trend(samples: list[tuple[float, float]], epoch: float, air: float | None) -> float | None:
    """The trend as it was computed at every step before it became lazy (the reference)."""
    if air is None:
        samples.clear()
        return None
    if not samples or epoch - samples[-1][0] >= 300.0:
        samples.append((epoch, air))
    while epoch - samples[0][0] > 2100.0:
        samples.pop(0)
    first_s, first = samples[0]
    return air - first if epoch - first_s >= 1500.0 else None


def test_the_lazy_trend_is_the_eager_one_for_this_step_and_the_one_before() -> None:
    """A held advice cites the previous step's trend: both must read as the eager rule gave them."""
    rng = random.Random(3)
    advisor = Advisor(AdvisorSettings(devices={"vents": DeviceKind.VENTILATION}))
    samples: list[tuple[float, float]] = []
    at, air = NOON, 22.0
    expected_before = None
    words = 0
    for _ in range(3000):
        at += timedelta(seconds=rng.choice((60, 60, 300, 300, 420, 1800, 4000)))
        air += rng.uniform(-0.4, 0.4)
        reading = None if rng.random() < 0.02 else round(air, 2)
        advisor.step(estimate(at, air=reading))
        expected = _eager_trend(samples, at.timestamp(), reading)
        assert advisor._situation.air_trend_k == expected, at
        assert advisor._previous.air_trend_k == expected_before, at
        expected_before = expected
        words += expected is not None and abs(expected) >= 0.3
    assert words > 100  # the series did rise and fall in words, not only "no trend"


def test_a_kept_advice_is_the_same_object_and_an_action_cites_its_own_step() -> None:
    advisor = Advisor(AdvisorSettings(devices={"vents": DeviceKind.VENTILATION}))
    first = advisor.step(estimate(NOON, air=31.2, devices={"vents": 10.0})).desired[DeviceKind.VENTILATION]
    later = [
        advisor.step(estimate(NOON + timedelta(minutes=m), air=31.4, devices={"vents": 10.0}))
        for m in (5, 10)
    ]
    kept = later[-1].desired[DeviceKind.VENTILATION]
    assert kept is first, "the same case and position: no new Desire"
    assert kept.reason() == "Air 31.2 °C, above the ventilation line 21.5 °C"  # as it was decided
    (action,) = later[-1].actions
    assert action.reason.startswith("Air 31.4 °C, above the ventilation line 21.5 °C, vents at 10 %")


def test_degraded_handed_out_is_never_changed_afterwards() -> None:
    advisor = Advisor(AdvisorSettings(devices={"vents": DeviceKind.VENTILATION}))
    quiet = advisor.step(estimate(NOON, air=22.0, devices={"vents": 0.0, "pump": "on"})).degraded
    assert quiet == {"pump": "no kind configured (advisor.devices): no advice"}
    snapshot = dict(quiet)
    blind = advisor.step(
        estimate(NOON + timedelta(minutes=5), air=None, devices={"vents": 0.0, "pump": "on"})
    )
    assert blind.degraded["ventilation"] == "no advice: air temperature not known"
    assert quiet == snapshot, "a later step's degradation went into a dictionary already handed out"
    again = advisor.step(
        estimate(NOON + timedelta(minutes=10), air=22.0, devices={"vents": 0.0, "pump": "on"})
    )
    assert again.degraded == snapshot


class _Reference(string.Formatter):
    """The reasons' formatter before ``str.format`` took over: ``!t`` words an air trend."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion != "t":
            return super().convert_field(value, conversion)
        if value is None or abs(value) < 0.3:
            return ""
        return " and rising" if value > 0 else " and falling"


def test_every_reason_clause_reads_as_the_reference_formatter_gives_it() -> None:
    rng = random.Random(5)
    clauses = [case.why for case in vars(rules).values() if isinstance(case, rules.Case)]
    clauses += ["braces {{kept}} {:.1f}{!t} and {!r}", "{}"]
    assert len(clauses) > 25
    for why in clauses:
        fields = [field for field in string.Formatter().parse(why) if field[1] is not None]
        for _ in range(20):
            args = tuple(
                rng.choice((None, -1.2, -0.29, 0.0, 0.3, 2.5))
                if conversion == "t"
                else rng.randint(0, 23)
                if spec and spec.endswith("d")
                else rng.uniform(-5.0, 900.0)
                if spec
                else rng.choice(("Day", "Night", 3.5))
                for _, _, spec, conversion in fields
            )
            assert Desire(True, None, why, args).reason() == _Reference().format(why, *args), why


def test_an_advice_held_by_its_minimum_time_cites_the_step_before_as_it_was_kept() -> None:
    """Air 23.0 then 22.9 °C (the same advice, kept), then 20.0: the 15-minute minimum holds "open"."""
    advisor = Advisor(AdvisorSettings(devices={"vents": DeviceKind.VENTILATION}))
    steps = [
        advisor.step(estimate(NOON + timedelta(minutes=m), air=air, devices={"vents": 0.0}))
        for m, air in ((0, 23.0), (5, 22.9), (10, 20.0))
    ]
    assert steps[1].desired[DeviceKind.VENTILATION] is steps[0].desired[DeviceKind.VENTILATION]
    held = steps[2].desired[DeviceKind.VENTILATION]
    assert held is not None and held.on and held.position == 40.0
    assert held.reason() == "Air 22.9 °C, above the ventilation line 21.5 °C"  # the step before the hold
    (action,) = steps[2].actions
    assert (
        action.reason == "Air 22.9 °C, above the ventilation line 21.5 °C, vents at 0 %: open vents to 40 %."
    )


def test_a_position_that_moves_under_the_same_relay_is_seen() -> None:
    advisor = Advisor(AdvisorSettings(devices={"vents": DeviceKind.VENTILATION}))
    for minute, position in ((0, 10.0), (5, 90.0), (10, 90.0), (15, 30.0)):
        advisor.step(estimate(NOON + timedelta(minutes=minute), air=22.0, devices={"vents": position}))
        assert advisor._situation.actual[DeviceKind.VENTILATION] == position
