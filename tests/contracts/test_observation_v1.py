import json

import pytest
from pydantic import ValidationError

from brain.contracts import SENSOR_KEYS, ObservationSource, ObservationV1, SensorKey
from tests.factories import DELETE, observation_payload, with_change


def test_valid_observation_passes() -> None:
    model = ObservationV1.model_validate(observation_payload())
    assert model.source is ObservationSource.SYNTHETIC
    assert model.sensors.get(SensorKey.AIR_TEMPERATURE_C) == 24.5
    assert model.sensors.substrate_moisture_pct is None
    assert model.errors == {SensorKey.SUBSTRATE_MOISTURE_PCT: "no ACK"}
    assert ObservationV1.model_validate_json(json.dumps(observation_payload())) == model


@pytest.mark.parametrize("key", [k.value for k in SENSOR_KEYS])
def test_missing_sensor_fails(key: str) -> None:
    with pytest.raises(ValidationError) as err:
        ObservationV1.model_validate(with_change(observation_payload(), f"sensors.{key}", DELETE))
    assert err.value.errors()[0]["loc"] == ("sensors", key)
    assert err.value.errors()[0]["type"] == "missing"


def test_null_reading_passes_but_extra_sensor_fails() -> None:
    nulls = with_change(observation_payload(), "sensors.co2_ppm", None)
    assert ObservationV1.model_validate(nulls).sensors.co2_ppm is None
    with pytest.raises(ValidationError, match="soil_ph"):
        ObservationV1.model_validate(with_change(observation_payload(), "sensors.soil_ph", 6.1))


@pytest.mark.parametrize("bad", ["21.5", True, float("inf"), float("nan")])
def test_sensor_value_is_not_coerced(bad: object) -> None:
    with pytest.raises(ValidationError, match="air_temperature_c"):
        ObservationV1.model_validate(with_change(observation_payload(), "sensors.air_temperature_c", bad))


def test_errors_must_name_a_sensor_and_source_must_be_known() -> None:
    with pytest.raises(ValidationError, match="errors"):
        ObservationV1.model_validate(with_change(observation_payload(), "errors", {"fan": "broken"}))
    with pytest.raises(ValidationError, match="source"):
        ObservationV1.model_validate(with_change(observation_payload(), "source", "satellite"))


def test_int_reading_is_a_number() -> None:
    # JSON has one number type: a logger that writes 400 for 400.0 ppm must not be rejected.
    model = ObservationV1.model_validate(with_change(observation_payload(), "sensors.co2_ppm", 400))
    assert model.sensors.co2_ppm == 400.0
