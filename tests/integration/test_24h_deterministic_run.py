"""The MVP release gate (TOMATO-8): a whole simulated day, twice, as a user runs it.

Runs ``scripts/simulate_day.py --time-scale 0`` (SimClock, discrete-event time)
in fresh processes; every assertion reads the files it wrote.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from brain.contracts import STREAMS
from tests.runs import Run, simulate_day

START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
SEED = "42"


@pytest.fixture(scope="module")
def day_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    root = tmp_path_factory.mktemp("day")
    first = simulate_day(root / "first", "--seed", SEED)
    second = simulate_day(root / "second", "--seed", SEED)
    return first, second


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_24h_simclock_run_produces_expected_state_count(day_runs: tuple[Run, Run]) -> None:
    run = day_runs[0]
    states = [_parse(s["timestamp"]) for s in run.records("state")]
    base = [START + timedelta(hours=2 * k) for k in range(12)]
    assert set(base) <= set(states), "every 2-hour base cycle must have a state record"
    assert len(states) >= 12
    assert states == sorted(states) and len(set(states)) == len(states)
    # Every state beyond the base cycle is event-driven: an anomaly started or ended, health changed,
    # or the advisor wrote an action (it answers the state of its instant).
    events = {_parse(a["timestamp"]) for a in [*run.records("anomalies"), *run.records("actions")]}
    health = run.records("sensor_health")
    by_time: dict[datetime, dict[str, tuple[str, str]]] = {}
    for record in health:
        by_time.setdefault(_parse(record["timestamp"]), {})[record["sensor"]] = (
            record["status"],
            record["fault"],
        )
    times = sorted(by_time)
    changes = {t for prev, t in itertools.pairwise(times) if by_time[prev] != by_time[t]}
    extra = set(states) - set(base)
    assert extra <= events | changes
    assert len(run.records("observations")) == 24 * 60


def test_24h_run_has_no_unhandled_exceptions(day_runs: tuple[Run, Run]) -> None:
    for run in day_runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr + run.stdout
        bad = [
            e
            for e in run.log_events()
            if e.get("level") in {"error", "critical"} or e["event"] == "poll_failed"
        ]
        assert bad == []


def test_24h_run_outputs_validate_against_contracts(day_runs: tuple[Run, Run]) -> None:
    run = day_runs[0]
    counts = {}
    for stream, model in STREAMS.items():
        records = run.records(stream)
        for record in records:
            model.model_validate(record)
        counts[stream] = len(records)
    assert counts["observations"] == counts["device_status"] == 1440
    assert counts["sensor_health"] == 5 * counts["state"]


def test_24h_run_is_deterministic_with_fixed_seed(day_runs: tuple[Run, Run]) -> None:
    first, second = day_runs
    assert first.files(), "the run wrote nothing"
    assert first.files() == second.files()


def test_24h_run_jsonl_files_are_readable(day_runs: tuple[Run, Run]) -> None:
    run = day_runs[0]
    paths = sorted(Path(run.data_root).rglob("*.jsonl"))
    assert {p.name.split(".")[0] for p in paths} >= {
        "observations",
        "device_status",
        "state",
        "sensor_health",
    }
    for path in paths:
        data = path.read_bytes()
        assert data.endswith(b"\n"), path
        for number, line in enumerate(data.decode("utf-8").split("\n")[:-1], start=1):
            assert isinstance(json.loads(line), dict), f"{path}:{number}"
