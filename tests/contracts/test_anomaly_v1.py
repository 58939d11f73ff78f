import pytest
from pydantic import ValidationError

from brain.contracts import AnomalyV1, Severity
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
