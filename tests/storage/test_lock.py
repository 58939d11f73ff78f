"""One writer per data root: a real second process is refused, naming the first one's pid.

The holder is a fresh Python process holding a ``DatasetWriter`` (it prints
``ready`` once it has written a record, and closes the writer when its stdin
closes); the second writer is this test process, and a third one a subprocess
of its own, as an operator's manual run beside the systemd service would be.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from brain.contracts import ObservationV1
from brain.errors import StorageError
from brain.storage import (
    DataRootBusyError,
    DataRootLock,
    DatasetWriter,
    FsyncPolicy,
    StorageSettings,
    apply_retention,
    iter_records,
)
from brain.storage.dataset import LOCK_FILE_NAME
from tests.factories import T0, minutes, observation
from tests.storage.processes import SECOND, python


def test_a_second_writer_is_refused_naming_the_holders_pid(
    data_root: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(DataRootBusyError) as refused:
        DatasetWriter(data_root, StorageSettings())
    assert refused.value.pid == holder.pid
    assert refused.value.holder is not None and refused.value.holder.startswith("test holder")
    assert f"process {holder.pid}" in str(refused.value) and str(data_root) in str(refused.value)
    lock_file = (data_root / LOCK_FILE_NAME).read_text().splitlines()
    assert lock_file[0] == str(holder.pid)

    second = python(SECOND, str(data_root), stdout=subprocess.PIPE)  # a process of its own, as a user runs it
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 75, out
    pid, holder_name, message = out.strip().split("|")
    assert int(pid) == holder.pid and holder_name.startswith("test holder")
    assert f"process {holder.pid}" in message

    # The refused writers changed nothing: the holder's one record is all there is.
    assert [r.timestamp for r in iter_records(data_root, "observations", ObservationV1)] == [T0]
    holder_out, _ = holder.communicate("", timeout=30)  # close its stdin: it closes its writer
    assert holder_out == "closed\n"
    assert (data_root / LOCK_FILE_NAME).read_bytes() == b""  # released: empty means free
    writer = DatasetWriter(data_root, StorageSettings())  # and the data root is free for the next one
    writer.close()


def test_a_killed_holder_leaves_no_stale_lock(data_root: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert (data_root / LOCK_FILE_NAME).read_text().startswith(f"{holder.pid}\n")  # its pid is still there...
    writer = DatasetWriter(data_root, StorageSettings())  # ...but the kernel dropped the lock with it
    assert (data_root / LOCK_FILE_NAME).read_text().startswith(f"{os.getpid()}\n")
    writer.close()


def test_retention_is_refused_while_another_process_writes(
    data_root: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(DataRootBusyError, match=f"process {holder.pid}"):
        apply_retention(data_root, date(2027, 6, 1), retention_days=30, compress_after_days=7)
    assert (data_root / "run_20260601" / "observations.0000.jsonl").exists()  # nothing deleted


def test_retention_runs_under_the_writers_own_lock(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH)
    for timestamp in minutes(3):
        writer.write("observations", observation(timestamp))
    writer.flush()
    # Another lock object in the same process is a second writer too, and is told so.
    with pytest.raises(DataRootBusyError, match="this process itself"):
        apply_retention(data_root, date(2026, 6, 20), retention_days=30, compress_after_days=7)
    report = apply_retention(
        data_root, date(2026, 6, 20), retention_days=30, compress_after_days=7, lock=writer.lock
    )
    assert [path.name for path in report.compressed] == ["observations.0000.jsonl"]
    with DataRootLock(tmp_path / "other", "test") as other, pytest.raises(StorageError, match="not held on"):
        apply_retention(data_root, date(2026, 6, 20), retention_days=30, compress_after_days=7, lock=other)


def test_the_lock_is_a_context_manager_and_release_is_idempotent(data_root: Path) -> None:
    lock = DataRootLock(data_root, "export")
    with lock:
        assert lock.held and lock.covers(data_root) and lock.covers(data_root / ".." / data_root.name)
        content = (data_root / LOCK_FILE_NAME).read_text().splitlines()
        assert content[0] == str(os.getpid()) and content[1].startswith("export: ")
        with pytest.raises(DataRootBusyError):
            DataRootLock(data_root, "second").acquire()
    assert not lock.held and not lock.covers(data_root)
    lock.release()
    with DataRootLock(data_root, "again"):
        pass


def test_a_holder_that_could_not_write_its_pid_is_found_through_proc_locks(data_root: Path) -> None:
    with DataRootLock(data_root, "full disk"):
        (data_root / LOCK_FILE_NAME).write_bytes(b"")  # as if the pid write had met a full disk
        if not Path("/proc/locks").exists():
            pytest.skip("no /proc/locks on this system")
        with pytest.raises(DataRootBusyError) as refused:
            DataRootLock(data_root, "second").acquire()
    assert refused.value.pid == os.getpid() and refused.value.holder is None
