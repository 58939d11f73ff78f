"""TimestampTrigger: a stream that carries its own time drives the poll job."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from brain.timing.clock import SimClock
from brain.timing.scheduler import Scheduler
from brain.timing.triggers import TimestampTrigger

from .conftest import START


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

    scheduler.add_job(broken, TimestampTrigger(stream.next_timestamp), name="poll")
    with capture_logs() as logs:
        scheduler.run()
    assert calls == 1
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
