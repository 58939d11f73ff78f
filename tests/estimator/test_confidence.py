from __future__ import annotations

import re
from pathlib import Path

import pytest

from brain.contracts import SENSOR_KEYS, HealthStatus
from brain.estimator import EstimatorSettings
from brain.estimator.confidence import confidence, sensor_trust
from tests.estimator.synthetic import greenhouse, modify, run

_ROW = re.compile(r"^\| (E\d+) \|(.+)\| ([01]\.\d{3}) \|$")


def _cell_trust(cell: str, settings: EstimatorSettings) -> float:
    """Read one cell of the examples table: "ok", "degraded, held 120 s", "faulty (x)", "excluded (y)"."""
    cell = cell.strip()
    word = cell.split()[0].rstrip(",")
    held = re.search(r"held (\d+) s", cell)
    status = {"ok": HealthStatus.OK, "degraded": HealthStatus.DEGRADED}.get(word, HealthStatus.FAULTY)
    return sensor_trust(
        status,
        word in {"ok", "degraded"},
        float(held.group(1)) if held else 0.0,
        degraded_factor=settings.confidence.degraded_factor,
        stale_after_s=settings.confidence.stale_after_s,
    )


def test_confidence_algorithm_matches_spec(project_root: Path) -> None:
    """Recompute every worked example of docs/confidence_scoring.md with the code."""
    settings = EstimatorSettings.load()
    doc = (project_root / "docs" / "confidence_scoring.md").read_text(encoding="utf-8")
    header = next(line for line in doc.splitlines() if line.startswith("| example |"))
    assert [c.strip() for c in header.strip("|").split("|")][1:6] == [k.value for k in SENSOR_KEYS]
    examples = [_ROW.match(line) for line in doc.splitlines()]
    found = [m for m in examples if m]
    assert len(found) >= 3
    weights = [settings.confidence.weights[k] for k in SENSOR_KEYS]
    for match in found:
        cells = match.group(2).split("|")
        assert len(cells) == 5, match.group(1)
        trusts = [_cell_trust(cell, settings) for cell in cells]
        assert confidence(weights, trusts) == float(match.group(3)), match.group(1)


def test_confidence_with_missing_sensors_decreases() -> None:
    rows = greenhouse(days=1, step_s=60.0, seed=1)[:300]
    full = [e.confidence for _, e in run(rows)]
    assert set(full) == {1.0}
    previous = 1.0
    gone: list[str] = []
    for sensor in (
        "substrate_moisture_pct",
        "par_umol_m2_s",
        "co2_ppm",
        "relative_humidity_pct",
        "air_temperature_c",
    ):
        gone.append(sensor)
        thinned = rows
        for name in gone:
            thinned = modify(thinned, name, lambda i, r: None)
        last = [e for _, e in run(thinned)][-1]
        assert last.confidence < previous, gone
        previous = last.confidence
    assert previous == 0.0


def test_pipeline_state_reproduces_example_e2() -> None:
    """OSU-like: no PAR and no substrate sensor from the start gives 0.750 (docs, E2)."""
    rows = [
        r.with_reading("par_umol_m2_s", None, "not in source log").with_reading(
            "substrate_moisture_pct", None, "not in source log"
        )
        for r in greenhouse(days=1, step_s=300.0, seed=2)
    ]
    assert {e.confidence for _, e in run(rows)} == {0.75}


@pytest.mark.parametrize(
    ("status", "used", "age", "expected"),
    [
        (HealthStatus.OK, True, 0.0, 1.0),
        (HealthStatus.DEGRADED, True, 0.0, 0.5),
        (HealthStatus.DEGRADED, True, 150.0, 0.25),
        (HealthStatus.DEGRADED, True, 900.0, 0.0),
        (HealthStatus.FAULTY, True, 0.0, 0.0),
        (HealthStatus.OK, False, 0.0, 0.0),
    ],
)
def test_sensor_trust(status: HealthStatus, used: bool, age: float, expected: float) -> None:
    assert sensor_trust(status, used, age, degraded_factor=0.5, stale_after_s=300.0) == expected


def test_confidence_is_clamped_and_rounded() -> None:
    assert confidence([0.5, 0.5], [1.0, 1.0]) == 1.0
    assert confidence([1.0], [2.0]) == 1.0
    assert confidence([0.3, 0.7], [1 / 3, 0.0]) == 0.1
