import pytest
from pydantic import ValidationError

from brain.contracts import ActionType, ActionV1
from tests.factories import action_payload, with_change


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-06-01T12:00:00",  # naive: no offset
        "2026-06-01",  # a date is not an instant
        "yesterday",
        "1780000000",  # unix seconds as a string
        1780000000,  # unix seconds as a number
        "2026-13-01T12:00:00+00:00",  # month 13
    ],
)
def test_invalid_timestamp_fails(timestamp: object) -> None:
    with pytest.raises(ValidationError) as err:
        ActionV1.model_validate(with_change(action_payload(), "timestamp", timestamp))
    assert err.value.errors()[0]["loc"] == ("timestamp",)


def test_naive_timestamp_message_is_clear() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ActionV1.model_validate(with_change(action_payload(), "timestamp", "2026-06-01T12:00:00"))


def test_action_types_are_valid_enum() -> None:
    for action_type in ActionType:
        model = ActionV1.model_validate(with_change(action_payload(), "action_type", action_type.value))
        assert model.action_type is action_type
    with pytest.raises(ValidationError, match="action_type"):
        ActionV1.model_validate(with_change(action_payload(), "action_type", "open_the_roof"))


def test_mode_is_advisory_only() -> None:
    with pytest.raises(ValidationError, match="mode"):
        ActionV1.model_validate(with_change(action_payload(), "mode", "automatic"))
