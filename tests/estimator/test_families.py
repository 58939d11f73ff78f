"""One episode per condition family: one start, an escalation only to critical, one end; standing notices.

The detector is fed once a minute with the metrics of one family (heat: air temperature and
VPD), as the estimator would; the packaged thresholds and families (docs/anomaly_thresholds.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from brain.contracts import AnomalyKind, AnomalyV1, Metric, Severity
from brain.estimator import EstimatorSettings
from brain.estimator.anomalies import METRICS, AnomalyDetector

T0 = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
HEAT = (AnomalyKind.TEMPERATURE_HIGH, AnomalyKind.VPD_HIGH)


def _feed(
    detector: AnomalyDetector, minutes: list[Mapping[Metric, float | None]], start: int = 0
) -> list[tuple[int, AnomalyV1]]:
    """Each minute's metrics (others absent), in daylight; every record with its minute."""
    out = []
    for i, values in enumerate(minutes, start=start):
        metrics: list[float | None] = [None] * len(METRICS)
        for metric, value in values.items():
            metrics[METRICS.index(metric)] = value
        ts = T0 + timedelta(minutes=i)
        out.extend((i, record) for record in detector.step(ts.timestamp(), ts, metrics, "gh", True))
    return out


def _heat(temperature: float, vpd: float, minutes: int) -> list[Mapping[Metric, float | None]]:
    return [{Metric.AIR_TEMPERATURE_C: temperature, Metric.VPD_KPA: vpd}] * minutes


def _detector() -> AnomalyDetector:
    settings = EstimatorSettings.load()
    return AnomalyDetector(settings.anomalies, settings.families)


def test_heat_with_dry_air_is_one_episode_naming_both_rules_told_after_the_merge_gap() -> None:
    records = _feed(_detector(), _heat(31.0, 1.8, 45) + _heat(25.0, 0.8, 150))
    assert [(i, r.ended_at is None) for i, r in records] == [(30, True), (135, False)]
    (_, start), (told, end) = records
    assert start.kind is AnomalyKind.TEMPERATURE_HIGH and start.rules == [AnomalyKind.TEMPERATURE_HIGH]
    assert (end.kind, end.started_at) == (start.kind, start.started_at), "one episode"
    assert end.rules == list(HEAT)
    # Both rules back inside from minute 45: each rule is over when its 30-min merge gap from then
    # has passed (minute 75), and the family tells it an hour after that, with the true ended_at.
    assert end.ended_at == T0 + timedelta(minutes=45)
    assert end.timestamp == T0 + timedelta(minutes=told) and told == 75 + 60
    assert end.observed_value == 25.0, "the value at the time it is told"
    assert "temperature_high 31.00 C" in end.message and "vpd_high 1.80 kPa" in end.message
    assert "not back for 60 min" in end.message


def test_a_critical_is_told_at_once_whichever_rule_reaches_it_and_again_after_it_eased() -> None:
    detector = _detector()
    minutes = _heat(31.0, 1.8, 40) + _heat(36.0, 2.7, 30) + _heat(31.0, 1.8, 40) + _heat(36.0, 2.7, 30)
    records = _feed(detector, minutes)
    critical = [(i, r) for i, r in records if r.severity is Severity.CRITICAL and r.ended_at is None]
    # Past 35 degC and 2.5 kPa from minute 40: temperature is critical after 10 min (minute 50),
    # VPD after 15 (55) within the same critical family: told once. Eased from minute 70 (15 min
    # inside: 85); critical again at 110 + 10 = 120.
    assert [i for i, _ in critical] == [50, 120]
    assert all(r.message.startswith("Escalated to critical") for _, r in critical)
    assert all(r.trigger_threshold == 35.0 for _, r in critical)
    assert not [r for _, r in records if r.message.startswith("Eased")], "an easing is not a push"


def test_a_condition_back_day_after_day_is_one_standing_notice() -> None:
    detector = _detector()
    day = 24 * 60
    hot_afternoon = _heat(31.0, 1.8, 180) + _heat(25.0, 0.8, day - 180)
    records = _feed(detector, hot_afternoon * 4 + _heat(25.0, 0.8, 3 * day))
    starts = [(i // day, r) for i, r in records if r.ended_at is None]
    ends = [(i // day, r) for i, r in records if r.ended_at is not None]
    # Day 0: an episode of 3 h, its start and end; day 1: back within the gap after an episode of
    # 2 h or more, a standing notice; days 2 and 3 continue it silently.
    assert [(d, r.standing) for d, r in starts] == [(0, None), (1, True)]
    assert "Back again" in starts[1][1].message
    assert [d for d, _ in ends] == [0, 5], "the standing notice ends after two days without it"
    standing_end = ends[1][1]
    assert standing_end.standing is True and standing_end.message.startswith("Standing notice over")
    assert standing_end.ended_at == T0 + timedelta(days=3, minutes=180)


def test_an_untrusted_sensor_ends_a_family_episode_at_once_and_says_why() -> None:
    detector = _detector()
    minutes = _heat(31.0, 1.8, 40) + [{Metric.AIR_TEMPERATURE_C: None, Metric.VPD_KPA: None}] * 5
    records = _feed(detector, minutes)
    (_, start), (i, end) = records
    assert start.ended_at is None and i == 40 and end.ended_at == T0 + timedelta(minutes=40)
    assert "no longer trusted" in end.message and end.rules == list(HEAT)


def test_a_kind_in_no_family_keeps_its_own_episodes() -> None:
    low = [{Metric.AIR_TEMPERATURE_C: 12.0}] * 40 + [{Metric.AIR_TEMPERATURE_C: 20.0}] * 60
    records = _feed(_detector(), low)
    assert [(r.kind, r.ended_at is None) for _, r in records] == [
        (AnomalyKind.TEMPERATURE_LOW, True),
        (AnomalyKind.TEMPERATURE_LOW, False),
    ]
    assert records[1][1].message.startswith("Over after"), "its own end wording"


def test_a_wall_clock_step_back_ends_every_family_at_once() -> None:
    detector = _detector()
    _feed(detector, _heat(31.0, 1.8, 40))
    [end] = detector.close_all(T0 + timedelta(minutes=39), "gh", "the wall clock stepped back by 900 s")
    assert end.kind is AnomalyKind.TEMPERATURE_HIGH and end.ended_at is not None
    assert end.rules == list(HEAT) and "stepped back" in end.message


def test_a_kind_in_two_families_is_refused() -> None:
    settings = EstimatorSettings.load().model_dump()
    settings["families"]["extra"] = {
        "kinds": ["vpd_high"],
        "merge_gap_s": 0.0,
        "standing_after_s": 0.0,
        "standing_gap_s": 0.0,
    }
    with pytest.raises(ValidationError, match="vpd_high already in another family"):
        EstimatorSettings.model_validate(settings)
