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
