from pathlib import Path

from tests.runs import simulate_day


def test_generates_state_and_anomaly_logs(tmp_path: Path) -> None:
    run = simulate_day(tmp_path, "--duration-hours", "24", "--scenario", "heatwave")
    assert run.returncode == 0, run.stderr
    run_dir = tmp_path / "run_20260601"
    for stream in ("observations", "device_status", "state", "anomalies", "sensor_health"):
        path = run_dir / f"{stream}.0000.jsonl"
        assert path.is_file(), path
        assert path.read_text().count("\n") > 0, stream
    kinds = {a["kind"] for a in run.records("anomalies")}
    assert "temperature_high" in kinds
    assert str(tmp_path.resolve()) in run.stdout


def test_time_scale_does_not_change_logical_count(tmp_path: Path) -> None:
    # 2 logical hours: as fast as possible, and at 3600x (about 2 s of wall time).
    fast = simulate_day(tmp_path / "fast", "--duration-hours", "2", "--base-cycle-hours", "0.5")
    scaled = simulate_day(
        tmp_path / "scaled", "--duration-hours", "2", "--base-cycle-hours", "0.5", "--time-scale", "3600"
    )
    assert fast.returncode == scaled.returncode == 0, (fast.stderr, scaled.stderr)
    assert len(fast.records("observations")) == len(scaled.records("observations")) == 120
    assert len(fast.records("state")) == len(scaled.records("state")) >= 4
    assert fast.files() == scaled.files()


def test_fixed_seed_produces_reproducible_outputs(tmp_path: Path) -> None:
    first = simulate_day(tmp_path / "a", "--duration-hours", "6", "--seed", "11")
    second = simulate_day(tmp_path / "b", "--duration-hours", "6", "--seed", "11")
    other = simulate_day(tmp_path / "c", "--duration-hours", "6", "--seed", "12")
    assert first.returncode == second.returncode == other.returncode == 0
    assert first.files() and first.files() == second.files()
    assert (
        first.files()["run_20260601/observations.0000.jsonl"]
        != other.files()["run_20260601/observations.0000.jsonl"]
    )
