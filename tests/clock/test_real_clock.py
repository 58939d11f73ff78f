import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest

from brain.clock.clocks import REAL_MAX_WAIT_S, Clock, RealClock
from brain.clock.stop import StopSignal
from tests.fake_time import FakeTime


def test_real_clock_monotonicity() -> None:
    # The wall clock steps back an hour half way; monotonic readings never go back.
    calls = 0

    def wall() -> float:
        nonlocal calls
        calls += 1
        return time.time() - (3600.0 if calls > 500 else 0.0)

    clock = RealClock(wall=wall)
    assert isinstance(clock, Clock)
    walls, monos = [], []
    for _ in range(1000):
        walls.append(clock.now())
        monos.append(clock.monotonic())
    assert all(later >= earlier for earlier, later in itertools.pairwise(monos))
    assert walls[501] < walls[499] - timedelta(minutes=59)  # the wall clock did go back
    assert all(stamp.tzinfo is UTC for stamp in walls)


def test_now_is_the_injected_wall_time_in_utc() -> None:
    clock = RealClock(wall=lambda: 1_780_000_000.25, monotonic=lambda: 42.0)
    assert clock.now() == datetime(2026, 5, 28, 20, 26, 40, 250000, tzinfo=UTC)
    assert clock.monotonic() == 42.0


def test_now_follows_the_system_clock_by_default() -> None:
    before = datetime.now(UTC)
    now = RealClock().now()
    assert before <= now <= datetime.now(UTC)


def _on(fake: FakeTime, *, max_wait_s: float = REAL_MAX_WAIT_S) -> RealClock:
    return RealClock(wall=fake.time, monotonic=fake.monotonic, sleep=fake.wait, max_wait_s=max_wait_s)


def test_by_default_it_waits_in_real_time() -> None:
    clock = RealClock()
    deadline = clock.now() + timedelta(milliseconds=20)
    clock.wait_until(deadline, StopSignal())
    assert clock.now() >= deadline - timedelta(milliseconds=2)


def test_wait_until_returns_at_the_deadline() -> None:
    fake = FakeTime()
    clock = _on(fake)
    deadline = clock.now() + timedelta(milliseconds=50)
    clock.wait_until(deadline, StopSignal())
    assert clock.now() == deadline
    assert fake.sleeps == [pytest.approx(0.05)]


def test_a_wait_is_at_most_one_slice_so_a_wall_step_is_seen_soon() -> None:
    fake = FakeTime()
    clock = _on(fake, max_wait_s=0.05)
    clock.wait_until(clock.now() + timedelta(hours=1), StopSignal())
    assert fake.sleeps == [pytest.approx(0.05)]


def test_a_wall_step_back_does_not_stretch_the_wait() -> None:
    # The deadline is 50 ms ahead when the wait begins; the wall clock then reads an
    # hour earlier, but one wait is one slice at most, and the caller reads the wall again.
    fake = FakeTime()
    clock = _on(fake, max_wait_s=0.05)
    deadline = clock.now() + timedelta(milliseconds=50)
    fake.step_wall(-3600.0)
    clock.wait_until(deadline, StopSignal())
    assert fake.sleeps == [pytest.approx(0.05)]


def test_stop_wakes_the_wait() -> None:
    fake = FakeTime()
    clock = _on(fake, max_wait_s=3600)
    stop = StopSignal()
    fake.at(fake.now + 0.1, stop.set)
    clock.wait_until(clock.now() + timedelta(hours=1), stop)
    assert fake.sleeps == [pytest.approx(0.1)]


def test_a_deadline_in_the_past_returns_at_once() -> None:
    fake = FakeTime()
    clock = _on(fake)
    clock.wait_until(clock.now() - timedelta(seconds=1), StopSignal())
    assert fake.sleeps == []


@pytest.mark.parametrize("max_wait_s", [0.0, -1.0, 3601.0])
def test_rejects_a_slice_out_of_range(max_wait_s: float) -> None:
    with pytest.raises(ValueError, match="max_wait_s"):
        RealClock(max_wait_s=max_wait_s)
