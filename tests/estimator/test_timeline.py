from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import TzInfo

from brain.estimator.errors import DuplicateObservationError, OutOfOrderObservationError
from brain.estimator.timeline import Timeline, bucket_end

ZONES: list[tzinfo] = [
    UTC,
    timezone(timedelta(hours=-5)),
    TzInfo(0),
    TzInfo(7200),
    ZoneInfo("America/New_York"),  # not a fixed offset: DST changes it twice a year
    ZoneInfo("Europe/Amsterdam"),
]
START = datetime(2024, 3, 9, tzinfo=UTC)  # the US spring-forward weekend, then the EU one and autumn


def _timeline() -> Timeline:
    return Timeline(clock_step_back_s=600.0, gap_s=900.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=40 * 86_400_000_000), st.integers(0, len(ZONES) - 1)),
        min_size=1,
        max_size=40,
    )
)
def test_estimator_time_is_the_exact_epoch_seconds_while_time_moves_forward(
    steps: list[tuple[int, int]],
) -> None:
    """Whatever the zones and their mix, estimator time is bit for bit ``timestamp()`` until a clock step."""
    timeline = _timeline()
    instant = START
    for micros, zone in steps:
        instant += timedelta(microseconds=micros)
        stamp = instant.astimezone(ZONES[zone])
        assert timeline.advance(stamp) == stamp.timestamp()


def test_the_repeated_fall_back_hour_moves_forward_in_one_zone_object() -> None:
    """01:55 EDT then 01:00 EST (fold=1): the same zone object, yet five minutes later, not 55 earlier."""
    eastern = ZoneInfo("America/New_York")
    timeline = _timeline()
    first = datetime(2024, 11, 3, 1, 55, tzinfo=eastern)
    second = datetime(2024, 11, 3, 1, 0, fold=1, tzinfo=eastern)
    start = timeline.advance(first)
    assert timeline.advance(second) - start == 300.0
    assert not timeline.gap and timeline.stepped_back_s == 0.0


def test_rejected_observations_change_nothing() -> None:
    zone = TzInfo(0)
    timeline = _timeline()
    first = datetime(2026, 1, 1, 12, 0, tzinfo=zone)
    timeline.advance(first)
    with pytest.raises(DuplicateObservationError):
        timeline.advance(first.astimezone(ZoneInfo("Europe/Amsterdam")))
    with pytest.raises(OutOfOrderObservationError):
        timeline.advance(first - timedelta(seconds=30))
    later = first + timedelta(seconds=60)
    assert timeline.advance(later) == later.timestamp()
    assert timeline.last_timestamp is later


def test_a_clock_step_back_continues_one_typical_poll_later() -> None:
    timeline = _timeline()
    start = datetime(2026, 1, 1, 12, 0, tzinfo=TzInfo(0))
    for minute in range(3):
        timeline.advance(start + timedelta(minutes=minute))
    t = timeline.advance(start - timedelta(hours=1))
    assert t == (start + timedelta(minutes=3)).timestamp()
    assert timeline.stepped_back_s == 3600.0 + 120.0
    assert timeline.advance(start - timedelta(minutes=59)) == t + 60.0


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=86_400),
    st.floats(min_value=-1e9, max_value=4e11, allow_nan=False),
    st.sampled_from([-1, 0, 1]),
)
def test_a_whole_second_bucket_ends_where_floor_division_says(bucket_s: int, t: float, nudge: int) -> None:
    """Before ``bucket_end`` a later time is in the same bucket, from it in the next: bit for bit."""
    size = float(bucket_s)
    bucket = int(t // size)
    end = bucket_end(bucket, size)
    assert t < end
    probe = end if nudge == 0 else math.nextafter(end, math.inf if nudge > 0 else -math.inf)
    assert (int(probe // size) == bucket) == (probe < end)


def test_a_fractional_bucket_is_always_divided() -> None:
    """(k + 1) * 0.1 may round either way: no shortcut is offered, every time goes to floor division."""
    assert bucket_end(12, 0.1) == -math.inf
    assert bucket_end(12, 1800.5) == -math.inf
