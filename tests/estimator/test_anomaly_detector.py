from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.contracts import AnomalyKind, AnomalyV1, Metric
from brain.estimator import Estimator, EstimatorSettings
from brain.estimator.anomalies import METRICS, AnomalyDetector, _past_threshold
from tests.estimator.synthetic import Row, run
from tests.fixtures.anomaly_test_scenarios import SCENARIOS, START, Scenario

T0 = datetime.fromisoformat("2026-07-14T12:00:00+00:00")
THRESHOLDS = Path(__file__).resolve().parents[2] / "brain" / "estimator" / "thresholds.toml"


def _minutes(moment: datetime | None) -> int | None:
    return None if moment is None else int((moment - START).total_seconds() // 60)


def _told_at_once() -> EstimatorSettings:
    """The packaged settings with every family's end told at once (no merge gap): the scenarios
    are each rule's own timing; the family gap is tested in test_families.py."""
    packaged = EstimatorSettings.load()
    families = {
        name: family.model_copy(update={"merge_gap_s": 0.0}) for name, family in packaged.families.items()
    }
    return packaged.model_copy(update={"families": families})


def _records(scenario: Scenario) -> list[AnomalyV1]:
    rows = [Row(ts, readings) for ts, readings in scenario.rows()]
    return [record for _, estimate in run(rows, Estimator(_told_at_once())) for record in estimate.anomalies]


def _event(record: AnomalyV1, seen: set[tuple[AnomalyKind, datetime]]) -> str:
    """start, change or end: a later open record of the same (kind, started_at) is a severity change."""
    episode = (record.kind, record.started_at)
    if record.ended_at is not None:
        return "end"
    if episode in seen:
        return "change"
    seen.add(episode)
    return "start"


def _summary(records: list[AnomalyV1]) -> tuple[tuple[str, str, str, int, int, int | None], ...]:
    seen: set[tuple[AnomalyKind, datetime]] = set()
    return tuple(
        (
            _event(r, seen),
            r.kind.value,
            r.severity.value,
            _minutes(r.timestamp) or 0,
            _minutes(r.started_at) or 0,
            _minutes(r.ended_at),
        )
        for r in records
    )


def _detector_feed(
    detector: AnomalyDetector, metric: Metric, values: list[float | None], daylight: bool | None = True
) -> list[AnomalyV1]:
    """Feed one metric (others absent) once a minute; return every record."""
    out = []
    for i, value in enumerate(values):
        metrics: list[float | None] = [None] * len(METRICS)
        metrics[METRICS.index(metric)] = value
        ts = T0 + timedelta(minutes=i)
        out.extend(detector.step(ts.timestamp(), ts, metrics, "gh", daylight))
    return out


def test_threshold_breach_emits_anomaly() -> None:
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    records = _detector_feed(detector, Metric.AIR_TEMPERATURE_C, [31.0] * 31 + [25.0] * 31)
    assert [(r.kind, r.severity.value, r.ended_at is None) for r in records] == [
        (AnomalyKind.TEMPERATURE_HIGH, "warning", True),
        (AnomalyKind.TEMPERATURE_HIGH, "warning", False),
    ]
    start, end = records
    assert start.started_at == T0 and start.timestamp == T0 + timedelta(minutes=30)
    assert start.threshold == 30.0 and start.observed_value == 31.0
    assert detector.episodes_started == 0
    assert end.started_at == start.started_at
    assert end.ended_at == T0 + timedelta(minutes=31)
    # Back inside for end_s (15 min) and no re-trigger within merge_gap_s (30 min) of 31.
    assert end.timestamp == T0 + timedelta(minutes=61)
    assert end.threshold == 29.0, "the exit threshold: warning minus hysteresis"
    assert "back below 29 C" in end.message and "25.00 C" in end.message
    for record in records:  # strict contracts, round trip
        assert AnomalyV1.model_validate_json(record.model_dump_json()) == record
    assert "30" in start.message and "pollen" in start.message


def test_all_thresholds_specified_in_spec(project_root: Path) -> None:
    """Every kind has a rule; every rule key is in docs/anomaly_thresholds.md with its value."""
    data = tomllib.loads(THRESHOLDS.read_text(encoding="utf-8"))
    rules = data["anomalies"]
    assert set(rules) == {kind.value for kind in AnomalyKind}
    doc = (project_root / "docs" / "anomaly_thresholds.md").read_text(encoding="utf-8")
    for kind, rule in rules.items():
        assert f"| {kind} |" in doc, f"{kind} missing from the rules table"
        for key, value in rule.items():
            text = (
                str(value).lower()
                if isinstance(value, bool)
                else f"{value:g}"
                if isinstance(value, float)
                else value
            )
            assert f"| `anomalies.{kind}.{key}` | {text} |" in doc, f"anomalies.{kind}.{key} = {text}"
    # And the code uses exactly those numbers.
    settings_ = EstimatorSettings.load()
    for kind in AnomalyKind:
        assert settings_.anomalies[kind].warning == rules[kind.value]["warning"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_produces_its_expected_records(scenario: Scenario) -> None:
    assert _summary(_records(scenario)) == scenario.expected


def test_a_family_episode_names_every_rule_and_its_worst_values() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "humidity_episode_ends_when_its_sensor_freezes")
    start, end = _records(scenario)
    assert start.rules == [AnomalyKind.HUMIDITY_HIGH]  # vpd_low joins at the same step, after it
    assert end.rules == [AnomalyKind.HUMIDITY_HIGH, AnomalyKind.VPD_LOW]
    assert (start.kind, start.started_at) == (end.kind, end.started_at)  # one episode
    assert "humidity_high" in end.message and "vpd_low" in end.message
    assert (
        end.trigger_threshold == 90.0 and end.threshold == 87.0
    )  # trigger, and the release it came back past


def test_scenario_names_are_unique_and_every_kind_is_exercised() -> None:
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)
    kinds = {expected[1] for s in SCENARIOS for expected in s.expected}
    kinds |= {"vpd_low"}  # joins humidity_high's family episode: test_a_family_episode_names_every_rule
    whole_periods = {
        "warm_night",
        "temperature_mean_high",
        "temperature_mean_low",
        "light_integral_low",
        "co2_enrichment_in_dark",
    }
    missing = {k.value for k in AnomalyKind} - kinds - {"co2_low"} - whole_periods  # test_tomato_rules.py
    assert not missing
    assert "co2_low" in kinds


@pytest.mark.parametrize(
    ("kind", "metric", "inside", "warning", "critical"),
    [
        (AnomalyKind.TEMPERATURE_HIGH, Metric.AIR_TEMPERATURE_C, 24.0, 31.0, 36.0),
        (AnomalyKind.TEMPERATURE_LOW, Metric.AIR_TEMPERATURE_C, 18.0, 12.0, 4.0),
        (AnomalyKind.HUMIDITY_HIGH, Metric.RELATIVE_HUMIDITY_PCT, 70.0, 92.0, None),
        (AnomalyKind.VPD_LOW, Metric.VPD_KPA, 0.8, 0.2, None),
        (AnomalyKind.VPD_HIGH, Metric.VPD_KPA, 0.8, 1.8, 2.7),
        (AnomalyKind.CONDENSATION_RISK, Metric.DEW_POINT_MARGIN_C, 4.0, 0.5, None),
        (AnomalyKind.CO2_LOW, Metric.CO2_PPM, 450.0, 300.0, 150.0),
        (AnomalyKind.CO2_HIGH, Metric.CO2_PPM, 450.0, 2000.0, 6000.0),
        (AnomalyKind.SUBSTRATE_DRY, Metric.SUBSTRATE_MOISTURE_PCT, 60.0, 38.0, 25.0),
        (AnomalyKind.WARM_NIGHT, Metric.NIGHT_MEAN_AIR_TEMPERATURE_C, 20.0, 25.0, None),
        (AnomalyKind.TEMPERATURE_MEAN_HIGH, Metric.MEAN_24H_AIR_TEMPERATURE_C, 22.0, 27.0, None),
        (AnomalyKind.LIGHT_INTEGRAL_LOW, Metric.DAILY_LIGHT_INTEGRAL_MOL_M2_D, 20.0, 10.0, 4.0),
    ],
)
def test_every_kind_starts_and_ends_at_each_severity(
    kind: AnomalyKind, metric: Metric, inside: float, warning: float, critical: float | None
) -> None:
    rules = EstimatorSettings.load().anomalies
    for level, value in (("warning", warning), ("critical", critical)):
        if value is None:
            continue
        detector = AnomalyDetector(rules)
        records = [
            r for r in _detector_feed(detector, metric, [value] * 70 + [inside] * 500) if r.kind is kind
        ]
        opened = [r for r in records if r.ended_at is None]
        [end] = [r for r in records if r.ended_at is not None]
        assert opened[-1].severity.value == level
        assert {r.started_at for r in opened} == {end.started_at}, "one episode: its records share the start"
        assert end.severity.value == level, "the end tells the worst the episode reached"
        assert end.ended_at == T0 + timedelta(minutes=70)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-0.9, max_value=0.9), min_size=200, max_size=400))
def test_no_flapping_around_a_threshold(noise: list[float]) -> None:
    """Temperature wandering within +/-0.9 degC of 30.5 (inside the 1 degC hysteresis once started)."""
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    values = [31.0] * 31 + [30.5 + n for n in noise]  # started at minute 30
    records = list(_detector_feed(detector, Metric.AIR_TEMPERATURE_C, values))
    assert len([r for r in records if r.ended_at is None]) == 1
    assert [r for r in records if r.ended_at is not None] == []


def test_untrusted_metric_ends_an_open_episode_and_starts_nothing() -> None:
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    records = _detector_feed(detector, Metric.RELATIVE_HUMIDITY_PCT, [95.0] * 61 + [None] * 100)
    _start, end = records
    assert end.ended_at == end.timestamp == T0 + timedelta(minutes=61)
    assert "no longer trusted" in end.message and end.observed_value == 95.0


def test_daylight_only_rule_is_judged_without_par_and_ends_at_night() -> None:
    rules = EstimatorSettings.load().anomalies
    unknown = _detector_feed(AnomalyDetector(rules), Metric.CO2_PPM, [250.0] * 40, daylight=None)
    assert [r.kind for r in unknown] == [AnomalyKind.CO2_LOW], "no PAR: judged at any hour"
    detector = AnomalyDetector(rules)
    day = _detector_feed(detector, Metric.CO2_PPM, [250.0] * 40, daylight=True)
    night = []
    for i in range(40, 80):
        ts = T0 + timedelta(minutes=i)
        metrics: list[float | None] = [None] * len(METRICS)
        metrics[METRICS.index(Metric.CO2_PPM)] = 250.0
        night.extend(detector.step(ts.timestamp(), ts, metrics, "gh", False))
    assert len(day) == 1
    [end] = night
    assert end.ended_at == T0 + timedelta(minutes=40)
    assert "daylight only" in end.message


def test_a_re_trigger_within_the_gap_is_the_same_episode() -> None:
    """One heat spell with two cool spells of 20 min between: one episode, not three."""
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    values = ([31.0] * 40 + [27.0] * 20) * 3 + [27.0] * 60
    records = _detector_feed(detector, Metric.AIR_TEMPERATURE_C, values)
    assert [(r.ended_at is None, r.started_at) for r in records] == [(True, T0), (False, T0)]
    assert records[1].ended_at == T0 + timedelta(minutes=160)


def test_an_episode_tells_its_escalation_and_its_end_truly() -> None:
    """The issue's case: a warning that becomes critical does not end "back below 29 C" at 35 C."""
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    values = [31.0] * 40 + [35.4] * 20 + [27.5] * 50
    records = _detector_feed(detector, Metric.AIR_TEMPERATURE_C, values)
    start, change, end = records
    assert (start.severity.value, change.severity.value, end.severity.value) == (
        "warning",
        "critical",
        "critical",
    )
    assert change.ended_at is None and change.started_at == start.started_at == end.started_at
    assert change.message.startswith("Escalated to critical: Air temperature 35.40 C above 35 C")
    assert end.observed_value == 27.5 and "35.40 C" in end.message and "back below 29 C" in end.message


def test_close_all_ends_open_episodes_at_the_given_time() -> None:
    detector = AnomalyDetector(EstimatorSettings.load().anomalies)
    [_start] = _detector_feed(detector, Metric.SUBSTRATE_MOISTURE_PCT, [35.0] * 31)
    assert detector.close_all(T0 + timedelta(minutes=30), "gh", "test") != []
    assert detector.close_all(T0 + timedelta(minutes=31), "gh", "test") == []


@pytest.mark.parametrize(
    ("value", "threshold", "above", "shown"),
    [
        (0.2995, 0.3, False, "0.299"),
        (0.26, 0.3, False, "0.26"),
        (35.004, 35.0, True, "35.004"),
        (36.2, 35.0, True, "36.20"),
    ],
)
def test_a_reading_is_never_printed_on_the_threshold_it_crossed(
    value: float, threshold: float, above: bool, shown: str
) -> None:
    """OSU 2024-07-04 said "VPD 0.30 kPa below 0.3 kPa" of a reading of 0.2995."""
    assert _past_threshold(value, threshold, above=above) == shown
