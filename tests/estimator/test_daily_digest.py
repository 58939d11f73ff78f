"""The daily digest: one local day's figures, episodes and sensors to check (issue 28, item 3).

Built from the records the estimator writes for a synthetic day with a hot afternoon and a
PAR sensor frozen in the evening; the figures are checked against the same sums done here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from brain.contracts import AnomalyKind, AnomalyV1, SensorHealthV1, SensorKey, StateV1
from brain.episodes import daily_digest
from tests.estimator.synthetic import START, greenhouse, modify, run

BAND = (15.0, 30.0)


def _day() -> tuple[list[StateV1], list[AnomalyV1], list[SensorHealthV1]]:
    rows = greenhouse(days=1.0, step_s=300.0, seed=3)
    hot = modify(
        rows,
        "air_temperature_c",
        lambda i, r: (r.readings["air_temperature_c"] or 0.0) + 0.8 * max(0, min(i - 132, 204 - i, 12)),
    )  # a hot afternoon: up to 9.6 degC warmer around 12:00-16:00, ramping 0.8 degC per 5 min
    frozen = modify(
        hot, "par_umol_m2_s", lambda i, r: 306.1078 if 216 <= i < 250 else r.readings["par_umol_m2_s"]
    )
    states, anomalies, health = [], [], []
    for _, estimate in run(frozen):
        states.append(estimate.state)
        anomalies.extend(estimate.anomalies)
        if estimate.health_changed:
            health.extend(estimate.sensor_health)
    return states, anomalies, health


def test_the_digest_tells_the_days_figures_episodes_and_sensors_to_check() -> None:
    states, anomalies, health = _day()
    digest = daily_digest(
        date(2026, 6, 1), (START, START + timedelta(days=1)), states, anomalies, health, band=BAND
    )
    temps = [s.air_temperature_c for s in states[:-1] if s.air_temperature_c is not None]
    assert digest.mean_c == pytest.approx(sum(temps) / len(temps), abs=0.05)  # equal 5-min steps
    assert digest.max_c == max(s.air_temperature_c or 0.0 for s in states)
    hot = [t for t in temps if not BAND[0] <= t <= BAND[1]]
    assert hot and digest.hours_outside == pytest.approx(len(hot) * 5 / 60), "the hot afternoon"
    assert digest.light_mol_m2 is not None and digest.light_mol_m2 > 10.0
    kinds = [e.kind for e in digest.open_episodes + digest.closed_episodes]
    assert kinds and set(kinds) <= {AnomalyKind.TEMPERATURE_HIGH, AnomalyKind.VPD_HIGH}, "the heat family"
    assert digest.sensors_to_check == {SensorKey.PAR_UMOL_M2_S: "stuck_at"}
    text = digest.text("gh-test")
    assert text.startswith("gh-test 2026-06-01: 24 h mean")
    assert f"{kinds[0].value} (" in text and "par_umol_m2_s (stuck_at)" in text
    assert "h outside 15-30 C" in text


def test_a_day_without_records_says_so() -> None:
    digest = daily_digest(date(2026, 6, 2), (START, START + timedelta(days=1)), [], [], [], band=BAND)
    assert (digest.mean_c, digest.light_mol_m2, digest.hours_outside) == (None, None, 0.0)
    text = digest.text("gh")
    assert "no trusted air temperature" in text and "open: none" in text and "sensors to check: none" in text
