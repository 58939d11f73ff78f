import pytest
from pydantic import ValidationError

from brain.contracts import DeviceStatusV1, RelayState
from tests.factories import device_status_payload, with_change


def test_valid_device_status_passes() -> None:
    model = DeviceStatusV1.model_validate(device_status_payload())
    assert model.devices["vent_fan"] is RelayState.ON
    assert model.devices["co2_valve"] is RelayState.UNKNOWN


@pytest.mark.parametrize(
    ("timestamp", "ok"),
    [
        ("2026-06-01T12:00:00+00:00", True),
        ("2026-06-01T12:00:00Z", True),
        ("2026-10-25T02:30:00+01:00", True),
        ("2026-06-01T12:00:00", False),
        ("", False),
        (None, False),
        (1780000000.0, False),
    ],
)
def test_timestamp_validation_works(timestamp: object, ok: bool) -> None:
    payload = with_change(device_status_payload(), "timestamp", timestamp)
    if ok:
        assert DeviceStatusV1.model_validate(payload).timestamp.utcoffset() is not None
    else:
        with pytest.raises(ValidationError) as err:
            DeviceStatusV1.model_validate(payload)
        assert err.value.errors()[0]["loc"] == ("timestamp",)


def test_relay_state_and_name_are_checked() -> None:
    with pytest.raises(ValidationError, match="devices"):
        DeviceStatusV1.model_validate(with_change(device_status_payload(), "devices", {"heater": "ON"}))
    with pytest.raises(ValidationError, match="devices"):
        DeviceStatusV1.model_validate(with_change(device_status_payload(), "devices", {"bad name": "on"}))
