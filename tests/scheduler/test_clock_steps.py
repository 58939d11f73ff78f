"""Wall-clock steps under RealClock: NTP correcting the Pi, or its first sync after a boot without RTC."""

import itertools
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.date import DateTrigger
from structlog.testing import capture_logs

from brain.clock.clocks import RealClock
from brain.scheduler.event_loop import MAX_COALESCE_WALK, Scheduler
from brain.scheduler.triggers import GRID_ORIGIN, every
from tests.fake_time import WALL_START_S, FakeTime

TICK = timedelta(milliseconds=200)
RUNS_AFTER_STEP = 4

Logs = list[dict[str, object]]


def _real_clock(fake: FakeTime) -> RealClock:
    """A RealClock on fake time, waking every 50 ms as the Pi's wakes every 5 s."""
    return RealClock(wall=fake.time, monotonic=fake.monotonic, sleep=fake.wait, max_wait_s=0.05)


def _wall_now(fake: FakeTime) -> datetime:
    return datetime.fromtimestamp(fake.time(), UTC)


def _events(logs: Logs, event: str) -> Logs:
    return [entry for entry in logs if entry["event"] == event]


def _step_from_a_job(step_s: float) -> tuple[list[tuple[datetime, float]], Logs, float]:
    """Run a poll every TICK; its third run steps the wall clock; stop after four more runs."""
    fake = FakeTime()
    scheduler = Scheduler(_real_clock(fake))
    runs: list[tuple[datetime, float]] = []  # (fire time, real monotonic time it ran)
    stepped_at: list[float] = []

    def poll(fire_time: datetime) -> None:
        runs.append((fire_time, fake.monotonic()))
        if len(runs) == 3:
            fake.step_wall(step_s)
            stepped_at.append(fake.monotonic())
        if len(runs) == 3 + RUNS_AFTER_STEP:
            scheduler.stop()

    scheduler.add_job(poll, every(TICK), name="poll")
    # A job far ahead: re-anchoring at the new now must leave it where it was.
    scheduler.add_job(
        lambda fire_time: None, DateTrigger(_wall_now(fake) + timedelta(days=1)), name="tomorrow"
    )
    with capture_logs() as logs:
        scheduler.run()
    return runs, logs, stepped_at[0]


def _neither_stall_nor_burst(runs: list[tuple[datetime, float]], stepped_at: float) -> None:
    fire_times = [fire for fire, _ in runs[3:]]
    ran_at = [ran for _, ran in runs[3:]]
    assert ran_at[0] - stepped_at < 1.5  # no stall: a tick (and the coalescing walk) after the step
    # No burst: four runs take at least the time of the ticks between them (a burst takes ~0 s).
    assert ran_at[-1] - ran_at[0] >= (RUNS_AFTER_STEP - 2) * TICK.total_seconds()
    assert all(later > earlier for earlier, later in itertools.pairwise(fire_times))
    assert all((fire - fire_times[0]) % TICK == timedelta(0) for fire in fire_times)


def test_wall_clock_step_forward_runs_once_coalesced_then_keeps_its_cadence() -> None:
    runs, logs, stepped_at = _step_from_a_job(3 * 3600.0)
    _neither_stall_nor_burst(runs, stepped_at)
    before, first_after = runs[2][0], runs[3][0]
    assert timedelta(hours=3) <= first_after - before < timedelta(hours=3, seconds=1)
    coalesced = _events(logs, "job_runs_coalesced")
    # The one run after the step stands for every grid point skipped since the last run.
    assert coalesced[0]["job"] == "poll"
    assert coalesced[0]["missed"] == round((first_after - before) / TICK) - 1 >= 3 * 5 * 3600 - 1
    assert coalesced[0]["first_missed"] == (before + TICK).isoformat()
    assert coalesced[0]["fire_time"] == first_after.isoformat()
    # If the walk itself made the loop late (a loaded machine), the next runs coalesce a few more.
    assert all(int(entry["missed"]) < 20 for entry in coalesced[1:])  # type: ignore[call-overload]
    steps = _events(logs, "wall_clock_stepped")
    assert len(steps) == 1 and abs(float(steps[0]["step_s"]) - 10800) < 1  # type: ignore[arg-type]


def test_wall_clock_step_back_re_anchors_instead_of_waiting_an_hour() -> None:
    runs, logs, stepped_at = _step_from_a_job(-3600.0)
    _neither_stall_nor_burst(runs, stepped_at)
    fire_times = [fire for fire, _ in runs]
    assert timedelta(minutes=-61) < fire_times[3] - fire_times[2] < timedelta(minutes=-59)  # the new now
    assert all(later - earlier == TICK for earlier, later in itertools.pairwise(fire_times[3:]))
    steps = _events(logs, "wall_clock_stepped")
    assert len(steps) == 1 and abs(float(steps[0]["step_s"]) + 3600) < 1  # type: ignore[arg-type]
    assert [entry["job"] for entry in _events(logs, "job_reanchored")] == ["poll"]
    assert not _events(logs, "job_runs_coalesced")


def _step_while_waiting(step_s: float) -> tuple[list[datetime], Logs, float]:
    """An hourly job, 0.3 s before its fire time; the wall clock steps while the loop sleeps."""
    hour = timedelta(hours=1)
    fake = FakeTime(wall_s=WALL_START_S - 0.3)  # WALL_START_S is on the hour
    scheduler = Scheduler(_real_clock(fake))
    fired: list[datetime] = []

    def hourly(fire_time: datetime) -> None:
        fired.append(fire_time)
        scheduler.stop()

    scheduler.add_job(hourly, every(hour), name="hourly")
    stepped_at: list[float] = []

    def step() -> None:
        fake.step_wall(step_s)
        stepped_at.append(fake.monotonic())

    fake.at(fake.now + 0.1, step)
    with capture_logs() as logs:
        scheduler.run()
    return fired, logs, fake.monotonic() - stepped_at[0]


def test_a_step_forward_during_a_wait_is_seen_within_a_slice_and_coalesced() -> None:
    fired, logs, since_step = _step_while_waiting(3 * 3600.0)
    assert since_step < 1.0
    coalesced = _events(logs, "job_runs_coalesced")
    assert len(coalesced) == 1 and coalesced[0]["missed"] == 2  # due at H, H+1h, H+2h: runs H+2h once
    assert fired == [datetime.fromisoformat(str(coalesced[0]["fire_time"]))]
    assert fired[0].minute == fired[0].second == fired[0].microsecond == 0


def test_a_step_back_during_a_wait_does_not_stall_for_the_step() -> None:
    fired, logs, since_step = _step_while_waiting(-3600.0)
    assert since_step < 1.0  # not an hour
    assert len(fired) == 1 and fired[0].minute == fired[0].second == 0
    assert _events(logs, "job_reanchored")


def test_a_pi_booting_in_1970_polls_on_time_then_after_ntp_without_walking_decades() -> None:
    # No real-time clock, no saved time: the wall reads 1970 until the first NTP sync.
    fake = FakeTime(wall_s=60.0)
    scheduler = Scheduler(_real_clock(fake))
    fired: list[datetime] = []

    def poll(fire_time: datetime) -> None:
        fired.append(fire_time)
        if fire_time.year == 2026:
            scheduler.stop()

    scheduler.add_job(poll, every(TICK), name="poll")  # the grid reaches back from 2000 to 1970

    synced: list[datetime] = []

    def ntp_sync() -> None:
        fake.step_wall(WALL_START_S - 60.0)
        synced.append(_wall_now(fake))

    fake.at(fake.now + 0.9, ntp_sync)
    began = fake.now
    with capture_logs() as logs:
        scheduler.run()
    assert fake.now - began < 0.9 + 2 * TICK.total_seconds()
    in_1970 = [t for t in fired if t.year == 1970]
    assert len(in_1970) == 5, "polled every TICK while the clock read 1970"
    assert all(b - a == TICK for a, b in itertools.pairwise(in_1970))
    assert fired[-1].year == 2026 and len(fired) == len(in_1970) + 1
    assert timedelta(0) <= fired[-1] - synced[0] <= TICK
    coalesced = _events(logs, "job_runs_coalesced")
    assert coalesced[0]["missed_at_least"] == MAX_COALESCE_WALK
    assert coalesced[0]["next_fire_time"] == fired[-1].isoformat()
    assert float(_events(logs, "wall_clock_stepped")[0]["step_s"]) > 50 * 365 * 86400  # type: ignore[arg-type]


def test_a_job_whose_end_passed_while_the_clock_was_wrong_is_done() -> None:
    fake = FakeTime(wall_s=60.0)  # 1970 again
    scheduler = Scheduler(_real_clock(fake))
    fired: list[datetime] = []
    # Every second during the first two days of the grid: long past once NTP syncs.
    scheduler.add_job(
        fired.append, every(timedelta(seconds=1), end=GRID_ORIGIN + timedelta(days=2)), name="old"
    )
    fake.at(fake.now + 0.1, lambda: fake.step_wall(WALL_START_S - 60.0))
    with capture_logs() as logs:
        scheduler.run()  # returns: the only job has no fire time left
    assert fired == [datetime(1970, 1, 1, 0, 1, tzinfo=UTC)], "on its grid in 1970, then never again"
    coalesced = _events(logs, "job_runs_coalesced")
    assert coalesced[0]["missed_at_least"] == MAX_COALESCE_WALK and coalesced[0]["next_fire_time"] is None
