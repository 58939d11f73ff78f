import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from brain.cli import daemon_main, tools_main
from brain.exit_codes import ExitCode, exit_code_help


def test_brain_tool_without_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        tools_main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("program", ["daemon_main", "tools_main"])
def test_help_runs_as_a_real_process_and_ends_with_the_exit_codes(program: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"from brain.cli import {program}; {program}()", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert ("--simulate" if program == "daemon_main" else "import-csv") in result.stdout
    daemon = program == "daemon_main"
    assert result.stdout.rstrip().endswith(exit_code_help() if daemon else exit_code_help("brain"))
    for code in ExitCode:
        if daemon and code is ExitCode.NO_INPUT:
            continue  # the daemon never returns it
        meaning = code.meaning if daemon else code.tool_meaning
        assert f"  {code.value:>3}  {meaning}" in result.stdout


def test_daemon_simulates_and_says_where_the_records_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        daemon_main(
            ["--simulate", "--duration-hours", "1", "--output-dir", str(tmp_path), "--log-format", "json"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"records are in {tmp_path.resolve()} (run_20260601)" in out
    assert (tmp_path / "run_20260601" / "observations.0000.jsonl").read_text().count("\n") == 60


def test_config_check_accepts_the_shipped_files(
    project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("brain.toml", "simulate.toml"):
        path = project_root / "config" / name
        assert tools_main(["config", "check", str(path)]) == 0
        assert f"{path}: OK" in capsys.readouterr().out


def test_config_check_names_the_key_and_file_of_a_bad_hardware_setting(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project_root / "config" / "brain.toml").read_text().replace("pin = 4 ", "pin = 99 ", 1)
    bad = tmp_path / "brain.toml"
    bad.write_text(text)
    assert tools_main(["config", "check", str(bad)]) == 78
    err = capsys.readouterr().err
    assert "hardware.sensors[1].pin" in err and str(bad) in err


def test_config_show_says_where_each_value_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.toml"
    config.write_text('source = "synthetic"\npoll_interval_s = 30\n')
    monkeypatch.setenv("BRAIN_SITE_ID", "house-7")
    assert tools_main(["config", "show", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"poll_interval_s = 30.0  # {config}" in lines
    assert "site_id = 'house-7'  # environment BRAIN_SITE_ID" in lines
    assert "storage.fsync = 'batch'  # default" in lines


PROBE = """
import runpy, sys
sys.argv = ["brain", "--help"]
try:
    runpy.run_module("brain.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code
heavy = ("brain.config", "brain.storage", "brain.estimator", "brain.daemon", "pydantic", "structlog")
print("HEAVY", sorted(m for m in sys.modules if m.startswith(heavy)), "EXIT", code)
"""


def test_python_m_brain_cli_lists_every_tool_and_imports_nothing_heavy() -> None:
    # brain --help must stay fast: building the parsers imports no settings, storage or estimator code.
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    for tool in ("schemas", "import-csv", "export-public", "config", "status", "report", "export-csv"):
        assert tool in result.stdout
    assert "HEAVY [] EXIT 0" in result.stdout


TINY_MAPPING = """
site_id = "tiny-logger"
timezone = "UTC"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"

[sensors]
air_temperature_c = { column = "temp_c" }
"""


def test_import_csv_refuses_to_replace_an_output_without_force(tmp_path: Path) -> None:
    source, mapping, output = tmp_path / "log.csv", tmp_path / "tiny.toml", tmp_path / "obs.jsonl"
    source.write_text("time,temp_c\n2024-05-01 10:00,21.5\n", encoding="utf-8")
    mapping.write_text(TINY_MAPPING, encoding="utf-8")
    output.write_text("an earlier import\n", encoding="utf-8")
    command = [sys.executable, "-m", "brain.cli", "import-csv", str(source), "--mapping", str(mapping)]
    refused = subprocess.run([*command, "--output", str(output)], capture_output=True, text=True, check=False)
    assert refused.returncode == ExitCode.CANNOT_CREATE == 73
    assert f"{output} exists; pass --force" in refused.stderr
    assert output.read_text(encoding="utf-8") == "an earlier import\n"
    forced = subprocess.run(
        [*command, "--output", str(output), "--force"], capture_output=True, text=True, check=False
    )
    assert forced.returncode == 0, forced.stderr
    assert '"air_temperature_c":21.5' in output.read_text(encoding="utf-8")


def test_config_check_says_ok_but_names_the_missing_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "no_source.toml"
    config.write_text('site_id = "house-2"\n')
    assert tools_main(["config", "check", str(config)]) == 0
    assert (
        "OK (no source: brain-daemon needs --simulate, --replay PATH or --hardware)"
        in capsys.readouterr().out
    )


def test_timezone_flag_sets_the_day_the_run_folders_follow(tmp_path: Path) -> None:
    # 23:30 UTC is 01:30 in Amsterdam (CEST): the hour falls in one local day, across two UTC days.
    start = ["--simulate", "--start", "2026-06-01T23:30:00+00:00", "--duration-hours", "1"]
    for zone, runs in (("UTC", ["run_20260601", "run_20260602"]), ("Europe/Amsterdam", ["run_20260602"])):
        root = tmp_path / zone.replace("/", "_")
        command = [*start, "--timezone", zone, "--output-dir", str(root), "--log-format", "json"]
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from brain.cli import daemon_main; sys.exit(daemon_main())",
                *command,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in root.glob("run_*")) == runs


def _simulate_day(root: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """One default simulated day into ``root`` (a real process, as a user would run it)."""
    command = ["--simulate", *flags, "--output-dir", str(root), "--log-format", "json"]
    program = "import sys; from brain.cli import daemon_main; sys.exit(daemon_main())"
    return subprocess.run(
        [sys.executable, "-c", program, *command], capture_output=True, text=True, check=False
    )


def test_default_simulated_day_is_the_local_day_of_the_zone(tmp_path: Path) -> None:
    """Issue 25: a zone and no ``--start``: local midnight, one day in one folder, the sun at noon."""
    peaks: dict[str, datetime] = {}
    for zone in ("UTC", "Europe/Amsterdam", "America/New_York"):
        root = tmp_path / zone.replace("/", "_")
        result = _simulate_day(root, "--timezone", zone)
        assert result.returncode == 0, result.stderr
        assert [p.name for p in root.glob("run_*")] == ["run_20260601"], zone
        rows = [json.loads(line) for line in (root / "run_20260601" / "observations.0000.jsonl").open()]
        local = ZoneInfo(zone)
        first = datetime.fromisoformat(rows[0]["timestamp"])
        assert first.astimezone(local).replace(tzinfo=None) == datetime(2026, 6, 1), zone
        brightest = max(rows, key=lambda row: row["sensors"]["par_umol_m2_s"])
        peaks[zone] = datetime.fromisoformat(brightest["timestamp"]).astimezone(local)
    for zone, peak in peaks.items():
        noon = peak.replace(hour=12, minute=0, second=0)
        assert abs(peak - noon) <= timedelta(minutes=90), f"{zone}: the sun peaks at {peak:%H:%M} local"
    assert rows[0]["timestamp"] == "2026-06-01T00:00:00-04:00", "a fixed offset, as a written --start"


def test_default_start_keeps_utc_runs_and_the_same_bytes(tmp_path: Path) -> None:
    """UTC keeps 2026-06-01T00:00Z (the expected outputs); a zoned run repeats byte for byte."""
    utc = _simulate_day(tmp_path / "utc", "--duration-hours", "1")
    assert utc.returncode == 0, utc.stderr
    first = (tmp_path / "utc" / "run_20260601" / "observations.0000.jsonl").open().readline()
    assert json.loads(first)["timestamp"] == "2026-06-01T00:00:00Z"
    runs = []
    for name in ("a", "b"):
        result = _simulate_day(tmp_path / name, "--timezone", "Europe/Amsterdam", "--duration-hours", "2")
        assert result.returncode == 0, result.stderr
        runs.append((tmp_path / name / "run_20260601" / "observations.0000.jsonl").read_bytes())
    assert runs[0] == runs[1] and runs[0].startswith(
        b'{"schema_version":"1.0","timestamp":"2026-06-01T00:00:00+02:00"'
    )
