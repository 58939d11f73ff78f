"""Disk full: the data root on a 256 KiB tmpfs; the daemon keeps polling, holds records back, loses none.

A real file system that really says ENOSPC (``mount -t tmpfs -o size=256k``; the
test skips when it may not mount, e.g. without root). A filler file takes the free
space; the daemon, paced at 12,000x (a 60 s poll every 5 ms), runs into the full
disk, reports its backlog in STATUS, and once the filler is deleted writes what it
held back, in order. The result must equal a run on a roomy disk byte for byte.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.drill import (
    NotifyListener,
    Process,
    is_ready,
    mounted_tmpfs,
    part_files,
    start_daemon,
    validate_data_root,
)
from tests.runs import daemon

SIMULATION = ("--simulate", "--time-scale", "12000")
ROOM_AFTER_FILLER = 40 * 1024
"""Free space left beside the filler: about 55 polls' worth of records before the disk is full."""


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test, unmounted after it."""
    with mounted_tmpfs(tmp_path / "tiny", "size=256k") as mount_point:
        yield mount_point


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path: Path, leave: int) -> None:
    """Take all free space but ``leave`` bytes (all of it when 0: write until ENOSPC)."""
    chunk = b"\0" * 4096
    with path.open("ab", buffering=0) as handle:
        while free_bytes(path.parent) > leave:
            try:
                handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break


def same_files(a: Path, b: Path) -> None:
    """Every part under ``a`` equals the one under ``b`` (and there are the same parts)."""
    ours = {p.relative_to(a): p.read_bytes() for p in part_files(a)}
    theirs = {p.relative_to(b): p.read_bytes() for p in part_files(b)}
    assert ours.keys() == theirs.keys()
    for name, data in ours.items():
        assert data == theirs[name], f"{name} differs from the run on a roomy disk"


def run_until_full_then_free(
    process: Process, listener: NotifyListener, filler: Path, *, backlog: int
) -> list[int]:
    """Wait for READY, until STATUS reports ``backlog`` records held back, free the disk, let the run end."""
    try:
        listener.wait_for(is_ready, timeout=30)  # even on a full disk the daemon starts
        listener.wait_for(lambda m: (s := m.status) is not None and s.backlog >= backlog, timeout=60)
        filler.unlink()
        assert process.finish(timeout=60) == 0, process.log.read_text()[-2000:]
    finally:
        process.kill()
        listener.close()
    return [s.backlog for s in listener.statuses()]


def test_full_disk_holds_records_back_and_writes_them_in_order_when_space_returns(
    tiny_disk: Path, tmp_path: Path
) -> None:
    hours = "4"
    filler = tiny_disk / "filler"
    fill(filler, leave=ROOM_AFTER_FILLER)
    listener = NotifyListener(tmp_path / "notify.sock")
    process = start_daemon(
        tiny_disk / "data",
        *SIMULATION,
        "--duration-hours",
        hours,
        log=tmp_path / "daemon.log",
        env=listener.env,
    )
    backlogs = run_until_full_then_free(process, listener, filler, backlog=30)

    statuses = listener.statuses()
    assert max(backlogs) >= 30 and backlogs[-1] == 0
    assert any("storage backlog" in m.text and "disk refusing writes" in m.text for m in listener.messages)
    # It kept polling while the disk refused: the observation count went on rising with a backlog.
    held = [s.observations for s in statuses if s.backlog]
    assert len(held) >= 10 and held == sorted(held) and len(set(held)) == len(held)
    events = process.events()
    failed = [e for e in events if e["event"] == "storage_write_failed"]
    # ENOSPC, or a write the kernel took only in part (cut back by the writer: no partial line stays).
    assert failed and all(e["stream"] and e["timestamp"] for e in failed)
    assert all("No space left" in e["error"] or "short write" in e["error"] for e in failed)
    assert next(e["records"] for e in events if e["event"] == "storage_backlog_drained") >= 30
    assert not [
        e for e in events if e["event"] in {"storage_backlog_overflow", "storage_backlog_lost_at_exit"}
    ]

    records = validate_data_root(tiny_disk / "data")  # every line whole and valid: nothing partial
    assert len(records["observations"]) == 4 * 60
    reference = daemon(tmp_path / "roomy", "--simulate", "--duration-hours", hours)
    assert reference.returncode == 0
    same_files(tiny_disk / "data", reference.data_root)
    short = sum("short write" in e["error"] for e in failed)
    print(
        f"disk full: backlog peak {max(backlogs)}, {len(failed)} refused writes ({short} short, cut back), "
        f"{sum(len(r) for r in records.values())} records equal to the roomy run's"
    )


def test_restart_on_a_full_disk_with_a_torn_tail_starts_and_catches_up(
    tiny_disk: Path, tmp_path: Path
) -> None:
    data_root = tiny_disk / "data"
    assert daemon(data_root, "--simulate", "--duration-hours", "1").returncode == 0
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    intact = part.read_bytes()
    fragment = intact.splitlines()[-1][:50]
    with part.open("ab") as handle:
        handle.write(fragment)
    filler = tiny_disk / "filler"
    fill(filler, leave=0)

    listener = NotifyListener(tmp_path / "notify.sock")
    process = start_daemon(
        data_root, *SIMULATION, "--duration-hours", "2", log=tmp_path / "daemon.log", env=listener.env
    )
    backlogs = run_until_full_then_free(process, listener, filler, backlog=10)

    events = process.events()
    # The repair at start needs space for the .torn side file: refused, logged, and the start goes on...
    assert [e["run_dir"] for e in events if e["event"] == "storage_repair_failed"] == [str(part.parent)]
    # ...and the writer repairs the part when it reopens it, once there is room.
    assert [e["file"] for e in events if e["event"] == "storage_torn_tail_repaired"] == [str(part)]
    assert part.with_name(part.name + ".torn").read_bytes() == fragment + b"\n"
    assert max(backlogs) >= 10 and backlogs[-1] == 0
    records = validate_data_root(data_root)
    assert len(records["observations"]) == 120
    reference = daemon(tmp_path / "roomy", "--simulate", "--duration-hours", "2")
    same_files(data_root, reference.data_root)
