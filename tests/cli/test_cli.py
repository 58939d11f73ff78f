import subprocess
import sys
from pathlib import Path

import pytest

from brain.cli import daemon_main, tools_main


def test_brain_tool_without_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        tools_main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_daemon_help_runs_as_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from brain.cli import daemon_main; daemon_main()", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--simulate" in result.stdout


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
    assert "site_id = 'house-7'  # environment" in lines
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
