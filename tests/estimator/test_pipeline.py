from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brain.contracts import SENSOR_KEYS, AnomalyV1, SensorHealthV1, StateV1
from brain.errors import BrainError, ConfigError
from brain.estimator import (
    HISTORY_SERIES,
    DuplicateObservationError,
    Estimator,
    EstimatorSettings,
    ObservationOrderError,
    OutOfOrderObservationError,
)
from brain.estimator.vpd import saturation_vapour_pressure_kpa
from tests.estimator.synthetic import Row, greenhouse, modify, run
from tests.fixtures.anomaly_test_scenarios import SCENARIOS


def _serialised(rows: list[Row]) -> list[str]:
    lines = []
    for _, estimate in run(rows):
        lines.append(estimate.state.model_dump_json())
        lines.extend(r.model_dump_json() for r in estimate.sensor_health)
        lines.extend(r.model_dump_json() for r in estimate.anomalies)
    return lines


def test_pipeline_returns_state_anomalies_sensor_health() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "escalation_and_calming")
    rows = [Row(ts, readings) for ts, readings in scenario.rows()]
    estimates = [e for _, e in run(rows)]
    anomalies = [a for e in estimates for a in e.anomalies]
    assert anomalies, "the scenario raises temperature episodes"
    for row, estimate in zip(rows, estimates, strict=True):
        state = estimate.state
        assert isinstance(state, StateV1)
        # Every record is a valid contract (strict validation of what model_construct built).
        assert StateV1.model_validate_json(state.model_dump_json()) == state
        assert state.timestamp == row.timestamp and state.site_id == "gh-test"
        assert state.device_status == row.device_status()
        assert [h.sensor for h in estimate.sensor_health] == list(SENSOR_KEYS)
        for record in estimate.sensor_health:
            assert SensorHealthV1.model_validate_json(record.model_dump_json()) == record
            assert record.timestamp == row.timestamp and record.since <= record.timestamp
        for record in estimate.anomalies:
            assert isinstance(record, AnomalyV1) and record.timestamp == row.timestamp
        assert state.air_temperature_c == pytest.approx(row.readings["air_temperature_c"])
        assert state.vpd_kpa is not None and state.dew_point_c is not None
    assert estimates[0].state is estimates[0].state, "built once, on first read"


def test_pipeline_is_deterministic_for_same_inputs() -> None:
    base = greenhouse(days=1, step_s=300.0, seed=11)
    rows = modify(
        base, "co2_ppm", lambda i, r: r.readings["co2_ppm"] + 900 if i == 150 else r.readings["co2_ppm"]
    )
    first = _serialised(rows)
    assert first == _serialised(rows)
    assert any('"fault":"jump"' in line for line in first)
    other = _serialised(greenhouse(days=1, step_s=300.0, seed=12))
    assert other != first


def test_duplicate_and_out_of_order_observations_are_refused_without_changing_anything() -> None:
    rows = greenhouse(days=1, step_s=60.0, seed=1)[:20]
    estimator = Estimator()
    for row in rows:
        estimator.step(row.observation(), row.device_status())
    samples = len(estimator.history)
    with pytest.raises(DuplicateObservationError) as duplicate:
        estimator.step(rows[-1].observation(), rows[-1].device_status())
    assert rows[-1].timestamp.isoformat() in str(duplicate.value)
    with pytest.raises(OutOfOrderObservationError):
        estimator.step(rows[-5].observation(), rows[-5].device_status())
    assert issubclass(OutOfOrderObservationError, ObservationOrderError)
    assert issubclass(ObservationOrderError, BrainError)
    assert len(estimator.history) == samples
    nxt = Row(rows[-1].timestamp + timedelta(minutes=1), rows[-1].readings)
    assert estimator.step(nxt.observation(), nxt.device_status()).state.timestamp == nxt.timestamp


def test_wall_clock_stepped_back_an_hour_keeps_the_estimator_taking_data() -> None:
    base = greenhouse(days=1, step_s=60.0, seed=3)
    scenario = next(s for s in SCENARIOS if s.name == "drying_slab")
    hot = [Row(r.timestamp, readings) for r, (_, readings) in zip(base, scenario.rows(), strict=False)]
    stepped = [Row(r.timestamp - timedelta(hours=1), r.readings) for r in hot[35:]]
    rows = hot[:35] + stepped
    estimates = [e for _, e in run(rows)]
    assert len(estimates) == len(rows), "nothing refused after the step"
    closing = estimates[35].anomalies
    assert [(a.kind.value, a.ended_at) for a in closing] == [("substrate_dry", rows[34].timestamp)]
    assert "stepped back" in closing[0].message
    for estimate in estimates[35:]:
        for record in estimate.sensor_health:
            assert record.since <= record.timestamp
    # And no fault: an hour backwards is neither a jump nor a gap.
    assert all(r.status.value != "faulty" for e in estimates for r in e.sensor_health)


def test_wall_clock_stepped_forward_reads_as_a_gap_not_a_jump() -> None:
    base = greenhouse(days=1, step_s=60.0, seed=3)
    rows = base[:400] + [Row(r.timestamp + timedelta(hours=6), r.readings) for r in base[400:500]]
    estimates = [e for _, e in run(rows)]
    assert all(r.status.value != "faulty" for e in estimates for r in e.sensor_health)


def test_dst_fall_back_of_a_local_log_just_increases() -> None:
    from zoneinfo import ZoneInfo

    eastern = ZoneInfo("America/New_York")
    naive = [datetime(2024, 11, 3, 0, 30) + timedelta(minutes=5 * i) for i in range(30)]
    # Replay the ambiguous hour twice, as the OSU log does.
    twice = naive[:18] + naive[6:18] + naive[18:]
    seen: set[datetime] = set()
    local = []
    for moment in twice:
        fold = 1 if moment in seen and moment.hour == 1 else 0
        seen.add(moment)
        local.append(moment.replace(tzinfo=eastern, fold=fold))
    base = greenhouse(days=1, step_s=300.0, seed=4)
    rows = [Row(ts, base[i].readings) for i, ts in enumerate(local)]
    estimates = [e for _, e in run(rows)]
    assert len(estimates) == len(rows)
    assert [e.timestamp.astimezone(UTC) for e in estimates] == sorted(
        e.timestamp.astimezone(UTC) for e in estimates
    )


def test_history_holds_the_states_values() -> None:
    rows = greenhouse(days=1, step_s=60.0, seed=5)[:180]
    estimator = Estimator()
    last = None
    for row in rows:
        last = estimator.step(row.observation(), row.device_status())
    assert last is not None
    stats = estimator.history.stats("air_temperature_c", 1.0)
    expected = [r.readings["air_temperature_c"] for r in rows[-61:]]
    assert stats.count == 61
    assert stats.mean == pytest.approx(sum(expected) / 61)  # type: ignore[arg-type]
    assert HISTORY_SERIES[-2:] == ("vpd_kpa", "dew_point_c")
    assert estimator.history.last_n_hours(0.01)[-1].values[-2] == pytest.approx(last.vpd_kpa)


def test_humidity_reading_slightly_above_100_is_clamped() -> None:
    rows = modify(greenhouse(days=1, step_s=60.0, seed=2)[:100], "relative_humidity_pct", lambda i, r: 101.0)
    estimate = [e for _, e in run(rows)][10]
    assert estimate.state.relative_humidity_pct == 100.0
    assert estimate.state.vpd_kpa == 0.0
    assert estimate.state.dew_point_c == pytest.approx(estimate.state.air_temperature_c)


def test_health_changed_marks_status_changes_only() -> None:
    base = greenhouse(days=1, step_s=60.0, seed=5)[:100]
    rows = modify(base, "co2_ppm", lambda i, r: None if 50 <= i < 60 else r.readings["co2_ppm"])
    flags = [e.health_changed for _, e in run(rows)]
    changed = [i for i, flag in enumerate(flags) if flag]
    # 0: the first estimate always reports its health; 50: degraded (held); 52: faulty (disconnect);
    # 60: back, degraded (recovering); 70: ok.
    assert changed == [0, 50, 52, 60, 70]


def test_settings_load_packaged_and_reject_bad_files(tmp_path: Path) -> None:
    packaged = EstimatorSettings.load(None)
    assert packaged.anomalies and packaged.health.disconnect_polls == 3
    text = Path(packaged.source).read_text(encoding="utf-8")
    good = tmp_path / "ok.toml"
    good.write_text(text, encoding="utf-8")
    assert EstimatorSettings.load(good).health == packaged.health
    cases = {
        "missing.toml": None,
        "syntax.toml": "not = [valid",
        "key.toml": text.replace("disconnect_polls = 3", "disconnect_polls = 0"),
        "order.toml": text.replace("critical = 35.0", "critical = 25.0"),
        "weights.toml": text.replace("co2_ppm = 0.15", "co2_ppm = 0.25"),
        "extra.toml": text + "\n[surprise]\nx = 1\n",
        "lag.toml": text.replace("reference_lag_s = 86400.0", "reference_lag_s = 86500.0"),
        "range.toml": text.replace("valid_max = 60.0", "valid_max = -40.0"),
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError) as error:
            EstimatorSettings.load(path)
        assert error.value.file == str(path), name
    with pytest.raises(ConfigError) as error:
        EstimatorSettings.load(tmp_path / "key.toml")
    assert error.value.key == "health.disconnect_polls"
    kinds = text.split("[anomalies.substrate_dry]")[0]
    (tmp_path / "kinds.toml").write_text(kinds, encoding="utf-8")
    with pytest.raises(ConfigError, match="substrate_dry"):
        EstimatorSettings.load(tmp_path / "kinds.toml")


def test_bone_dry_air_has_no_dew_point_and_no_condensation_judgement() -> None:
    rows = modify(greenhouse(days=1, step_s=60.0, seed=2)[:40], "relative_humidity_pct", lambda i, r: 0.0)
    estimate = [e for _, e in run(rows)][-1]
    assert estimate.state.relative_humidity_pct == 0.0
    assert estimate.state.dew_point_c is None
    temp = estimate.state.air_temperature_c
    assert temp is not None
    assert estimate.state.vpd_kpa == pytest.approx(saturation_vapour_pressure_kpa(temp)), "dry air: VPD = e_s"


def test_settings_need_a_weight_for_every_sensor(tmp_path: Path) -> None:
    text = Path(EstimatorSettings.load().source).read_text(encoding="utf-8")
    path = tmp_path / "weights.toml"
    path.write_text(text.replace("substrate_moisture_pct = 0.10\n", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="weights missing for substrate_moisture_pct") as error:
        EstimatorSettings.load(path)
    assert error.value.key == "confidence"


def test_estimate_floats_are_those_of_its_state() -> None:
    """``values``, ``vpd_kpa`` and ``dew_point_c`` read without building records: the state's, exactly."""
    base = greenhouse(days=1, step_s=300.0, seed=8)
    rows = modify(
        base, "air_temperature_c", lambda i, r: None if 100 <= i < 110 else r.readings["air_temperature_c"]
    )
    for _, estimate in run(rows):
        state = estimate.state
        assert estimate.values == tuple(getattr(state, key.value) for key in SENSOR_KEYS)
        assert (estimate.vpd_kpa, estimate.dew_point_c) == (state.vpd_kpa, state.dew_point_c)
