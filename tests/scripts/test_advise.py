"""scripts/advise.py, the library loop of docs/advisor.md, advises exactly as the daemon did."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tests.conftest import PROJECT_ROOT
from tests.runs import clean_env, daemon, read_stream


def test_the_library_loop_prints_the_actions_the_daemon_wrote(tmp_path: Path) -> None:
    run = daemon(tmp_path / "day", "--simulate", "--duration-hours", "30")
    assert run.returncode == 0, run.stderr
    stored = read_stream(run.data_root, "actions")
    assert stored
    printed = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "advise.py"), str(run.data_root), "--last", "1000"],
        capture_output=True, text=True, env=clean_env(), timeout=120, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert printed[0].startswith(f"1800 steps, {len(stored)} actions")
    expected = [
        f"{datetime.fromisoformat(a['timestamp']):%Y-%m-%d %H:%M} {a['action_type']} "
        f"{a['target_device']}: {a['reason']}"
        for a in stored
    ]
    assert [line for line in printed if line[:2] == "20"] == expected
    assert json.dumps(stored)  # plain JSON: the daemon's records need no brain code to read


def test_a_log_with_nothing_to_advise_on_is_bad_data(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "advise.py"), str(empty)],
        capture_output=True, text=True, env=clean_env(), timeout=60, check=False,
    )  # fmt: skip
    assert (
        result.returncode == 65 and "nothing to replay" in result.stderr and "Traceback" not in result.stderr
    )
