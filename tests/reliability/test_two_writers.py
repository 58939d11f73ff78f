"""Two daemons on one data root on a small full disk: the second is refused, the first loses nothing.

Issue 16's attack, as an operator's worst day goes: a manual run beside the
service, on one 3 MB tmpfs that fills, then frees. Before the data root's lock,
the second daemon duplicated records, and one daemon's short-write clean-up cut
the other's acknowledged lines away. Now the second one must be refused at start
with a message naming the first one's pid, and the first one's records must end
equal, byte for byte, to a run on a roomy disk. The tmpfs is mounted for the test
(``mount -t tmpfs -o size=3m``); without permission to mount it skips, unless
``CI`` is set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.reliability.drill import NotifyListener, is_ready, mounted_tmpfs, start_daemon, validate_data_root
from tests.reliability.test_disk_full import fill, same_files
from tests.runs import DAEMON, clean_env, daemon

HOURS = "4"
SIMULATION = ("--simulate", "--time-scale", "12000", "--duration-hours", HOURS)
INTRUDER = ("--seed", "7", "--site-id", "intruder")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs mounted for the test, unmounted after it."""
    with mounted_tmpfs(tmp_path / "small", "size=3m") as mount_point:
        yield mount_point


def second_daemon(data_root: Path) -> subprocess.CompletedProcess[str]:
    """The manual run beside the service: same data root, its own seed and site."""
    return subprocess.run(
        [sys.executable, *DAEMON, "--output-dir", str(data_root), *SIMULATION, *INTRUDER],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )


def test_a_second_daemon_on_a_full_disk_is_refused_and_destroys_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    data_root = small_disk / "data"
    filler = small_disk / "filler"
    listener = NotifyListener(tmp_path / "notify.sock")
    first = start_daemon(data_root, *SIMULATION, log=tmp_path / "first.log", env=listener.env)
    try:
        listener.wait_for(is_ready, timeout=30)
        fill(filler, leave=40 * 1024)
        listener.wait_for(lambda m: (s := m.status) is not None and s.backlog >= 10, timeout=60)
        # The first is paused while the second starts (it would otherwise end its 4 simulated hours
        # before a slow machine has started the second); paused, it still holds its lock and its
        # backlog, and its records do not change (logical time, brain.clock.SimClock).
        os.kill(first.popen.pid, signal.SIGSTOP)
        try:
            second = second_daemon(data_root)  # while the disk is full and the first holds records back
        finally:
            os.kill(first.popen.pid, signal.SIGCONT)
        filler.unlink()
        assert first.finish(timeout=60) == 0, first.log.read_text()[-2000:]
    finally:
        first.kill()
        listener.close()

    assert second.returncode == 75, second.stderr  # EX_TEMPFAIL: busy, try later
    message = second.stderr.strip().splitlines()[-1]
    assert f"in use by process {first.popen.pid}" in message and str(data_root) in message, second.stderr
    records = validate_data_root(data_root)
    assert not [r for stream in records.values() for r in stream if getattr(r, "site_id", "") == "intruder"]
    assert len(records["observations"]) == int(HOURS) * 60
    reference = daemon(tmp_path / "roomy", "--simulate", "--duration-hours", HOURS)
    assert reference.returncode == 0
    same_files(data_root, reference.data_root)  # every acknowledged record intact, nothing doubled
    events = first.events()
    short = sum("short write" in e.get("error", "") for e in events if e["event"] == "storage_write_failed")
    total = sum(len(r) for r in records.values())
    print(
        f"two writers: second refused naming pid {first.popen.pid}; the first's {total} records "
        f"equal to the roomy run's, {short} short writes cut back"
    )
