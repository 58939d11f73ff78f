import errno
from pathlib import Path

from pydantic import BaseModel

from brain.daemon.sink import BacklogSink
from brain.errors import StorageError
from brain.storage.errors import DiskError, DiskFullError, UnknownStreamError


class Rec(BaseModel):
    timestamp: str


class FlakyWriter:
    """Refuses writes while `full` is set, like a disk without space."""

    def __init__(self) -> None:
        self.full = False
        self.read_only = False
        self.lost = 0
        self.unconfirmed = 0
        self.lines: list[tuple[str, str]] = []
        self.flushes = 0
        self.closed = False

    def write(self, stream: str, record: BaseModel) -> None:
        if self.full:
            raise DiskFullError(Path("x.jsonl"), errno.ENOSPC, "No space left on device")
        if self.read_only:
            raise DiskError(Path("x.jsonl"), errno.EROFS, "Read-only file system")
        if stream == "bogus":
            raise UnknownStreamError(stream, type(record).__name__)
        self.lines.append((stream, record.timestamp))  # type: ignore[attr-defined]

    def flush(self) -> None:
        if self.full:
            raise StorageError("flush failed")
        self.flushes += 1

    def close(self) -> None:
        self.closed = True


def test_backlog_keeps_order_and_drains_when_space_returns() -> None:
    writer = FlakyWriter()
    sink = BacklogSink(writer, max_backlog=10)
    sink.write("state", Rec(timestamp="t1"))
    writer.full = True
    sink.write("state", Rec(timestamp="t2"))
    sink.write("anomalies", Rec(timestamp="t3"))
    sink.flush()  # logged, not raised
    assert sink.backlog == 2
    writer.full = False
    sink.write("state", Rec(timestamp="t4"))
    assert writer.lines == [("state", "t1"), ("state", "t2"), ("anomalies", "t3"), ("state", "t4")]
    assert sink.backlog == 0 and sink.written == 4


def test_backlog_is_bounded_and_counts_drops() -> None:
    writer = FlakyWriter()
    writer.full = True
    sink = BacklogSink(writer, max_backlog=2)
    for i in range(5):
        sink.write("state", Rec(timestamp=f"t{i}"))
    assert sink.backlog == 2 and sink.dropped == 3
    writer.full = False
    sink.close()
    assert writer.lines == [("state", "t3"), ("state", "t4")] and writer.closed


def test_a_record_the_writer_can_never_take_is_dropped_not_queued() -> None:
    writer = FlakyWriter()
    sink = BacklogSink(writer, max_backlog=10)
    sink.write("bogus", Rec(timestamp="t1"))
    sink.write("state", Rec(timestamp="t2"))
    assert writer.lines == [("state", "t2")]
    assert (sink.backlog, sink.rejected, sink.written) == (0, 1, 1)


def test_a_permanent_refusal_is_given_up_on_and_every_loss_counted() -> None:
    writer = FlakyWriter()
    sink = BacklogSink(writer, max_backlog=1)
    sink.write("state", Rec(timestamp="t1"))
    writer.full = True
    sink.write("state", Rec(timestamp="t2"))
    assert sink.gave_up is None  # a full disk may take records again: wait
    writer.full, writer.read_only = False, True
    sink.write("state", Rec(timestamp="t3"))
    assert sink.gave_up is not None and "Read-only" in str(sink.gave_up)
    writer.lost = 2  # records the writer put into a file that was then deleted
    sink.close()
    assert sink.losses() == {"backlog_overflow": 1, "backlog_at_exit": 1, "file_deleted": 2}


def test_nothing_lost_is_an_empty_account() -> None:
    sink = BacklogSink(FlakyWriter(), max_backlog=1)
    sink.write("state", Rec(timestamp="t1"))
    sink.close()
    assert sink.losses() == {}
