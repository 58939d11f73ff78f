"""The watchdog's trigger and the wall-clock check: no wall date can starve the watchdog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from brain.clock.clocks import RealClock
from brain.daemon.watchdog import AfterEachRun, WallClockCheck
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every
from tests.fake_time import FakeTime


@pytest.mark.parametrize("year", [1970, 2026, 2150])
def test_after_each_run_fires_one_interval_after_now_whatever_the_date(year: int) -> None:
    trigger = AfterEachRun(timedelta(seconds=90))
    now = datetime(year, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == now + timedelta(seconds=90)
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(long_ago, now) == now + timedelta(seconds=90), "lateness is not made up"


def test_after_each_run_refuses_a_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        AfterEachRun(timedelta(0))


def test_the_watchdog_job_and_the_poll_run_on_a_clock_that_reads_1970() -> None:
    """The scheduler on a real clock whose wall time is 1970 and whose waits are fake time."""
    fake = FakeTime(wall_s=7.0)  # 1970-01-01T00:00:07Z: a Pi booted without a real-time clock
    clock = RealClock(wall=fake.time, monotonic=fake.monotonic, sleep=fake.wait)
    scheduler = Scheduler(clock)
    pings: list[float] = []
    polls: list[datetime] = []

    def poll(fire_time: datetime) -> None:
        polls.append(fire_time)
        if len(polls) == 3:
            scheduler.stop()

    scheduler.add_job(poll, every(timedelta(seconds=60)), name="poll")

    def ping(_fire_time: datetime) -> None:
        pings.append(fake.time())
        if len(pings) == 20:  # a bound, should the polls never come
            scheduler.stop()

    scheduler.add_job(ping, AfterEachRun(timedelta(seconds=25)), name="watchdog")
    scheduler.run()
    assert polls == [datetime(1970, 1, 1, 0, minute, tzinfo=UTC) for minute in (1, 2, 3)]
    assert pings == [7.0 + 25 * k for k in range(1, 7)], "every 25 s from the start, up to the third poll"


def test_an_implausible_wall_clock_is_logged_once_and_its_correction_too() -> None:
    check = WallClockCheck()
    with capture_logs() as logs:
        for year in (1970, 1970, 1970, 2026, 2026, 1999, 2101):
            check.check(datetime(year, 1, 1, tzinfo=UTC))
    assert [(e["event"], e["log_level"], e["now"][:4]) for e in logs] == [
        ("wall_clock_implausible", "warning", "1970"),
        ("wall_clock_plausible", "info", "2026"),
        ("wall_clock_implausible", "warning", "1999"),
    ]
    assert check.implausible
