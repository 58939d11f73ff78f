import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.clock.clocks import Clock, SimClock
from brain.clock.stop import StopSignal
from tests.fake_time import FakeTime

START = datetime(2026, 6, 1, tzinfo=UTC)


def _paced(fake: FakeTime, scale: float, start: datetime = START) -> SimClock:
    """A SimClock whose pacing waits on ``fake`` real time."""
    return SimClock(start, time_scale=scale, monotonic=fake.monotonic, sleep=fake.wait)


def test_sim_clock_advances_by_scale() -> None:
    # 100 logical seconds per real second: three waits of 5 logical s take 3 x 50 ms of real time.
    fake = FakeTime()
    clock = _paced(fake, 100)
    stop = StopSignal()
    began = fake.now
    for step in (1, 2, 3):
        deadline = START + timedelta(seconds=5 * step)
        clock.wait_until(deadline, stop)
        assert clock.now() == deadline
        assert fake.now - began == pytest.approx(0.05 * step)
    assert clock.monotonic() == 15.0
    assert isinstance(clock, Clock)


def test_by_default_the_pacing_waits_in_real_time() -> None:
    clock = SimClock(START, time_scale=1000)
    began = time.monotonic()
    clock.wait_until(START + timedelta(seconds=20), StopSignal())
    assert time.monotonic() - began >= 0.02 - 0.002
    assert clock.now() == START + timedelta(seconds=20)


def test_scale_zero_jumps_to_the_deadline_at_once() -> None:
    fake = FakeTime()
    clock = _paced(fake, 0)
    a_year_later = START + timedelta(days=365)
    clock.wait_until(a_year_later, StopSignal())
    assert fake.sleeps == []
    assert clock.now() == a_year_later
    assert clock.monotonic() == 365 * 86400


def test_logical_time_stands_still_between_waits() -> None:
    fake = FakeTime()
    clock = _paced(fake, 1000)
    before = clock.now()
    fake.advance(0.02)  # 20 logical seconds would have passed on a running clock
    assert clock.now() == before == START


def test_now_is_utc_whatever_the_start_zone() -> None:
    cest = timezone(timedelta(hours=2))
    clock = SimClock(datetime(2026, 6, 1, 2, 0, tzinfo=cest))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC
    clock.wait_until(datetime(2026, 6, 1, 3, 0, tzinfo=cest), StopSignal())
    assert clock.now().tzinfo is UTC and clock.now() == START + timedelta(hours=1)


def test_a_deadline_in_the_past_does_not_move_time_back() -> None:
    clock = SimClock(START + timedelta(hours=1))
    clock.wait_until(START, StopSignal())
    assert clock.now() == START + timedelta(hours=1)


def test_stop_wakes_a_paced_wait_and_leaves_time_where_it_was() -> None:
    fake = FakeTime()
    clock = _paced(fake, 1.0)  # an hour's wait in real time
    stop = StopSignal()
    fake.at(fake.now + 0.1, stop.set)
    clock.wait_until(START + timedelta(hours=1), stop)
    assert sum(fake.sleeps) == pytest.approx(0.1)
    assert clock.now() == START


def test_a_set_stop_returns_at_once_even_at_scale_zero() -> None:
    stop = StopSignal()
    stop.set()
    for scale in (0.0, 1.0):
        clock = SimClock(START, time_scale=scale)
        clock.wait_until(START + timedelta(days=1), stop)
        assert clock.now() == START


def test_time_spent_in_jobs_is_absorbed_by_the_pacing() -> None:
    # Ten steps of 5 logical s at 100x (50 ms each), each followed by 25 ms of "job":
    # paced, the whole run takes 0.5 s, not 0.75 s (the last job ends after the last wait).
    fake = FakeTime()
    clock = _paced(fake, 100)
    stop = StopSignal()
    began = fake.now
    for step in range(1, 11):
        clock.wait_until(START + timedelta(seconds=5 * step), stop)
        fake.advance(0.025)
    assert fake.now - began == pytest.approx(0.5 + 0.025)


def test_falling_behind_restarts_the_pacing_instead_of_sprinting() -> None:
    fake = FakeTime()
    clock = _paced(fake, 100)
    stop = StopSignal()
    clock.wait_until(START + timedelta(seconds=1), stop)
    fake.advance(0.3)  # a stalled job: 30 logical seconds behind the line
    began = fake.now
    clock.wait_until(START + timedelta(seconds=2), stop)  # behind: no wait
    assert fake.now == began
    clock.wait_until(START + timedelta(seconds=7), stop)  # paced again from here: 50 ms
    assert fake.now - began == pytest.approx(0.05)


@pytest.mark.parametrize("scale", [-1.0, float("nan"), float("inf")])
def test_rejects_a_scale_that_is_not_a_finite_non_negative_number(scale: float) -> None:
    with pytest.raises(ValueError, match="time_scale"):
        SimClock(START, time_scale=scale)


def test_rejects_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        SimClock(datetime(2026, 6, 1))


def test_reports_its_scale() -> None:
    assert SimClock(START, 120).time_scale == 120.0


@given(st.lists(st.integers(min_value=-86_400, max_value=86_400 * 365), max_size=30))
def test_scale_zero_time_is_the_latest_deadline_and_never_goes_back(offsets: list[int]) -> None:
    clock = SimClock(START)
    stop = StopSignal()
    latest = START
    for offset in offsets:
        clock.wait_until(START + timedelta(seconds=offset), stop)
        latest = max(latest, START + timedelta(seconds=offset))
        assert clock.now() == latest
        assert clock.monotonic() == (latest - START).total_seconds()
