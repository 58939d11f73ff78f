import json

import pytest
from pydantic import ValidationError

from brain.contracts import DeviceStatusV1, ExclusionReason, SensorKey, StateV1
from tests.factories import DELETE, state_payload, with_change


def test_valid_state_payload_passes() -> None:
    model = StateV1.model_validate(state_payload())
    assert model.confidence == 0.8
    assert isinstance(model.device_status, DeviceStatusV1)
    assert model.excluded_sensors == {SensorKey.SUBSTRATE_MOISTURE_PCT: ExclusionReason.DISCONNECT}
    assert model.get(SensorKey.CO2_PPM) == 610.0
    assert StateV1.model_validate_json(json.dumps(state_payload())) == model


def test_missing_schema_version_fails() -> None:
    with pytest.raises(ValidationError) as err:
        StateV1.model_validate(with_change(state_payload(), "schema_version", DELETE))
    assert err.value.errors()[0]["loc"] == ("schema_version",)
    with pytest.raises(ValidationError, match="schema_version"):
        StateV1.model_validate(with_change(state_payload(), "schema_version", "2.0"))


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_confidence_field_is_float_0_to_1(value: float) -> None:
    assert StateV1.model_validate(with_change(state_payload(), "confidence", value)).confidence == value
    for bad in (1.2, -0.01, "0.5", True, None, float("nan")):
        with pytest.raises(ValidationError) as err:
            StateV1.model_validate(with_change(state_payload(), "confidence", bad))
        assert err.value.errors()[0]["loc"] == ("confidence",)


def test_negative_vpd_and_unknown_exclusion_reason_fail() -> None:
    with pytest.raises(ValidationError, match="vpd_kpa"):
        StateV1.model_validate(with_change(state_payload(), "vpd_kpa", -0.1))
    with pytest.raises(ValidationError, match="excluded_sensors"):
        StateV1.model_validate(with_change(state_payload(), "excluded_sensors", {"co2_ppm": "bored"}))


def test_state_is_immutable() -> None:
    model = StateV1.model_validate(state_payload())
    with pytest.raises(ValidationError):
        model.confidence = 0.1  # type: ignore[misc]


def test_a_1_0_line_reads_unchanged_and_1_1_carries_the_daily_figures() -> None:
    old = StateV1.model_validate_json(json.dumps(state_payload()))  # 1.0: no daily figures
    assert old.schema_version == "1.0"
    assert (old.daily_light_integral_mol_m2_d, old.night_mean_air_temperature_c) == (None, None)
    assert old.mean_24h_air_temperature_c is None
    assert json.loads(old.model_dump_json())["schema_version"] == "1.0"
    figures = {
        "schema_version": "1.1",
        "daily_light_integral_mol_m2_d": 14.2,
        "night_mean_air_temperature_c": 17.5,
        "mean_24h_air_temperature_c": 20.1,
    }
    new = StateV1.model_validate({**state_payload(), **figures})
    assert new.night_mean_air_temperature_c == 17.5
    with pytest.raises(ValidationError, match="daily_light_integral"):
        StateV1.model_validate({**state_payload(), **figures, "daily_light_integral_mol_m2_d": -1.0})
