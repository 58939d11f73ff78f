import errno
import gzip
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import brain.storage.writer as writer_module
from brain.contracts import ObservationV1, SensorReadings
from brain.daemon.sink import BacklogSink
from brain.storage import (
    DatasetWriter,
    DiskError,
    DiskFullError,
    DiskIOError,
    FsyncPolicy,
    MalformedLineError,
    MalformedLinePolicy,
    StorageSettings,
    UnserializablePolicy,
    UnserializableRecordError,
    iter_records,
)
from brain.storage.durable import fsync_dir
from tests.factories import T0, minutes, observation, observation_line, record
from tests.storage.jsonl_files import lines_of, write_lines

PART = Path("run_20260601") / "observations.0000.jsonl"


def failing_fsync(fd: int) -> None:
    raise OSError(errno.EIO, "Input/output error")


def unserializable_observation() -> ObservationV1:
    """A record that bypassed validation and carries an object JSON cannot represent."""
    good = observation(T0)
    sensors = SensorReadings.model_construct(**{**good.sensors.model_dump(), "co2_ppm": object()})
    return ObservationV1.model_construct(**{**dict(good), "sensors": sensors})


@pytest.mark.parametrize("policy", list(UnserializablePolicy))
def test_rejects_non_serializable_record(
    make_writer: Callable[..., DatasetWriter], data_root: Path, policy: UnserializablePolicy
) -> None:
    writer = make_writer(on_unserializable=policy)
    writer.write("observations", observation(T0))
    before = (data_root / PART).read_bytes()

    with capture_logs() as logs:
        if policy is UnserializablePolicy.RAISE:
            with pytest.raises(UnserializableRecordError) as raised:
                writer.write("observations", unserializable_observation())
            assert raised.value.record_type == "ObservationV1"
            assert raised.value.field == "sensors.co2_ppm"
            assert "ObservationV1.sensors.co2_ppm" in str(raised.value)
        else:
            writer.write("observations", unserializable_observation())
            assert writer.skipped_unserializable == 1
    assert (data_root / PART).read_bytes() == before  # the file is untouched either way
    skipped = [entry for entry in logs if entry["event"] == "storage_record_skipped"]
    if policy is UnserializablePolicy.SKIP:
        assert skipped[0]["field"] == "sensors.co2_ppm" and skipped[0]["record_type"] == "ObservationV1"
    else:
        assert skipped == []

    writer.write("observations", observation(T0 + timedelta(minutes=1)))  # the writer goes on
    assert len(lines_of(data_root / PART)) == 2


def test_a_record_without_an_aware_timestamp_is_unserialisable(
    make_writer: Callable[..., DatasetWriter],
) -> None:
    naive = ObservationV1.model_construct(**{**dict(observation(T0)), "timestamp": datetime(2026, 6, 1)})
    writer = make_writer(on_unserializable=UnserializablePolicy.RAISE)
    with pytest.raises(UnserializableRecordError, match=r"ObservationV1\.timestamp"):
        writer.write("observations", naive)


BAD_LINES = {
    "not JSON": b"{this is not json",
    "missing sensor key": observation_line(90).replace(b'"co2_ppm":610.0,', b""),
    "string for a number": observation_line(91).replace(b'"co2_ppm":610.0', b'"co2_ppm":"610"'),
    "naive timestamp": observation_line(92).replace(b"Z", b""),
    "empty line": b"",
    "JSON but not an object": b"[1, 2, 3]",
}


def test_malformed_observation_handling(tmp_path: Path) -> None:
    lines = [observation_line(0), *BAD_LINES.values(), observation_line(1)]
    path = write_lines(tmp_path / "observations.0000.jsonl", lines)
    with capture_logs() as logs:
        records = iter_records(path, "observations", ObservationV1, policy=MalformedLinePolicy.SKIP)
        kept = list(records)
    assert [item.timestamp for item in kept] == [T0, T0 + timedelta(minutes=1)]
    assert records.records == 2 and records.malformed == len(BAD_LINES)
    bad_numbers = list(range(2, 2 + len(BAD_LINES)))
    assert [(error.path, error.line) for error in records.errors] == [(path, n) for n in bad_numbers]
    assert "sensors.co2_ppm" in records.errors[1].reason  # the missing key is named
    logged = [(entry["file"], entry["line"]) for entry in logs if entry["event"] == "malformed_line_skipped"]
    assert logged == [(str(path), n) for n in bad_numbers]

    failing = iter_records(path, "observations", ObservationV1, policy=MalformedLinePolicy.FAIL)
    assert next(failing).timestamp == T0
    with pytest.raises(MalformedLineError) as raised:
        next(failing)
    assert raised.value.path == path and raised.value.line == 2
    assert f"{path}:2:" in str(raised.value)


def test_a_damaged_gzip_part_gives_its_good_lines_then_one_error(tmp_path: Path) -> None:
    packed = gzip.compress(b"".join(observation_line(m) + b"\n" for m in range(200)))
    path = tmp_path / "observations.0000.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])  # cut in the middle, as a failing card might
    records = iter_records(path, "observations", ObservationV1)
    kept = list(records)
    assert 0 < len(kept) < 200
    assert records.malformed == 1 and "unreadable" in records.errors[0].reason
    with pytest.raises(MalformedLineError, match="unreadable"):
        list(iter_records(path, "observations", ObservationV1, policy=MalformedLinePolicy.FAIL))


@pytest.mark.parametrize(("code", "error_type"), [(errno.ENOSPC, DiskFullError), (errno.EIO, DiskIOError)])
def test_disk_errors_leave_nothing_partial_and_writing_resumes(
    make_writer: Callable[..., DatasetWriter],
    data_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    error_type: type[Exception],
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH)
    stamps = minutes(4)
    writer.write("observations", observation(stamps[0]))
    real_write = os.write

    def failing_write(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 3])  # some bytes reach the file before the device fails
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(writer_module.os, "write", failing_write)
    with pytest.raises(error_type) as raised:
        writer.write("observations", observation(stamps[1]))
    assert raised.value.errno == code and str(PART) in str(raised.value)
    assert [
        ObservationV1.model_validate_json(line).timestamp for line in lines_of(data_root / PART)
    ] == stamps[:1]

    monkeypatch.setattr(writer_module.os, "write", real_write)  # space (or the card) is back
    writer.write("observations", observation(stamps[1]))
    writer.write("observations", observation(stamps[2]))
    writer.close()
    assert [
        ObservationV1.model_validate_json(line).timestamp for line in lines_of(data_root / PART)
    ] == stamps[:3]


def test_a_short_write_is_cut_back(
    make_writer: Callable[..., DatasetWriter], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_writer()
    writer.write("observations", observation(T0))
    real_write = os.write
    monkeypatch.setattr(writer_module.os, "write", lambda fd, data: real_write(fd, data[:10]))
    with pytest.raises(DiskFullError, match="short write"):
        writer.write("observations", observation(T0 + timedelta(minutes=1)))
    monkeypatch.setattr(writer_module.os, "write", real_write)
    assert len(lines_of(data_root / PART)) == 1
    assert writer.written["observations"] == 1 and writer.durable["observations"] == 1


def test_backlog_sink_over_a_full_disk_keeps_every_record_in_order(
    make_writer: Callable[..., DatasetWriter], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = BacklogSink(make_writer(), max_backlog=100)
    real_write = os.write
    stamps = minutes(6)
    for index, timestamp in enumerate(stamps):
        full = index in (2, 3)
        monkeypatch.setattr(
            writer_module.os, "write", real_write if not full else lambda fd, data: real_write(fd, data[:5])
        )
        sink.write("observations", observation(timestamp))
    monkeypatch.setattr(writer_module.os, "write", real_write)
    sink.close()
    assert [
        ObservationV1.model_validate_json(line).timestamp for line in lines_of(data_root / PART)
    ] == stamps


def test_fsync_failure_under_always_takes_the_record_back(
    make_writer: Callable[..., DatasetWriter], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_writer(fsync=FsyncPolicy.ALWAYS)
    writer.write("observations", observation(T0))
    real_fsync = os.fsync
    monkeypatch.setattr(writer_module.os, "fsync", failing_fsync)
    with pytest.raises(DiskIOError, match="fsync"):
        writer.write("observations", observation(T0 + timedelta(minutes=1)))
    monkeypatch.setattr(writer_module.os, "fsync", real_fsync)
    assert writer.durable["observations"] == 1 and writer.written["observations"] == 1
    assert len(lines_of(data_root / PART)) == 1  # a retry by the caller cannot duplicate it


def test_fsync_failure_under_batch_leaves_records_unconfirmed(
    make_writer: Callable[..., DatasetWriter], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH, batch_records=3)
    stamps = minutes(4)
    writer.write("observations", observation(stamps[0]))  # creates (and fsyncs) the directories
    real_fsync = os.fsync
    monkeypatch.setattr(writer_module.os, "fsync", failing_fsync)
    with capture_logs() as logs:
        writer.write("observations", observation(stamps[1]))
        writer.write("observations", observation(stamps[2]))  # the group commit fails
    monkeypatch.setattr(writer_module.os, "fsync", real_fsync)
    # The records were appended (write returned), but none is acknowledged as durable.
    assert writer.written["observations"] == 3 and writer.durable["observations"] == 0
    assert writer.unconfirmed == 3
    assert any(entry["event"] == "storage_group_commit_failed" for entry in logs)
    writer.write("observations", observation(stamps[3]))
    writer.flush()
    assert writer.durable["observations"] == 1
    assert len(lines_of(data_root / PART)) == 4


def test_flush_reports_a_failing_fsync(
    make_writer: Callable[..., DatasetWriter], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH, batch_records=100)
    writer.write("observations", observation(T0))
    writer.write("state", record("state", T0))
    monkeypatch.setattr(writer_module.os, "fsync", failing_fsync)
    with pytest.raises(DiskIOError):
        writer.flush()
    assert writer.unconfirmed == 2


def test_a_data_root_that_is_a_file_is_a_disk_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(DiskError, match="a file is in its place") as refused:  # at start, before any record
        DatasetWriter(blocker, StorageSettings())
    assert refused.value.path == blocker and refused.value.permanent
    with pytest.raises(DiskError, match="open directory for fsync"):
        fsync_dir(tmp_path / "missing")


def test_a_part_that_cannot_be_opened_is_a_disk_error(
    make_writer: Callable[..., DatasetWriter], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_writer()
    real_open = os.open

    def no_space(path: Path, flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(".jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, mode)

    monkeypatch.setattr(writer_module.os, "open", no_space)
    with pytest.raises(DiskFullError, match=r"observations\.0000\.jsonl: open for append failed"):
        writer.write("observations", observation(T0))
    assert writer.written["observations"] == 0
