"""Output deleted under a live writer: noticed at the next check, logged, recreated, the loss counted.

Real files, really removed (``unlink``, ``shutil.rmtree``) between writes, as an
operator's ``rm`` would. What went into the unlinked file after the last check is
gone: the writer must say so (``storage_output_deleted``, :attr:`DatasetWriter.lost`)
and never count it as durable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.contracts import ObservationV1
from brain.storage import DataRootBusyError, DatasetWriter, FsyncPolicy, StorageSettings, iter_records
from brain.storage.dataset import LOCK_FILE_NAME
from tests.factories import T0, device_status, minutes, observation
from tests.storage.processes import SECOND, python, start_holder, stop

PART = Path("run_20260601") / "observations.0000.jsonl"


def timestamps(data_root: Path) -> list[int]:
    """Minutes after T0 of every stored observation, in storage order."""
    records = iter_records(data_root, "observations", ObservationV1)
    return [int((r.timestamp - T0).total_seconds() // 60) for r in records]


def deletions(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [entry for entry in logs if entry["event"] == "storage_output_deleted"]


def test_a_deleted_part_is_noticed_at_the_flush_and_writing_resumes_in_a_new_one(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH, batch_records=1000)
    stamps = minutes(12)
    for timestamp in stamps[:5]:
        writer.write("observations", observation(timestamp))
    writer.flush()  # checked: these five are durable and in place
    for timestamp in stamps[5:8]:
        writer.write("observations", observation(timestamp))
    (data_root / PART).unlink()  # the operator deletes the part
    for timestamp in stamps[8:10]:
        writer.write("observations", observation(timestamp))  # still into the unlinked file
    with capture_logs() as logs:
        writer.flush()
    [deleted] = deletions(logs)
    assert deleted["path"] == str(data_root / PART) and deleted["log_level"] == "error"
    assert deleted["records_lost_since_last_check"] == 5 and writer.lost == 5
    assert writer.durable["observations"] == 5  # the lost five are never acknowledged

    for timestamp in stamps[10:]:
        writer.write("observations", observation(timestamp))
    writer.flush()
    assert timestamps(data_root) == [10, 11]  # a recreated part, holding what came after
    assert writer.durable["observations"] == 7 and writer.lost == 5


def test_the_whole_data_root_deleted_is_recreated_with_its_lock(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH, batch_records=1000)
    for timestamp in minutes(3):
        writer.write("observations", observation(timestamp))
        writer.write("device_status", device_status(timestamp))
    shutil.rmtree(data_root)  # rm -rf of the data root, under the live writer
    with capture_logs() as logs:
        writer.flush()
    assert sorted((e["path"], e["records_lost_since_last_check"]) for e in deletions(logs)) == [
        (str(data_root / "run_20260601" / "device_status.0000.jsonl"), 3),
        (str(data_root / "run_20260601" / "observations.0000.jsonl"), 3),
    ]
    assert writer.lost == 6 and writer.durable["observations"] == 0
    assert [e["lock_file"] for e in logs if e["event"] == "storage_lock_file_recreated"] == [
        str(data_root / LOCK_FILE_NAME)
    ]
    # The recreated lock is held: another process is refused again.
    refused = python(SECOND, str(data_root), stdout=subprocess.PIPE)
    out, _ = refused.communicate(timeout=60)
    assert refused.returncode == 75 and out.startswith(f"{os.getpid()}|"), out

    later = T0 + timedelta(minutes=10)
    writer.write("observations", observation(later))
    writer.flush()
    assert timestamps(data_root) == [10] and writer.durable["observations"] == 1


def test_under_always_the_record_is_written_again_and_nothing_is_lost(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.ALWAYS)
    stamps = minutes(4)
    writer.write("observations", observation(stamps[0]))
    writer.write("observations", observation(stamps[1]))
    shutil.rmtree(data_root / "run_20260601")
    with capture_logs() as logs:
        writer.write("observations", observation(stamps[2]))  # checked before it is acknowledged
    [deleted] = deletions(logs)
    assert deleted["records_lost_since_last_check"] == 0 and writer.lost == 0
    writer.write("observations", observation(stamps[3]))
    assert timestamps(data_root) == [2, 3] and writer.durable["observations"] == 4


def test_under_never_the_flush_still_checks(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.NEVER)
    for timestamp in minutes(4):
        writer.write("observations", observation(timestamp))
    (data_root / PART).unlink()
    with capture_logs() as logs:
        writer.flush()
    assert [e["records_lost_since_last_check"] for e in deletions(logs)] == [4] and writer.lost == 4
    assert writer.durable["observations"] == 0


def test_a_group_commit_and_a_size_rotation_check_too(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.BATCH, batch_records=3))
    stamps = minutes(8)
    with capture_logs() as logs:
        for timestamp in stamps[:3]:
            writer.write("observations", observation(timestamp))  # the third triggers a group commit
        (data_root / PART).unlink()
        for timestamp in stamps[3:6]:
            writer.write("observations", observation(timestamp))  # the sixth: commit, check, 3 lost
        for timestamp in stamps[6:]:
            writer.write("observations", observation(timestamp))
        writer.close()
    assert [e["records_lost_since_last_check"] for e in deletions(logs)] == [3] and writer.lost == 3
    assert timestamps(data_root) == [6, 7]

    line_bytes = len(observation(T0).model_dump_json()) + 1
    rotating = DatasetWriter(
        tmp_path / "rotating", StorageSettings(fsync=FsyncPolicy.BATCH, max_file_bytes=2 * line_bytes)
    )
    rotating.write("observations", observation(stamps[0]))
    (tmp_path / "rotating" / PART).unlink()
    with capture_logs() as logs:
        rotating.write("observations", observation(stamps[1]))
        rotating.write("observations", observation(stamps[2]))  # the part is full: sealed, checked
    assert [e["records_lost_since_last_check"] for e in deletions(logs)] == [2] and rotating.lost == 2
    rotating.close()
    assert timestamps(tmp_path / "rotating") == [2]


def test_a_writer_whose_deleted_lock_another_process_took_stops_writing(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH)
    writer.write("observations", observation(T0))
    shutil.rmtree(data_root)
    other = start_holder(data_root)  # recreates the data root and locks a new lock file first
    try:
        with pytest.raises(DataRootBusyError) as lost:
            writer.flush()
        assert lost.value.pid == other.pid
        with pytest.raises(DataRootBusyError):
            writer.write("observations", observation(T0 + timedelta(minutes=1)))
        assert not writer.lock.held
        stored = [r.timestamp for r in iter_records(data_root, "observations", ObservationV1)]
        assert stored == [T0]  # the other process's one record; this writer added nothing after losing
    finally:
        stop(other)
