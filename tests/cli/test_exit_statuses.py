"""Each reading tool's exit status for each case of brain.exit_codes' table, run as a user runs it.

Issue 25: a report or an export with nothing in it exited 0, a missing folder was 1 here and 3
there, a misspelt ``--timezone`` fell back to UTC, a torn last line put a log line into the CSV
on stdout, ``--output-dir /proc/x`` claimed records were lost. Every case below is a fresh
process (``python -m brain.cli`` / ``brain-daemon``), its status and its words checked.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from brain.exit_codes import ExitCode, exit_code_help
from brain.storage import DatasetWriter, StorageSettings
from tests.factories import T0, observation
from tests.report.conftest import simulate
from tests.runs import DAEMON, clean_env


def brain(*args: str, cwd: Path | None = None, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``brain ARGS`` in a fresh process (``code``: a ``-c`` program to run instead of ``-m brain.cli``)."""
    program = ["-c", code] if code else ["-m", "brain.cli"]
    return subprocess.run(
        [sys.executable, *program, *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=cwd,
        check=False,
    )


@pytest.fixture(scope="module")
def two_hours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated hours of 2026-06-01 (UTC), as ``make simulate`` leaves a folder: long past."""
    return simulate(tmp_path_factory.mktemp("two_hours") / "data", "--duration-hours", "2")


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        (["report"], ExitCode.NO_INPUT),
        (["export-csv"], ExitCode.NO_INPUT),
        (["status"], 3),  # UNKNOWN: the monitoring-plugin convention
        (["status", "--json"], 3),
    ],
)
def test_a_data_root_that_is_not_there(tmp_path: Path, tool: list[str], expected: int) -> None:
    result = brain(tool[0], str(tmp_path / "nowhere"), *tool[1:])

    assert result.returncode == expected, result.stderr
    assert f"no data root at {tmp_path / 'nowhere'}" in result.stderr


def test_an_input_that_is_not_there_for_import_and_export_public(tmp_path: Path) -> None:
    imported = brain(
        "import-csv", "--mapping", "osu2024", "--output", str(tmp_path / "o.jsonl"), "/nowhere.csv"
    )
    public = brain("export-public", str(tmp_path / "nowhere"), str(tmp_path / "public"))

    assert (imported.returncode, public.returncode) == (ExitCode.NO_INPUT, ExitCode.NO_INPUT)
    assert "/nowhere.csv" in imported.stderr and "nowhere" in public.stderr


def test_a_report_of_a_day_without_data_writes_nothing_and_names_the_days_held(
    two_hours: Path, tmp_path: Path
) -> None:
    yesterday = brain("report", str(two_hours), cwd=tmp_path)  # what `make simulate` then `brain report` does
    week = brain("report", str(two_hours), "--week", cwd=tmp_path)
    (tmp_path / "empty").mkdir()
    empty = brain("report", str(tmp_path / "empty"), "--day", "2026-06-01", cwd=tmp_path)

    for result in (yesterday, week, empty):
        assert result.returncode == ExitCode.DATA_ERROR, result.stderr
        assert "No page written" in result.stderr
    assert "it holds 1 day of run folders: 2026-06-01" in yesterday.stderr
    assert "no observations for the week" in week.stderr
    assert "it holds no run folders" in empty.stderr
    assert list(tmp_path.glob("*.html")) == []


def test_an_export_of_an_empty_range_exits_65_and_leaves_no_file(two_hours: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    to_file = brain("export-csv", str(two_hours), "--from", "2026-07-01", "--out", str(out))
    to_stdout = brain("export-csv", str(two_hours), "--observations", "--to", "2026-05-31")
    full = brain("export-csv", str(two_hours), "--observations", "--from", "2026-06-01", "--to", "2026-06-01")

    assert (to_file.returncode, to_stdout.returncode, full.returncode) == (65, 65, 0)
    assert "no states from 2026-07-01 to the last day" in to_file.stderr
    assert "it holds 1 day of run folders: 2026-06-01" in to_stdout.stderr
    assert not out.exists()
    assert len(full.stdout.splitlines()) == 1 + 120


@pytest.mark.parametrize("tool", ["report", "export-csv", "status"])
def test_a_time_zone_that_cannot_be_loaded_is_refused_like_the_daemon_refuses_it(
    two_hours: Path, tool: str
) -> None:
    result = brain(tool, str(two_hours), "--timezone", "Europe/Amsterdm")

    assert result.returncode == (3 if tool == "status" else ExitCode.USAGE)
    assert "unknown IANA time zone 'Europe/Amsterdm'" in result.stderr
    assert result.stdout == ""


def test_the_daemon_refuses_the_same_zone_with_the_same_status(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, *DAEMON, "--simulate", "--timezone", "Europe/Amsterdm",
         "--output-dir", str(tmp_path)],
        capture_output=True, text=True, env=clean_env(), check=False,
    )  # fmt: skip

    assert result.returncode == ExitCode.USAGE and "Europe/Amsterdm" in result.stderr


def zone_column(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return next(csv.DictReader(result.stdout.splitlines()))["timezone"]


def test_one_precedence_of_zones_command_line_then_manifest_then_configuration(
    two_hours: Path, tmp_path: Path
) -> None:
    """docs/operations.md, "Local days": --timezone, else the manifest, else the configuration, else UTC."""
    root = tmp_path / "data"
    shutil.copytree(two_hours, root)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["identity"]["timezone"] = "Europe/Amsterdam"
    (root / "manifest.json").write_text(json.dumps(manifest))
    config = tmp_path / "brain.toml"
    config.write_text(f'data_root = "{root}"\ntimezone = "Asia/Tokyo"\n')

    flag = brain("export-csv", str(root), "--timezone", "America/New_York", "--config", str(config))
    manifest_zone = brain("export-csv", "--config", str(config))
    (root / "manifest.json").unlink()
    configured = brain("export-csv", "--config", str(config))
    default = brain("export-csv", str(root))

    assert zone_column(flag) == "America/New_York"
    assert zone_column(manifest_zone) == "Europe/Amsterdam"
    assert zone_column(configured) == "Asia/Tokyo"
    assert zone_column(default) == "UTC"


def test_a_torn_last_line_logs_on_stderr_never_into_the_csv(two_hours: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(two_hours, root)
    with (root / "run_20260601" / "observations.0000.jsonl").open("ab") as part:
        part.write(b'{"schema_version":"1.0","timestamp":"2026-06-01T02:0')  # what a power cut leaves

    result = brain("export-csv", str(root), "--observations")

    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows[0][0] == "timestamp_utc" and len(rows) == 1 + 120
    assert all(row[0].startswith("2026-06-01T") for row in rows[1:])
    assert "malformed_line_skipped" in result.stderr and "malformed" not in result.stdout


def test_the_report_summary_shows_control_characters_from_the_data_not_obeys_them(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path / "data", StorageSettings(fsync="never"))
    for minute in range(60):
        moment = T0 + timedelta(minutes=minute)
        writer.write(
            "observations",
            observation(moment, errors={"par_umol_m2_s": "gone\x1b[2J\x1b]0;x\x07"}, par_umol_m2_s=None),
        )
    writer.close()

    result = brain("report", str(tmp_path / "data"), "--day", "2026-06-01", "--out", str(tmp_path / "p.html"))

    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "No PAR readings all day (gone\\x1b[2J\\x1b]0;x\\x07)" in result.stdout


NO_MATPLOTLIB = (
    "import sys; sys.modules['matplotlib'] = None; from brain.cli import tools_main; sys.exit(tools_main())"
)


def test_a_missing_matplotlib_is_69(two_hours: Path, tmp_path: Path) -> None:
    result = brain(
        "report", str(two_hours), "--day", "2026-06-01", "--out", str(tmp_path / "p.html"), code=NO_MATPLOTLIB
    )

    assert result.returncode == ExitCode.UNAVAILABLE, result.stderr
    assert "matplotlib" in result.stderr and not (tmp_path / "p.html").exists()


def test_an_output_dir_refused_at_start_is_73_not_records_lost(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, *DAEMON, "--simulate", "--duration-hours", "1", "--time-scale", "0",
         "--output-dir", "/proc/brain-test/data", "--log-format", "json"],
        capture_output=True, text=True, env=clean_env(), check=False,
    )  # fmt: skip

    assert result.returncode == ExitCode.CANNOT_CREATE, result.stderr[-2000:]
    assert "cannot create or write this folder" in result.stderr
    assert "records were lost" not in result.stderr


def test_brain_help_gives_the_tools_wording_and_the_daemon_its_own() -> None:
    tools = brain("--help")
    daemon = subprocess.run([sys.executable, *DAEMON, "--help"], capture_output=True, text=True, check=False)

    assert tools.stdout.rstrip().endswith(exit_code_help("brain"))
    assert daemon.stdout.rstrip().endswith(exit_code_help())
    for code in ExitCode:
        assert f"  {code.value:>3}  {code.tool_meaning}" in tools.stdout
    assert "matplotlib for brain report" in tools.stdout and "end of a simulated" not in tools.stdout
    assert "brain status answers in monitoring-plugin codes" in tools.stdout
