import pytest
from pydantic import ValidationError

from brain.contracts import AnomalyKind, AnomalyV1, Severity
from tests.factories import anomaly_payload, with_change


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("observed_value", "31.2"),  # a numeric string is not a number
        ("threshold", True),  # a bool is not a number
        ("message", 42),  # an int is not a string
        ("severity", 1),
        ("site_id", 7),
    ],
)
def test_strict_types_reject_coercion(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        AnomalyV1.model_validate(with_change(anomaly_payload(), field, value))
    assert err.value.errors()[0]["loc"][0] == field


def test_severity_levels_are_valid() -> None:
    assert [s.value for s in Severity] == ["info", "warning", "critical"]
    for level in Severity:
        model = AnomalyV1.model_validate(with_change(anomaly_payload(), "severity", level.value))
        assert model.severity is level
    for bad in ("WARNING", "error", ""):
        with pytest.raises(ValidationError, match="severity"):
            AnomalyV1.model_validate(with_change(anomaly_payload(), "severity", bad))


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        AnomalyV1.model_validate(with_change(anomaly_payload(), "colour", "red"))


def test_episode_end_before_start_fails() -> None:
    bad = with_change(anomaly_payload(), "ended_at", "2026-06-01T11:00:00+00:00")
    with pytest.raises(ValidationError, match="ended_at"):
        AnomalyV1.model_validate(bad)
    with pytest.raises(ValidationError, match="started_at"):
        AnomalyV1.model_validate(with_change(anomaly_payload(), "started_at", "2026-06-01T13:00:00+00:00"))


def test_1_0_and_1_1_lines_read_unchanged_and_1_2_carries_the_family_fields() -> None:
    for version in ("1.0", "1.1"):
        old = AnomalyV1.model_validate(with_change(anomaly_payload(), "schema_version", version))
        assert (old.rules, old.trigger_threshold, old.worst_value, old.standing) == (None, None, None, None)
    new = AnomalyV1.model_validate(
        {
            **anomaly_payload(),
            "schema_version": "1.2",
            "rules": ["temperature_high", "vpd_high"],
            "trigger_threshold": 30.0,
            "worst_value": 33.1,
            "standing": True,
        }
    )
    assert new.rules == [AnomalyKind.TEMPERATURE_HIGH, AnomalyKind.VPD_HIGH]
    assert AnomalyV1.model_validate_json(new.model_dump_json()) == new
    with pytest.raises(ValidationError):
        AnomalyV1.model_validate({**anomaly_payload(), "schema_version": "1.3"})
