import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.errors import ConfigError
from hardware.config import parse_section
from hardware.plugin import PLUGIN

GOOD = """
[hardware]
read_timeout_s = 10

[[hardware.sensors]]
driver = "sht31d"

[[hardware.sensors]]
driver = "dht22"
pin = 4

[[hardware.sensors]]
driver = "ads1115_moisture"
channel = 0
dry_raw = 21000
wet_raw = 9800

[[hardware.relays]]
name = "heater"
pin = 17
"""


def _section(text: str) -> dict[str, Any]:
    section: dict[str, Any] = tomllib.loads(text)["hardware"]
    return section


def test_a_good_section_parses() -> None:
    config = parse_section(_section(GOOD), config_file=None)
    assert [s.label for s in config.sensors] == ["sht31d@0x44", "dht22@GPIO4", "ads1115_moisture@0x48/A0"]
    assert config.relays[0].active_high is True
    assert config.retry.delay_s(1) == 30.0


def test_an_empty_section_is_valid() -> None:
    config = parse_section({}, config_file=None)
    assert config.sensors == () and config.relays == ()


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (_replace("pin = 4", "pin = 2"), "hardware.sensors[1].pin", "reserved for SDA"),
        (_replace("pin = 4", "pin = 40"), "hardware.sensors[1].pin", "less than or equal to 27"),
        (_replace("pin = 4", "pin = true"), "hardware.sensors[1].pin", "valid integer"),
        (_replace("pin = 4", 'pin = "4"'), "hardware.sensors[1].pin", "valid integer"),
        (
            _replace('driver = "dht22"', 'driver = "dht11"'),
            "hardware.sensors[1].driver",
            "unknown driver 'dht11'",
        ),
        (_replace('driver = "dht22"\n', ""), "hardware.sensors[1].driver", "missing"),
        (_replace("channel = 0", "channel = 0\nadress = 0x49"), "hardware.sensors[2].adress", "Extra inputs"),
        (_replace("channel = 0", "channel = 4"), "hardware.sensors[2].channel", "less than or equal to 3"),
        (
            _replace("wet_raw = 9800", "wet_raw = 21000"),
            "hardware.sensors[2].wet_raw",
            "must differ from dry_raw",
        ),
        (
            _replace('driver = "sht31d"', 'driver = "sht31d"\nprovides = ["co2_ppm"]'),
            "hardware.sensors[0].provides",
            "cannot measure co2_ppm",
        ),
        (
            _replace('driver = "sht31d"', 'driver = "sht31d"\nprovides = ["air_temp"]'),
            "hardware.sensors[0].provides[0]",
            "Input should be",
        ),
        (
            _replace('driver = "sht31d"', 'driver = "sht31d"\nprovides = []'),
            "hardware.sensors[0].provides",
            "at least one sensor key",
        ),
        (
            _replace(
                'driver = "sht31d"',
                'driver = "sht31d"\nprovides = ["air_temperature_c", "air_temperature_c"]',
            ),
            "hardware.sensors[0].provides",
            "lists a key twice",
        ),
        (
            _replace("wet_raw = 9800", "wet_raw = 9800\ndry_pct = 40\nwet_pct = 40"),
            "hardware.sensors[2].wet_pct",
            "differ",
        ),
        (
            _replace('driver = "sht31d"', 'driver = "sht31d"\naddress = 0x46'),
            "hardware.sensors[0].address",
            "68",
        ),
        (
            GOOD + '[[hardware.sensors]]\ndriver = "sht31d"\nname = "b"\n',
            "hardware.sensors[3].address",
            "0x44",
        ),
        (
            GOOD + '[[hardware.sensors]]\ndriver = "dht22"\npin = 5\nname = "dht22@GPIO4"\n',
            "hardware.sensors[3].name",
            "",
        ),
        (
            GOOD + '[[hardware.relays]]\nname = "heater"\npin = 18\n',
            "hardware.relays[1].name",
            "already used",
        ),
        (
            GOOD + '[[hardware.relays]]\nname = "fan"\npin = 4\n',
            "hardware.relays[1].pin",
            "GPIO4 is already used by",
        ),
        (
            GOOD + '[[hardware.relays]]\nname = "fan"\npin = 18\nactive_high = "yes"\n',
            "hardware.relays[1].active_high",
            "",
        ),
        (GOOD + '[[hardware.relays]]\nname = "has space"\npin = 18\n', "hardware.relays[1].name", "pattern"),
        (_replace("read_timeout_s = 10", "read_timeout_s = 3"), "hardware.read_timeout_s", "dht22@GPIO4"),
        (_replace("read_timeout_s = 10", "read_timeout_s = nan"), "hardware.read_timeout_s", "finite"),
        (
            _replace("read_timeout_s = 10", "retry_initial_s = 60\nretry_max_s = 30"),
            "hardware.retry_max_s",
            "",
        ),
        (_replace("read_timeout_s = 10", "poll_rate = 10"), "hardware.poll_rate", "Extra inputs"),
        ("[hardware]\nsensors = 5\n", "hardware.sensors", "valid list"),
    ],
)
def test_bad_settings_name_the_key_and_the_file(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        PLUGIN.check(_section(text), config_file=path)
    assert err.value.key == key
    assert err.value.file == str(path)
    message = str(err.value)
    assert key in message and str(path) in message and reason in message


def test_without_a_file_the_message_still_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"hardware\.relays\[0\]\.pin") as err:
        parse_section({"relays": [{"name": "heater", "pin": 3}]}, config_file=None)
    assert err.value.file is None


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100, 100_000),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.text(max_size=25), max_size=3),
)
_sensor_keys = st.sampled_from(
    [
        "driver",
        "name",
        "pin",
        "address",
        "channel",
        "dry_raw",
        "wet_raw",
        "provides",
        "attempts",
        "lux_per_umol_m2_s",
    ]
)
_drivers = st.sampled_from(["dht22", "sht31d", "scd4x", "ads1115_moisture", "bh1750_par", "x"])


@settings(max_examples=200, deadline=None)
@given(
    sensors=st.lists(
        st.dictionaries(_sensor_keys, _values, max_size=6).flatmap(
            lambda d: _drivers.map(lambda driver: {**d, "driver": driver})
        ),
        max_size=4,
    ),
    relays=st.lists(
        st.dictionaries(st.sampled_from(["name", "pin", "active_high", "x"]), _values), max_size=3
    ),
    timeout=_values,
)
def test_any_section_either_parses_or_raises_config_error(
    sensors: list[dict[str, Any]], relays: list[dict[str, Any]], timeout: Any
) -> None:
    section = {"sensors": sensors, "relays": relays, "read_timeout_s": timeout}
    try:
        parse_section(section, config_file=None)
    except ConfigError as exc:
        assert exc.key is not None and exc.key.startswith("hardware")


def test_provides_left_out_means_everything_the_driver_measures() -> None:
    settings = parse_section({"sensors": [{"driver": "scd4x", "provides": None}]}, config_file=None).sensors[
        0
    ]
    assert [key.value for key in settings.keys] == ["co2_ppm"]
