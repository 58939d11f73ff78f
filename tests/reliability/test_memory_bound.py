"""Memory bound: a disk refusing every write fills the backlog; the peak RSS stays inside MemoryMax.

The data root is on a tmpfs filled to the last byte (``mount -t tmpfs``; skipped when
mounting is not allowed), so every write fails with ENOSPC and every record waits in
the backlog (``storage.backlog_max_records``, 100,000 in the Pi's ``config/brain.toml``).
The daemon reports its peak resident memory at exit (VmHWM, as in the long run).

- ``make test``: two simulated days on the full disk and two on a roomy one give
  the memory one held-back record costs; the peak of a full backlog, projected from it,
  must stay under three quarters of the unit's ``MemoryMax``.
- ``make drills`` (slow): thirty days on the full disk fill the backlog for real; the
  measured peak must stay under the same bound.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brain.config import load_settings
from tests.conftest import PROJECT_ROOT
from tests.hardware.test_systemd_unit import SERVICE, unit_bytes
from tests.reliability.drill import log_events, measured_simulation

HEADROOM = 0.75
"""The full backlog's peak may use at most this share of MemoryMax: the rest is the margin for a Pi's
own differences (32-bit or 64-bit Python, the hardware drivers' imports)."""
MIB = 1024 * 1024


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs with no byte free, unmounted after the test."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        with (mount_point / "filler").open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def peak(data_root: Path, days: int, log: Path) -> tuple[int, dict[str, Any]]:
    """Simulate ``days`` days into ``data_root`` in a fresh process: its VmHWM in bytes, and its summary."""
    argv, env = measured_simulation(data_root, days)
    with log.open("wb") as out:
        done = subprocess.run(
            argv, stdout=out, stderr=subprocess.PIPE, env=env,
            timeout=600, check=False,
        )  # fmt: skip
    stderr = done.stderr.decode()
    assert "VmHWM:" in stderr, stderr[-2000:]
    stopped = next(e for e in log_events(log) if e["event"] == "daemon_stopped")
    return int(stderr.split("VmHWM:")[1].split()[0]) * 1024, stopped


def backlog_cap() -> int:
    """The Pi's configured backlog bound."""
    return load_settings(PROJECT_ROOT / "config" / "brain.toml").settings.storage.backlog_max_records


def test_a_full_backlog_fits_inside_memory_max(tmp_path: Path, full_disk: Path) -> None:
    roomy, roomy_summary = peak(tmp_path / "roomy", 2, tmp_path / "roomy.log")
    full, summary = peak(full_disk / "data", 2, tmp_path / "full.log")
    assert roomy_summary["storage_backlog"] == 0 and summary["storage_written"] == 0
    held = summary["storage_backlog"]
    assert held > 4_000 and summary["storage_dropped"] == 0
    per_record = (full - roomy) / held
    projected = roomy + backlog_cap() * per_record
    limit = unit_bytes(SERVICE["MemoryMax"][0])
    print(
        f"memory bound: {per_record:.0f} bytes a held-back record, base {roomy / MIB:.1f} MB, "
        f"full backlog of {backlog_cap():,} projected at {projected / MIB:.0f} MB, "
        f"MemoryMax {limit / MIB:.0f} MB"
    )
    assert projected <= HEADROOM * limit


@pytest.mark.slow
def test_a_month_on_a_full_disk_fills_the_backlog_and_stays_inside_memory_max(
    tmp_path: Path, full_disk: Path
) -> None:
    measured, summary = peak(full_disk / "data", 30, tmp_path / "full.log")
    assert summary["storage_backlog"] == backlog_cap() and summary["storage_dropped"] > 0, "the cap reached"
    limit = unit_bytes(SERVICE["MemoryMax"][0])
    print(
        f"memory bound: full backlog of {backlog_cap():,}: peak RSS {measured / MIB:.0f} MB, "
        f"MemoryMax {limit / MIB:.0f} MB"
    )
    assert measured <= HEADROOM * limit
