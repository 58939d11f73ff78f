import pytest

from brain.errors import BrainError, ConfigError, SensorReadError, SourceError, StorageError


def test_config_error_names_key_and_file() -> None:
    err = ConfigError("must be positive", key="poll_interval_s", file="/etc/brain/brain.toml")
    assert str(err) == "must be positive (key=poll_interval_s, file=/etc/brain/brain.toml)"
    assert (err.key, err.file) == ("poll_interval_s", "/etc/brain/brain.toml")
    assert str(ConfigError("bad")) == "bad"


@pytest.mark.parametrize("cls", [ConfigError, StorageError, SourceError, SensorReadError])
def test_every_error_is_a_brain_error(cls: type[Exception]) -> None:
    assert issubclass(cls, BrainError)


def test_config_error_from_validation_names_the_dotted_key_the_value_and_the_origin() -> None:
    from pydantic import BaseModel, ValidationError

    from brain.errors import ConfigError, dotted_key

    class Relay(BaseModel):
        pin: int

    class Section(BaseModel):
        relays: list[Relay]

    try:
        Section.model_validate({"relays": [{"pin": 4}, {"pin": "four"}]})
    except ValidationError as exc:
        error = ConfigError.from_validation(exc, prefix=("hardware",), file="/etc/brain/brain.toml")
    assert error.key == "hardware.relays[1].pin" and error.file == "/etc/brain/brain.toml"
    assert "(got 'four')" in str(error) and "from /etc/brain/brain.toml" in str(error)
    assert dotted_key(("sensors", "[key]", "co2_ppm")) == "sensors.co2_ppm"
