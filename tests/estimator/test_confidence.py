from __future__ import annotations

import re
from pathlib import Path

import pytest

from brain.contracts import SENSOR_KEYS, HealthStatus, SensorKey
from brain.estimator import Estimator, EstimatorSettings
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
    for match in found:
        cells = match.group(2).split("|")
        assert len(cells) == 5, match.group(1)
        installed = [
            (key, cell) for key, cell in zip(SENSOR_KEYS, cells, strict=True) if "not installed" not in cell
        ]
        weights = [settings.confidence.weights[key] for key, _ in installed]
        trusts = [_cell_trust(cell, settings) for _, cell in installed]
        assert confidence(weights, trusts) == float(match.group(3)), match.group(1)


def test_confidence_with_missing_sensors_decreases() -> None:
    """On a Pi whose configuration lists all five sensors, each one that gives nothing costs its share."""
    rows = greenhouse(days=1, step_s=60.0, seed=1)[:300]

    def configured() -> Estimator:
        return Estimator(installed_sensors=SENSOR_KEYS)

    full = [e.confidence for _, e in run(rows, configured())]
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
        last = [e for _, e in run(thinned, configured())][-1]
        assert last.confidence < previous, gone
        previous = last.confidence
    assert previous == 0.0


def test_pipeline_state_reproduces_example_e2() -> None:
    """OSU-like: a site without PAR and substrate sensors is fully trusted on the three it has (E2)."""
    rows = [
        r.with_reading("par_umol_m2_s", None, "not in source log").with_reading(
            "substrate_moisture_pct", None, "not in source log"
        )
        for r in greenhouse(days=1, step_s=300.0, seed=2)
    ]
    estimates = [e for _, e in run(rows)]
    assert {e.confidence for e in estimates} == {1.0}
    assert {h.sensor.value for e in estimates for h in e.sensor_health} == {
        "air_temperature_c",
        "relative_humidity_pct",
        "co2_ppm",
    }, "no health record for a sensor the site does not have"
    assert estimates[-1].state.excluded_sensors == {
        SensorKey.PAR_UMOL_M2_S: "missing",
        SensorKey.SUBSTRATE_MOISTURE_PCT: "missing",
    }


def test_a_configured_sensor_that_never_reads_is_a_fault_and_costs_its_share() -> None:
    """E2 on a Pi configured with all five sensors: PAR and substrate are disconnected (0.750)."""
    rows = [
        r.with_reading("par_umol_m2_s", None, "no ACK").with_reading("substrate_moisture_pct", None, "no ACK")
        for r in greenhouse(days=1, step_s=300.0, seed=2)[:20]
    ]
    last = [e for _, e in run(rows, Estimator(installed_sensors=SENSOR_KEYS))][-1]
    assert last.confidence == 0.75
    faults = {h.sensor.value: h.fault.value for h in last.sensor_health if h.status.value == "faulty"}
    assert faults == {"par_umol_m2_s": "disconnect", "substrate_moisture_pct": "disconnect"}


def test_a_sensor_counts_as_installed_from_its_first_reading() -> None:
    rows = greenhouse(days=1, step_s=300.0, seed=2)[:30]
    rows = modify(rows, "co2_ppm", lambda i, r: None if i < 10 else r.readings["co2_ppm"])
    estimates = [e for _, e in run(rows)]
    assert "co2_ppm" not in {h.sensor.value for h in estimates[9].sensor_health}
    assert estimates[9].confidence == 1.0
    assert "co2_ppm" in {h.sensor.value for h in estimates[10].sensor_health}
    assert estimates[10].health_changed


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
