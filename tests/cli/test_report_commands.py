"""``brain report`` as a user runs it, and matplotlib staying optional for everything else."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brain.exit_codes import ExitCode
from brain.report.days import last_week_start
from tests.conftest import PROJECT_ROOT
from tests.runs import DAEMON, clean_env


@pytest.fixture
def without_matplotlib(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import matplotlib`` fails, as on a Pi installed without ``brain[report]``."""
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        "raise ImportError('No module named matplotlib (blocked by the test)')\n"
    )
    env = clean_env()
    env["PYTHONPATH"] = f"{blocker.parent}:{PROJECT_ROOT}"
    return env


def brain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", *args],
        capture_output=True, text=True, env=env or clean_env(), timeout=120, check=False,
    )  # fmt: skip


def simulate_hour(root: Path, env: dict[str, str], *start: str) -> subprocess.CompletedProcess[str]:
    args = [
        *DAEMON,
        "--simulate",
        "--duration-hours",
        "1",
        "--time-scale",
        "0",
        "--output-dir",
        str(root),
        *start,
    ]
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_report_writes_one_page_and_says_what_the_day_lacks(tmp_path: Path) -> None:
    root = tmp_path / "data"
    assert simulate_hour(root, clean_env()).returncode == 0
    out = tmp_path / "day.html"

    result = brain("report", str(root), "--day", "2026-06-01", "--out", str(out))

    assert result.returncode == ExitCode.OK, result.stderr
    assert f"wrote {out} (60 observations, days in UTC)" in result.stdout
    assert "2026-06-01: No observations from 01:00 to 24:00 (23.0 h)." in result.stdout
    assert out.read_text().count("<img ") == 8  # six curves, the devices, the health timeline


def test_without_matplotlib_report_says_how_to_install_it_and_the_daemon_runs(
    tmp_path: Path, without_matplotlib: dict[str, str]
) -> None:
    root = tmp_path / "data"
    daemon = simulate_hour(root, without_matplotlib)
    report = brain("report", str(root), "--day", "2026-06-01", env=without_matplotlib)
    status = brain("status", str(root), "--at", "2026-06-01T01:00:00+00:00", env=without_matplotlib)

    assert daemon.returncode == 0, daemon.stderr[-2000:]
    assert report.returncode == ExitCode.UNAVAILABLE == 69
    assert f"-m pip install '{PROJECT_ROOT}[report]'" in report.stderr  # the checkout this brain came from
    assert status.returncode == 0, status.stdout + status.stderr  # status and the daemon need no matplotlib


def test_a_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = brain("report", str(tmp_path), "--day", "2026-13-01")

    assert result.returncode == ExitCode.USAGE
    assert "not a date YYYY-MM-DD" in result.stderr


def test_week_without_a_date_reports_last_week(tmp_path: Path) -> None:
    # argparse passes a str const through the type: `--week` alone once failed as "not a date: 'last'".
    # Data from last week's Wednesday to this week's (a week without a single observation exits 65:
    # test_exit_statuses.py), so "last week" has data even if a Monday midnight passes meanwhile.
    root = tmp_path / "data"
    wednesday = last_week_start(datetime.now(UTC).date()) + timedelta(days=2)
    week = ("--start", f"{wednesday}T12:00:00+00:00", "--duration-hours", "168", "--poll-interval", "900")
    assert simulate_hour(root, clean_env(), *week).returncode == 0

    result = subprocess.run(
        [sys.executable, "-m", "brain.cli", "report", str(root), "--week"],
        capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == ExitCode.OK, result.stderr
    written = list(tmp_path.glob("brain-report-week-*.html"))
    assert len(written) == 1 and f"wrote {written[0].name}" in result.stdout
