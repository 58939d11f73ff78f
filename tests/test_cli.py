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
