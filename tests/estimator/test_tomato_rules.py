"""Issue 18's tomato rules on a seeded greenhouse: whole nights, 24-h means, daily light, CO2 in the dark."""

from __future__ import annotations

from datetime import timedelta

from brain.contracts import AnomalyV1
from brain.estimator import Estimator
from tests.estimator.synthetic import START, Row, greenhouse, modify, run

STEP_S = 300.0


def _records(rows: list[Row], estimator: Estimator | None = None) -> list[AnomalyV1]:
    return [record for _, estimate in run(rows, estimator) for record in estimate.anomalies]


def _of(records: list[AnomalyV1], kind: str) -> list[AnomalyV1]:
    return [r for r in records if r.kind.value == kind]


def _hours(row: Row) -> float:
    return (row.timestamp - START).total_seconds() / 3600.0 % 24.0


def test_a_warm_night_is_judged_on_its_whole_mean_when_it_is_over() -> None:
    """Nights held at 25 degC from the second night on: one episode from 22:00, told at 06:00."""
    rows = greenhouse(days=3, step_s=STEP_S, seed=2)

    def warm(i: int, row: Row) -> float | None:
        night = _hours(row) >= 22.0 or _hours(row) < 6.0
        late = row.timestamp >= START + timedelta(hours=22)
        return 25.0 + (0.1 if i % 2 else -0.1) if night and late else row.readings["air_temperature_c"]

    records = _of(_records(modify(rows, "air_temperature_c", warm)), "warm_night")
    start = records[0]
    assert start.ended_at is None and start.started_at == START + timedelta(hours=22)
    assert start.timestamp == START + timedelta(hours=30), "told when the night is over, 06:00"
    assert start.observed_value > 24.0 and start.metric.value == "night_mean_air_temperature_c"
    assert len({r.started_at for r in records}) == 1, "two warm nights in a row: one episode"


def test_a_cool_night_raises_nothing() -> None:
    records = _records(greenhouse(days=3, step_s=STEP_S, seed=2))
    assert _of(records, "warm_night") == [] and _of(records, "temperature_mean_high") == []


def test_a_hot_day_and_night_raise_the_24_hour_mean() -> None:
    rows = modify(
        greenhouse(days=3, step_s=STEP_S, seed=2),
        "air_temperature_c",
        lambda i, r: (r.readings["air_temperature_c"] or 0.0) + 6.0,
    )
    [start] = [r for r in _of(_records(rows), "temperature_mean_high") if r.ended_at is None]
    assert start.observed_value > 26.0
    # The mean needs 90 % of 24 hours of readings before it counts, then an hour above 26 degC.
    assert start.timestamp >= START + timedelta(hours=22.6)


def test_a_cold_day_and_night_raise_the_low_24_hour_mean() -> None:
    rows = modify(
        greenhouse(days=3, step_s=STEP_S, seed=2),
        "air_temperature_c",
        lambda i, r: (r.readings["air_temperature_c"] or 0.0) - 9.0,
    )
    [start] = [r for r in _of(_records(rows), "temperature_mean_low") if r.ended_at is None]
    assert start.observed_value < 16.0 and start.trigger_threshold == 16.0
    assert start.timestamp >= START + timedelta(hours=22.6)  # 90 % of 24 hours first, then an hour
    assert _of(_records(greenhouse(days=3, step_s=STEP_S, seed=2)), "temperature_mean_low") == []


def test_a_dull_day_is_a_low_light_integral_from_its_midnight() -> None:
    """PAR at a sixth of its usual on the second day: a critical day (below 6 mol/m2/d), told at midnight."""
    rows = greenhouse(days=3.1, step_s=STEP_S, seed=2)
    dull = modify(
        rows,
        "par_umol_m2_s",
        lambda i, r: (r.readings["par_umol_m2_s"] or 0.0) / (6.0 if 24 <= i * STEP_S / 3600 < 48 else 1.0),
    )
    records = _of(_records(dull), "light_integral_low")
    start, end = records
    assert start.started_at == START + timedelta(days=1) and start.timestamp == START + timedelta(days=2)
    assert start.severity.value == "critical" and start.observed_value < 6.0
    assert end.ended_at == START + timedelta(days=2), "the next day had its light back"
    healthy = _of(_records(rows), "light_integral_low")
    assert healthy == [], "the seeded day has about 30 mol/m2/d"


def test_co2_in_the_dark_is_wasted_gas_and_needs_a_par_sensor_to_say_so() -> None:
    rows = greenhouse(days=1, step_s=STEP_S, seed=2)
    enriched = modify(
        rows, "co2_ppm", lambda i, r: 950.0 + i % 3 if _hours(r) < 3.0 else r.readings["co2_ppm"]
    )
    [start, _end] = _of(_records(enriched), "co2_enrichment_in_dark")
    assert start.started_at == START and start.timestamp == START + timedelta(minutes=30)
    without_par = [r.with_reading("par_umol_m2_s", None) for r in enriched]
    assert _of(_records(without_par), "co2_enrichment_in_dark") == [], "darkness unknown: not judged"


def test_a_heated_house_at_12_degrees_is_a_warning_now() -> None:
    rows = greenhouse(days=1, step_s=60.0, seed=2)
    cold = modify(
        rows,
        "air_temperature_c",
        lambda i, r: 12.0 + (0.05 if i % 2 else -0.05) if 60 <= i < 120 else r.readings["air_temperature_c"],
    )
    [start] = [r for r in _of(_records(cold), "temperature_low") if r.ended_at is None]
    assert start.severity.value == "warning" and start.threshold == 15.0  # a kelvin under a 16 C heating line
