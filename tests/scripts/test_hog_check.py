"""``scripts/hog_check.sh``: a command run again and again beside CPU hogs; failures counted; hogs gone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "hog_check.sh"


def hog_check(
    tmp_path: Path, *command: str, runs: int = 2, hogs: int = 1
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNS": str(runs), "HOGS": str(hogs), "LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run(
        [str(SCRIPT), *command], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_every_run_passing_exits_0_and_the_hogs_run_beside_it_then_are_gone(tmp_path: Path) -> None:
    seen = tmp_path / "children"
    # The command lists the script's other children (the hogs) while it runs.
    command = f"ps -o pid= --ppid $PPID | grep -vw $$ >> {seen}"
    done = hog_check(tmp_path, "sh", "-c", command, runs=2, hogs=3)
    assert done.returncode == 0, done.stderr
    assert "0 of 2 runs failed" in done.stdout
    lines = seen.read_text().splitlines()
    hogs = {int(line) for line in lines}
    assert len(lines) == 6 and len(hogs) == 3, "three hogs, the same ones, beside each of the two runs"
    assert not [pid for pid in hogs if Path(f"/proc/{pid}").exists()], "hogs left running"


def test_the_exit_status_is_the_number_of_failed_runs_and_each_run_has_its_log(tmp_path: Path) -> None:
    marker = tmp_path / "ran-once"
    # Passes the first time, fails every later time.
    command = f"echo attempt; test ! -e {marker} && touch {marker}"
    done = hog_check(tmp_path, "sh", "-c", command, runs=3)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "run 1 of 3 with 1 hogs: passed" in done.stdout
    assert "run 3 of 3 with 1 hogs: FAILED" in done.stdout and "2 of 3 runs failed" in done.stdout
    assert [(tmp_path / "logs" / f"run-{n}.log").read_text() for n in (1, 2, 3)] == ["attempt\n"] * 3
