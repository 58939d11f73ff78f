"""TimestampTrigger: a stream that carries its own time drives the poll job."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from brain.clock.clocks import SimClock
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import TimestampTrigger, every

from .conftest import START, Runs


class Stream:
    """A replayed stream: peek at the next timestamp, consume an item."""

    def __init__(self, timestamps: list[datetime]) -> None:
        self._items = list(timestamps)
        self.consumed: list[datetime] = []

    def next_timestamp(self) -> datetime | None:
        return self._items[0] if self._items else None

    def next_item(self) -> datetime:
        item = self._items.pop(0)
        self.consumed.append(item)
        return item


def _replay(
    timestamps: list[datetime], clock_start: datetime = START
) -> tuple[Stream, list[datetime], SimClock]:
    stream, fired = Stream(timestamps), []
    clock = SimClock(clock_start)
    scheduler = Scheduler(clock)

    def poll(fire_time: datetime) -> None:
        fired.append(fire_time)
        assert stream.next_item() == fire_time  # fires at the item's own time

    scheduler.add_job(poll, TimestampTrigger(stream.next_timestamp), name="poll")
    scheduler.run()  # returns at the end of the stream
    return stream, fired, clock


def test_fires_at_each_items_own_time_and_ends_with_the_stream() -> None:
    # Irregular gaps, a repeated timestamp and one that goes back, as field logs have.
    times = [START + timedelta(seconds=s) for s in (0, 61, 61, 125, 90, 3600)]
    stream, fired, clock = _replay(times)
    assert fired == stream.consumed == times
    assert clock.now() == START + timedelta(seconds=3600)


def test_an_empty_stream_ends_the_run_at_once() -> None:
    _stream, fired, _ = _replay([])
    assert fired == []


def test_items_older_than_the_clock_all_run_in_order_without_coalescing() -> None:
    times = [START + timedelta(minutes=m) for m in range(5)]
    with capture_logs() as logs:
        _, fired, _ = _replay(times, clock_start=START + timedelta(hours=1))
    assert fired == times
    assert not any(entry["event"] == "job_runs_coalesced" for entry in logs)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        TimestampTrigger(lambda: datetime(2026, 6, 1)).get_next_fire_time(None, START)


def test_a_job_that_raises_before_consuming_is_dropped_rather_than_spinning() -> None:
    stream = Stream([START, START + timedelta(minutes=1)])
    scheduler = Scheduler(SimClock(START))
    calls = 0

    def broken(fire_time: datetime) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("estimator bug")

    scheduler.add_job(broken, TimestampTrigger(stream.next_timestamp), name="poll", ends_run=True)
    cycles: list[datetime] = []
    scheduler.add_job(cycles.append, every(timedelta(hours=2)), name="cycle")
    with capture_logs() as logs:
        scheduler.run()  # the dropped poll job ended the run, at its last fire time
    assert calls == 1
    assert cycles == [START]
    assert any(entry["event"] == "job_dropped_not_advancing" and entry["job"] == "poll" for entry in logs)


def test_a_job_that_raises_after_consuming_goes_on_with_the_next_item() -> None:
    stream = Stream([START + timedelta(minutes=m) for m in range(3)])
    scheduler = Scheduler(SimClock(START))

    def poll(fire_time: datetime) -> None:
        if stream.next_item() == START + timedelta(minutes=1):
            raise ValueError("bad record")

    scheduler.add_job(poll, TimestampTrigger(stream.next_timestamp), name="poll")
    scheduler.run()
    assert stream.consumed == [START + timedelta(minutes=m) for m in range(3)]


def test_repr_names_the_source() -> None:
    assert "next_timestamp" in repr(TimestampTrigger(Stream([]).next_timestamp))


@given(st.lists(st.integers(min_value=-86_400, max_value=86_400), max_size=40))
def test_every_item_runs_once_in_stream_order(offsets: list[int]) -> None:
    times = [START + timedelta(seconds=s) for s in offsets]
    stream, fired, _ = _replay(times)
    assert fired == stream.consumed == times


def _replay_with_a_cycle(runs: Runs, timestamps: list[datetime]) -> list[str]:
    stream = Stream(timestamps)
    scheduler = Scheduler(SimClock(START))
    poll = runs.job("poll")

    def consume(fire_time: datetime) -> None:
        stream.next_item()
        poll(fire_time)

    scheduler.add_job(consume, TimestampTrigger(stream.next_timestamp), name="poll", ends_run=True)
    scheduler.add_job(runs.job("cycle"), every(timedelta(hours=2)), name="cycle")  # no end of its own
    hooks: list[str] = []
    scheduler.add_shutdown_hook(lambda: hooks.append("flush"))
    scheduler.run()  # returns although the cycle job alone would go on forever
    return hooks


@pytest.mark.parametrize(
    ("last_item", "cycles"),
    [
        (timedelta(hours=3, minutes=10), [START, START + timedelta(hours=2)]),
        (timedelta(hours=2), [START, START + timedelta(hours=2)]),  # same instant: the cycle still runs
        (timedelta(hours=1, minutes=59), [START]),
    ],
)
def test_the_end_of_a_replay_ends_the_run_after_the_jobs_due_until_then(
    runs: Runs, last_item: timedelta, cycles: list[datetime]
) -> None:
    items = [START, START + timedelta(minutes=30), START + last_item]
    assert _replay_with_a_cycle(runs, items) == ["flush"]
    assert runs.times("poll") == items
    assert runs.times("cycle") == cycles


def test_an_empty_replay_runs_nothing(runs: Runs) -> None:
    assert _replay_with_a_cycle(runs, []) == ["flush"]
    assert runs.calls == []
