import itertools
import threading
import time
from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger
from structlog.testing import capture_logs

from brain.clock.clocks import RealClock, SimClock
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every
from tests.fake_time import FakeTime

from .conftest import START, Runs

MINUTE = timedelta(minutes=1)


def _run_order(periods_min: dict[str, int], span_min: int) -> list[tuple[str, datetime]]:
    runs = Runs()
    scheduler = Scheduler(SimClock(START))
    end = START + timedelta(minutes=span_min)
    for name, period in periods_min.items():
        scheduler.add_job(runs.job(name), every(period * MINUTE, end=end), name=name)
    scheduler.run()
    return runs.calls


def test_periodic_task_execution_order() -> None:
    # Registered as zeta, alpha, mid (not alphabetical, not by period): at every instant
    # where several are due they run in that registration order.
    periods = {"zeta": 2, "alpha": 1, "mid": 3}
    expected = [
        (name, START + minute * MINUTE)
        for minute in range(13)
        for name, period in periods.items()
        if minute % period == 0
    ]
    assert _run_order(periods, 12) == expected
    assert _run_order(periods, 12) == expected  # every time


def test_two_hour_logical_cycle_completion() -> None:
    # The ticket's 2-hour cycle is a configuration: an IntervalTrigger of 2 h on the grid.
    clock = SimClock(START, time_scale=0)
    scheduler = Scheduler(clock)
    completed: list[datetime] = []
    flushed: list[datetime] = []
    scheduler.add_job(
        completed.append, every(timedelta(hours=2), end=START + timedelta(hours=22)), name="cycle"
    )
    scheduler.add_shutdown_hook(lambda: flushed.append(clock.now()))
    began = time.monotonic()
    scheduler.run()  # returns by itself: the trigger has no fire time after 22:00
    assert completed == [START + timedelta(hours=2 * k) for k in range(12)]  # 12 cycles in a logical day
    assert flushed == [START + timedelta(hours=22)]
    assert time.monotonic() - began < 10  # not paced: 22 simulated hours in far less than real ones


def _cycle_and_poll(scale: float, start: datetime, end: datetime) -> tuple[list[tuple[str, datetime]], float]:
    """The jobs' runs, and the real time the run took (paced on a fake real time)."""
    runs = Runs()
    fake = FakeTime()
    scheduler = Scheduler(SimClock(start, time_scale=scale, monotonic=fake.monotonic, sleep=fake.wait))
    scheduler.add_job(runs.job("cycle"), every(timedelta(hours=2), end=end), name="cycle")
    scheduler.add_job(runs.job("poll"), every(timedelta(seconds=60), end=end), name="poll")
    began = fake.now
    scheduler.run()
    return runs.calls, fake.now - began


@pytest.mark.parametrize(
    ("scale", "start", "end"),
    [
        # 2 logical hours at 3600x: 2 s of real time.
        (3600.0, START, START + timedelta(hours=2)),
        # At 120x a whole cycle is a real minute: take the 4 minutes around a cycle boundary (2 s).
        (120.0, START + timedelta(hours=1, minutes=58), START + timedelta(hours=2, minutes=2)),
    ],
)
def test_two_hour_cycle_fires_at_the_same_times_at_any_scale(
    scale: float, start: datetime, end: datetime
) -> None:
    expected, _ = _cycle_and_poll(0.0, start, end)
    got, wall_s = _cycle_and_poll(scale, start, end)
    assert got == expected
    assert ("cycle", START + timedelta(hours=2)) in got
    assert wall_s == pytest.approx((end - start).total_seconds() / scale)  # paced, not as fast as possible


def test_graceful_shutdown() -> None:
    # A stop arrives (from another thread) while the long job runs: the job finishes,
    # the job due at the same instant does not start, the hooks run after, in order.
    events: list[str] = []
    fake = FakeTime()
    scheduler = Scheduler(RealClock(wall=fake.time, monotonic=fake.monotonic, sleep=fake.wait))
    calls = 0

    def poll(fire_time: datetime) -> None:
        nonlocal calls
        calls += 1
        events.append("poll start")
        if calls == 3:
            stopper = threading.Thread(target=scheduler.stop)
            stopper.start()
            stopper.join()
            events.append("stop requested")
            fake.advance(0.2)  # the job goes on after the request
        events.append("poll end")

    scheduler.add_job(poll, every(timedelta(milliseconds=50)), name="poll")
    scheduler.add_job(
        lambda fire_time: events.append("state"), every(timedelta(milliseconds=50)), name="state"
    )
    scheduler.add_shutdown_hook(lambda: events.append("flush"))
    scheduler.add_shutdown_hook(lambda: events.append("fsync"))
    began = fake.now
    scheduler.run()
    assert fake.now - began == pytest.approx(0.1 + 0.2)  # two 50-ms ticks, then the long job
    assert events == [
        *["poll start", "poll end", "state"] * 2,
        "poll start",
        "stop requested",
        "poll end",
        "flush",
        "fsync",
    ]
    assert scheduler.stop_requested


def test_a_job_may_stop_the_loop_and_nothing_due_later_runs(runs: Runs) -> None:
    scheduler = Scheduler(SimClock(START))

    def fatal(fire_time: datetime) -> None:
        runs.calls.append(("fatal", fire_time))
        if fire_time == START + 2 * MINUTE:
            scheduler.stop()

    scheduler.add_job(fatal, every(MINUTE), name="fatal")
    scheduler.add_job(runs.job("after"), every(MINUTE), name="after")
    scheduler.run()
    assert runs.calls[-1] == ("fatal", START + 2 * MINUTE)
    assert runs.times("after") == [START, START + MINUTE]


def test_a_raising_job_is_logged_and_the_loop_goes_on(runs: Runs) -> None:
    def flaky(fire_time: datetime) -> None:
        runs.calls.append(("flaky", fire_time))
        if (fire_time - START) // MINUTE % 2:
            raise OSError("I2C bus timeout")

    scheduler = Scheduler(SimClock(START))
    end = START + 5 * MINUTE
    scheduler.add_job(flaky, every(MINUTE, end=end), name="flaky")
    scheduler.add_job(runs.job("steady"), every(MINUTE, end=end), name="steady")
    with capture_logs() as logs:
        scheduler.run()
    assert runs.times("flaky") == runs.times("steady") == [START + k * MINUTE for k in range(6)]
    failures = [entry for entry in logs if entry["event"] == "job_failed"]
    assert [entry["job"] for entry in failures] == ["flaky"] * 3
    assert failures[0]["fire_time"] == (START + MINUTE).isoformat()
    assert failures[0]["log_level"] == "error" and failures[0]["exc_info"] is True


def test_hooks_run_in_order_at_the_natural_end_and_a_failing_hook_does_not_skip_the_rest() -> None:
    order: list[str] = []
    scheduler = Scheduler(SimClock(START))
    scheduler.add_job(lambda fire_time: order.append("job"), every(MINUTE, end=START), name="once")

    def broken() -> None:
        order.append("broken")
        raise OSError("disk full")

    scheduler.add_shutdown_hook(broken)
    scheduler.add_shutdown_hook(lambda: order.append("fsync"))
    with capture_logs() as logs:
        scheduler.run()
    assert order == ["job", "broken", "fsync"]
    assert any(entry["event"] == "shutdown_hook_failed" and "broken" in entry["hook"] for entry in logs)


def test_a_trigger_error_ends_the_run_after_the_hooks() -> None:
    class Broken:
        def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
            if previous_fire_time is None:
                return now
            raise RuntimeError("replay file vanished")

    flushed: list[bool] = []
    scheduler = Scheduler(SimClock(START))
    scheduler.add_job(lambda fire_time: None, Broken(), name="replay")
    scheduler.add_shutdown_hook(lambda: flushed.append(True))
    with pytest.raises(RuntimeError, match="vanished"):
        scheduler.run()
    assert flushed == [True]


def test_stop_before_run_runs_no_job_but_the_hooks(runs: Runs) -> None:
    scheduler = Scheduler(SimClock(START))
    scheduler.add_job(runs.job("poll"), every(MINUTE), name="poll")
    scheduler.add_shutdown_hook(lambda: runs.calls.append(("hook", START)))
    scheduler.stop()
    scheduler.run()
    assert runs.calls == [("hook", START)]


def test_a_job_added_from_a_job_runs(runs: Runs) -> None:
    scheduler = Scheduler(SimClock(START))

    def add_later(fire_time: datetime) -> None:
        scheduler.add_job(runs.job("late"), every(MINUTE, end=START + 3 * MINUTE), name="late")

    scheduler.add_job(add_later, every(MINUTE, end=START), name="adder")
    scheduler.run()
    assert runs.times("late") == [START + k * MINUTE for k in range(4)]


def test_fire_times_handed_to_jobs_are_the_scheduled_ones_on_real_time(runs: Runs) -> None:
    scheduler = Scheduler(RealClock())
    step = timedelta(milliseconds=40)

    def poll(fire_time: datetime) -> None:
        runs.calls.append(("poll", fire_time))
        if len(runs.calls) == 4:
            scheduler.stop()

    scheduler.add_job(poll, every(step), name="poll")
    scheduler.run()
    times = runs.times("poll")
    assert all((when - times[0]) % step == timedelta(0) for when in times)  # on the grid, not "now"
    assert [later - earlier for earlier, later in itertools.pairwise(times)] == [step] * 3


def test_a_scheduler_runs_once_and_names_are_unique() -> None:
    scheduler = Scheduler(SimClock(START))
    scheduler.add_job(lambda fire_time: None, every(MINUTE, end=START), name="poll")
    with pytest.raises(ValueError, match="poll"):
        scheduler.add_job(lambda fire_time: None, every(MINUTE), name="poll")
    scheduler.run()
    with pytest.raises(RuntimeError, match="once"):
        scheduler.run()


def test_a_job_without_any_fire_time_never_runs_and_run_returns(runs: Runs) -> None:
    scheduler = Scheduler(SimClock(START))
    with capture_logs() as logs:
        scheduler.add_job(runs.job("past"), every(MINUTE, end=START - MINUTE), name="past")
        scheduler.run()
    assert runs.calls == []
    assert {"event": "job_has_no_fire_time", "job": "past", "log_level": "info"} in logs


def test_a_one_shot_job_whose_date_passed_runs_once_at_its_date(runs: Runs) -> None:
    # APScheduler's DateTrigger: one fire time, then none. Late by an hour, it still runs once.
    clock = RealClock()
    an_hour_ago = clock.now() - timedelta(hours=1)
    scheduler = Scheduler(clock)
    scheduler.add_job(runs.job("once"), DateTrigger(an_hour_ago), name="once")
    with capture_logs() as logs:
        scheduler.run()
    assert runs.calls == [("once", an_hour_ago)]
    assert not [entry for entry in logs if entry["event"] == "job_runs_coalesced"]


def test_a_stop_requested_while_a_late_job_is_being_coalesced_keeps_it_from_starting(runs: Runs) -> None:
    scheduler = Scheduler(RealClock())

    class StopsWhileAsked:
        def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
            if previous_fire_time is None:
                return now - timedelta(minutes=5)  # late at once
            scheduler.stop()  # e.g. SIGTERM lands while the loop walks the missed runs
            return previous_fire_time + MINUTE

    scheduler.add_job(runs.job("late"), StopsWhileAsked(), name="late")
    scheduler.run()
    assert runs.calls == []
