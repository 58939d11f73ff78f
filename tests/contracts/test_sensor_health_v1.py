import pytest
from pydantic import ValidationError

from brain.contracts import SensorFault, SensorHealthV1
from tests.factories import sensor_health_payload, with_change


def test_fault_types_are_valid_enum() -> None:
    expected = {"none", "stuck_at", "jump", "drift", "disconnect", "out_of_range"}
    assert {f.value for f in SensorFault} == expected
    for fault in SensorFault:
        model = SensorHealthV1.model_validate(with_change(sensor_health_payload(), "fault", fault.value))
        assert model.fault is fault
    with pytest.raises(ValidationError, match="fault"):
        SensorHealthV1.model_validate(with_change(sensor_health_payload(), "fault", "spike"))


def test_roundtrip_dump_and_validate() -> None:
    model = SensorHealthV1.model_validate(sensor_health_payload())
    line = model.model_dump_json()
    again = SensorHealthV1.model_validate_json(line)
    assert again == model
    assert again.model_dump_json() == line
    assert SensorHealthV1.model_validate(model.model_dump(mode="json")) == model


def test_sensor_must_be_a_known_key() -> None:
    with pytest.raises(ValidationError, match="sensor"):
        SensorHealthV1.model_validate(with_change(sensor_health_payload(), "sensor", "soil_ph"))
