import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runs import SIMULATE_DAY


def _module():
    spec = importlib.util.spec_from_file_location("simulate_day", SIMULATE_DAY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_contains_required_arguments() -> None:
    result = subprocess.run(
        [sys.executable, str(SIMULATE_DAY), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for option in ("--seed", "--output-dir", "--duration-hours", "--scenario", "--verbose", "--time-scale"):
        assert option in result.stdout, option
    assert "default 120" in result.stdout


def test_all_cli_arguments_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _module().build_parser()
    args = parser.parse_args(
        [
            "--seed",
            "7",
            "--output-dir",
            "out",
            "--duration-hours",
            "6",
            "--scenario",
            "heatwave",
            "--scenario",
            "spike:co2_ppm@3h",
            "--time-scale",
            "0",
            "--verbose",
        ]
    )
    assert (args.seed, args.output_dir, args.duration_hours) == (7, Path("out"), 6.0)
    assert (args.scenario, args.time_scale, args.verbose) == (["heatwave", "spike:co2_ppm@3h"], 0.0, True)
    defaults = parser.parse_args([])
    assert (defaults.seed, defaults.time_scale, defaults.duration_hours, defaults.base_cycle_hours) == (
        42,
        120.0,
        24.0,
        2.0,
    )
    for bad, option in (
        (["--duration-hours", "0"], "--duration-hours"),
        (["--duration-hours", "-3"], "--duration-hours"),
        (["--time-scale", "-1"], "--time-scale"),
        (["--seed", "seven"], "--seed"),
        (["--poll-interval", "nan"], "--poll-interval"),
        (["--bogus"], "--bogus"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(bad)
        assert exit_info.value.code == 2
        assert option in capsys.readouterr().err


def test_unknown_scenario_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A bad flag value is a usage error (2), not a configuration error (78): it was typed, not configured.
    assert _module().main(["--output-dir", str(tmp_path), "--time-scale", "0", "--scenario", "meteor"]) == 2
    assert "--scenario" in capsys.readouterr().err and not tmp_path.joinpath("run_20260601").exists()
