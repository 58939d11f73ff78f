from datetime import UTC, datetime, timedelta

import pytest

from brain.scheduler.triggers import GRID_ORIGIN, every

from .conftest import START


def test_every_fires_on_the_grid_whatever_now_is() -> None:
    trigger = every(timedelta(minutes=1))
    assert trigger.get_next_fire_time(None, START) == START  # on a grid point: fires now
    now = datetime(2026, 6, 1, 12, 3, 27, 400000, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == datetime(2026, 6, 1, 12, 4, tzinfo=UTC)
    two_hours = every(timedelta(hours=2))
    assert two_hours.get_next_fire_time(None, now) == datetime(2026, 6, 1, 14, tzinfo=UTC)


def test_every_counts_from_the_grid_origin() -> None:
    seven = every(timedelta(seconds=7))
    fire = seven.get_next_fire_time(None, START)
    assert (fire - GRID_ORIGIN) % timedelta(seconds=7) == timedelta(0)
    assert timedelta(0) <= fire - START < timedelta(seconds=7)


def test_every_stops_after_its_end_inclusive() -> None:
    trigger = every(timedelta(hours=2), end=START + timedelta(hours=2))
    assert trigger.get_next_fire_time(START, START) == START + timedelta(hours=2)
    assert trigger.get_next_fire_time(START + timedelta(hours=2), START) is None


@pytest.mark.parametrize("interval", [timedelta(0), timedelta(seconds=-1)])
def test_every_refuses_a_non_positive_interval(interval: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        every(interval)


@pytest.mark.parametrize("interval_s", [1, 7, 60, 7200])
def test_the_grid_extends_before_its_origin(interval_s: int) -> None:
    """A Pi whose clock reads 1970 polls on the grid one interval away, not at the origin in 2000."""
    trigger = every(timedelta(seconds=interval_s))
    now = datetime(1970, 1, 1, 0, 0, 12, 500000, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, now)
    assert fire is not None and timedelta(0) <= fire - now < timedelta(seconds=interval_s)
    assert (GRID_ORIGIN - fire) % timedelta(seconds=interval_s) == timedelta(0), "a point of the same grid"
    assert trigger.get_next_fire_time(fire, now) == fire + timedelta(seconds=interval_s)


def test_before_its_origin_the_grid_still_ends_at_its_end() -> None:
    trigger = every(timedelta(minutes=1), end=datetime(1980, 1, 1, tzinfo=UTC))
    assert trigger.get_next_fire_time(None, datetime(1990, 1, 1, tzinfo=UTC)) is None
    assert trigger.get_next_fire_time(None, datetime(1979, 12, 31, 23, 59, 30, tzinfo=UTC)) == datetime(
        1980, 1, 1, tzinfo=UTC
    )
