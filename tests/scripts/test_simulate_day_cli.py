import importlib.util
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.runs import SIMULATE_DAY, clean_env


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
    assert "default 0: as fast as" in result.stdout


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
        0.0,
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


def test_eta_line_says_how_long_and_when_it_ends() -> None:
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    line = _module().eta_line(24.0, 120.0, now)
    assert "24 h take about 12 min" in line and "done around 2026-06-01 08:12:00" in line
    assert "about 3.0 h" in _module().eta_line(72.0, 24.0, now)


def test_a_paced_run_prints_its_eta_and_a_default_run_none(tmp_path: Path) -> None:
    # The default is as fast as possible (no wait, so no ETA); a pace gets an ETA before the wait starts.
    env = clean_env()
    base = [sys.executable, str(SIMULATE_DAY), "--duration-hours", "1"]
    fast = subprocess.run(
        [*base, "--output-dir", str(tmp_path / "fast")], capture_output=True, text=True, env=env, check=False
    )
    paced = subprocess.run(
        [*base, "--output-dir", str(tmp_path / "paced"), "--time-scale", "7200"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert fast.returncode == paced.returncode == 0, (fast.stderr, paced.stderr)
    assert "ETA" not in fast.stderr + fast.stdout
    assert "1 h take about 0 s" in paced.stderr or "1 h take about 1 s" in paced.stderr
    assert "done around" in paced.stderr and "ETA" in paced.stderr
