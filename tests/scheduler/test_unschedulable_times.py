"""Times brain cannot schedule: a clear error or the end of the job, never an ``OverflowError``.

Issue 16 item 4: a replayed ``9999-12-31T23:59:00-05:00`` crashed the scheduler with
``OverflowError`` and ``0001-01-01T00:00:00+05:00`` crashed the simulated clock. The
edges now guard: the clock and the stream trigger refuse a time outside
``brain.contracts.SCHEDULABLE`` by name, and any other trigger whose fire time
cannot be reached ends its job with a log line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from brain.clock.clocks import SimClock
from brain.clock.stop import StopSignal
from brain.contracts import SCHEDULABLE, UnschedulableTimeError
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import TimestampTrigger, every

from .conftest import START, Runs

YEAR_9999 = datetime.fromisoformat("9999-12-31T23:59:00-05:00")
YEAR_1 = datetime.fromisoformat("0001-01-01T00:00:00+05:00")
aware = st.datetimes(timezones=st.timezones())


class FixedTrigger:
    """Fires once at ``when``, whatever it is: a trigger the scheduler cannot trust."""

    def __init__(self, when: datetime) -> None:
        self.when = when

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        return self.when if previous_fire_time is None else None


@pytest.mark.parametrize("start", [YEAR_1, YEAR_9999, datetime(1970, 1, 1, tzinfo=UTC)])
def test_a_simulated_clock_refuses_to_start_outside_the_range(start: datetime) -> None:
    with pytest.raises(UnschedulableTimeError, match=r"SimClock start .* outside the schedulable range"):
        SimClock(start)


def test_a_simulated_clock_refuses_a_deadline_past_the_range_and_keeps_its_time() -> None:
    clock = SimClock(START)
    with pytest.raises(UnschedulableTimeError, match="SimClock deadline 9999-12-31T23:59:00-05:00"):
        clock.wait_until(YEAR_9999, StopSignal())
    assert clock.now() == START
    clock.wait_until(YEAR_1, StopSignal())  # in the past: nothing to wait for, as for any past time
    assert clock.now() == START


@given(moment=aware)
def test_no_aware_time_makes_the_simulated_clock_overflow(moment: datetime) -> None:
    try:
        clock = SimClock(moment)
    except UnschedulableTimeError:
        assert moment not in SCHEDULABLE
        clock = SimClock(START)
    try:
        clock.wait_until(moment, StopSignal())
    except UnschedulableTimeError:
        assert moment not in SCHEDULABLE
    else:
        assert clock.now() == max(clock.now(), moment)


@pytest.mark.parametrize("moment", [YEAR_9999, YEAR_1, datetime(2100, 1, 1, tzinfo=UTC)])
def test_the_stream_trigger_names_a_time_outside_the_range(moment: datetime) -> None:
    trigger = TimestampTrigger(lambda: moment)
    with pytest.raises(UnschedulableTimeError, match="the stream's next timestamp"):
        trigger.get_next_fire_time(None, START)


@given(moment=aware)
def test_no_fire_time_makes_the_scheduler_overflow(moment: datetime) -> None:
    # Any fire time a trigger may hand over: the job runs at it, or is done with a log line.
    runs = Runs()
    scheduler = Scheduler(SimClock(START))
    with capture_logs() as logs:
        scheduler.add_job(runs.job("odd"), FixedTrigger(moment), name="odd")
        try:
            scheduler.run()
        except UnschedulableTimeError:
            assert moment.astimezone(UTC) > START and moment not in SCHEDULABLE  # the clock refused
            return
    events = [entry["event"] for entry in logs]
    if "job_fire_time_out_of_range" in events:
        assert runs.calls == []
    else:
        assert runs.times("odd") == [moment]


def test_a_fire_time_without_a_utc_equivalent_ends_the_job_with_a_log_line(runs: Runs) -> None:
    scheduler = Scheduler(SimClock(START))
    with capture_logs() as logs:
        scheduler.add_job(runs.job("odd"), FixedTrigger(YEAR_9999), name="odd")
        scheduler.add_job(
            runs.job("cycle"), every(timedelta(hours=2), end=START + timedelta(hours=4)), name="cycle"
        )
        scheduler.run()
    assert runs.calls == [("cycle", START + timedelta(hours=h)) for h in (0, 2, 4)]
    refused = [entry for entry in logs if entry["event"] == "job_fire_time_out_of_range"]
    assert len(refused) == 1 and refused[0]["job"] == "odd" and refused[0]["log_level"] == "error"


def test_an_interval_trigger_near_the_end_of_time_is_done_not_an_overflow(runs: Runs) -> None:
    # APScheduler adds the interval to now: one day before datetime.max that overflows.
    class AtTheEnd:
        def now(self) -> datetime:
            return datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)

        def monotonic(self) -> float:
            return 0.0

        def wait_until(self, deadline: datetime, stop: StopSignal) -> None:
            raise AssertionError("nothing is due")

    scheduler = Scheduler(AtTheEnd())
    with capture_logs() as logs:
        scheduler.add_job(runs.job("cycle"), every(timedelta(days=2)), name="cycle")
        scheduler.run()
    assert runs.calls == []
    assert [entry["job"] for entry in logs if entry["event"] == "job_fire_time_out_of_range"] == ["cycle"]
