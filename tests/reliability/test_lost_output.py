"""Loss is never success: output that cannot be written, or vanishes, is an error with a count.

Each fault is made for real under a real ``brain-daemon`` process: a file where the
data root should be, a data root turned read-only while the daemon writes, the data
root and a part file deleted under it. The faults under a running daemon are made
while it is paused (SIGSTOP, then SIGCONT, ``Process.paused``) once its notifications
say it has stored a few polls: the fault then lands at a moment the test has seen, and
``rmtree`` never races the daemon recreating what it deletes, however loaded the machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.reliability.drill import NotifyListener, polled, start_daemon, validate_data_root
from tests.runs import daemon
from tests.storage.test_unwritable_root import without_permission_bypass

PACED = ("--simulate", "--time-scale", "3000", "--duration-hours", "2")
"""Two simulated hours at 3000x: a poll every 20 ms, about 2.4 s in all."""
ACROSS_MIDNIGHT = (
    "--simulate",
    "--time-scale",
    "3000",
    "--duration-hours",
    "3",
    "--start",
    "2026-06-01T22:00:00+00:00",
)
"""Three hours that cross a day at 2 h (2.4 s in): the new run folder is the first new file."""


def test_an_output_folder_that_is_a_file_is_refused_at_start_with_73(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    run = daemon(tmp_path / "data", "--simulate", "--duration-hours", "1")
    assert run.returncode == 73, run.stderr
    assert str(tmp_path / "data") in run.stderr and "a file is in its place" in run.stderr
    assert "records are in" not in run.stdout + run.stderr


def test_a_folder_turned_unwritable_stops_the_daemon_with_73_and_the_count(tmp_path: Path) -> None:
    # The daemon runs without root's permission bypass (as the brain user on the Pi); its data
    # root turns read-only while it writes. The open parts still take bytes; the first new file,
    # the run folder of the new day at simulated midnight (2.4 s in), is refused with EACCES: a
    # permanent cause, so the daemon stops instead of polling on into memory.
    prefix = without_permission_bypass()
    data_root = tmp_path / "data"
    data_root.mkdir()
    listener = NotifyListener(tmp_path / "notify.sock")
    process = start_daemon(
        data_root, *ACROSS_MIDNIGHT, log=tmp_path / "daemon.log", env=listener.env, prefix=prefix
    )
    try:
        listener.wait_for(polled(3), timeout=30)  # today's run folder made and written into first
        with process.paused():
            assert [p.name for p in data_root.glob("run_*")] == ["run_20260601"], "midnight came first"
            data_root.chmod(0o555)
        status = process.finish(timeout=60)
    finally:
        process.kill()
        listener.close()
        data_root.chmod(0o755)
    events = process.events()
    assert status == 73, process.log.read_text()[-2000:]
    gave_up = [e for e in events if e["event"] == "storage_gave_up"]
    assert gave_up and "permission denied" in gave_up[0]["error"].lower()
    lost = next(e for e in events if e["event"] == "storage_records_lost")
    assert lost["records"] >= 1 and lost["level"] == "error"
    stopped = next(e for e in events if e["event"] == "daemon_stopped")
    assert stopped["observations"] < 180, "it must stop, not poll on into memory"
    assert validate_data_root(data_root)["observations"]  # what was stored before is whole


def test_a_data_root_deleted_under_the_daemon_is_reported_recreated_and_written_again(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    listener = NotifyListener(tmp_path / "notify.sock")
    config = storage_config(tmp_path, "batch_seconds = 0.05")
    process = start_daemon(
        data_root, *PACED, "--config", str(config), log=tmp_path / "daemon.log", env=listener.env
    )
    try:
        listener.wait_for(polled(3), timeout=30)
        with process.paused():
            shutil.rmtree(data_root)  # checked at each group commit, every 50 ms here (every poll on the Pi)
        status = process.finish(timeout=60)
    finally:
        process.kill()
        listener.close()
    events = process.events()
    deleted = [e for e in events if e["event"] == "storage_output_deleted"]
    assert deleted and all(e["level"] == "error" for e in deleted), process.log.read_text()[-2000:]
    records = validate_data_root(data_root)  # recreated, and every line whole
    stopped = next(e for e in events if e["event"] == "daemon_stopped")
    assert 0 < len(records["observations"]) < stopped["observations"]
    assert records["observations"][-1].timestamp.hour == 1  # writing went on to the end of the run
    lost = sum(e["records_lost_since_last_check"] for e in deleted)
    if lost:  # records written into the deleted files since the last check: gone, so not a success
        assert status == 74
        assert next(e for e in events if e["event"] == "storage_records_lost")["file_deleted"] == lost
    else:
        assert status == 0


def test_a_part_file_deleted_under_the_daemon_is_reported_and_written_again(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    listener = NotifyListener(tmp_path / "notify.sock")
    process = start_daemon(
        data_root,
        *PACED,
        "--config",
        str(storage_config(tmp_path, 'fsync = "always"')),
        log=tmp_path / "daemon.log",
        env=listener.env,
    )
    try:
        listener.wait_for(polled(3), timeout=30)
        with process.paused():
            part = next(data_root.glob("run_*/observations.*.jsonl"))
            part.unlink()
        status = process.finish(timeout=60)
    finally:
        process.kill()
        listener.close()
    events = process.events()
    deleted = [e for e in events if e["event"] == "storage_output_deleted"]
    assert deleted and str(part) in {e["path"] for e in deleted}, process.log.read_text()[-2000:]
    # With fsync=always each record is checked as it is made durable: the one in the deleted file
    # is written again into the new one, so nothing acknowledged is lost and the run succeeds.
    assert status == 0
    assert part.exists() and validate_data_root(data_root)["observations"]


def storage_config(tmp_path: Path, line: str) -> Path:
    """A configuration file whose ``[storage]`` section holds ``line``."""
    config = tmp_path / "storage.toml"
    config.write_text(f"[storage]\n{line}\n")
    return config
