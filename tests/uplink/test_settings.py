"""The [uplink] settings: a bad topic prefix or password setup stops loading, with key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from brain.config import load_settings
from brain.errors import ConfigError
from brain.uplink.publisher import UplinkError, read_password
from brain.uplink.settings import UplinkSettings, load_uplink_settings


def load(tmp_path: Path, text: str) -> UplinkSettings:
    path = tmp_path / "brain.toml"
    path.write_text(text)
    return load_settings(path).settings.uplink


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("brain/+", "wildcard"),
        ("farm/#", "wildcard"),
        ("$SYS/brain", "reserves"),
        ("/brain", "empty level"),
        ("brain/", "empty level"),
        ("a//b", "empty level"),
        ("", "empty"),
    ],
)
def test_a_topic_prefix_that_is_not_a_topic_name_is_refused_at_load_time(
    tmp_path: Path, prefix: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'[uplink]\ntopic_prefix = "{prefix}"\n')
    assert "uplink.topic_prefix" in str(caught.value)
    assert reason in str(caught.value)


def test_the_discovery_prefix_follows_the_same_rule(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"uplink.discovery_prefix.*wildcard"):
        load(tmp_path, '[uplink]\ndiscovery_prefix = "ha/#"\n')


def test_a_plain_multi_level_prefix_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, '[uplink]\ntopic_prefix = "farm/north-1"\n').topic_prefix == "farm/north-1"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('username = "u"\npassword = "p"\npassword_file = "/x"', "not both"),
        ('password = "p"', "needs a username"),
        ('cert_file = "/c.pem"', "go together"),
        ('streams = ["observations", "weather"]', "unknown stream"),
        ('streams = ["observations"]', "discovery needs the streams"),
    ],
)
def test_settings_that_cannot_work_are_refused(tmp_path: Path, section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, f"[uplink]\n{section}\n")


def test_the_password_never_shows_in_the_settings(tmp_path: Path) -> None:
    settings = load(tmp_path, '[uplink]\nusername = "u"\npassword = "hunter2"\n')
    assert "hunter2" not in repr(settings) and "hunter2" not in settings.model_dump_json()
    assert read_password(settings, None) == "hunter2"


def test_a_relative_password_file_is_a_systemd_credential(tmp_path: Path) -> None:
    (tmp_path / "mqtt-password").write_text("s3cret\n")
    settings = UplinkSettings(username="u", password_file=Path("mqtt-password"))
    assert read_password(settings, str(tmp_path)) == "s3cret"
    with pytest.raises(UplinkError, match="CREDENTIALS_DIRECTORY"):
        read_password(settings, None)
    missing = UplinkSettings(username="u", password_file=tmp_path / "absent")
    with pytest.raises(UplinkError, match=r"cannot read uplink\.password_file") as caught:
        read_password(missing, None)
    assert "s3cret" not in str(caught.value)


# brain uplink loads only its part of the configuration (its memory budget), through the same
# layered loading as brain.config: a bad value must read the same, whichever of the two loads it.
@pytest.mark.parametrize(
    ("file_text", "environment"),
    [
        ('[uplink]\ntopic_prefix = "a/#"\n', {}),
        ("poll_interval_s = 0\n", {}),
        ('site_id = "bad/name"\n', {}),
        ("[logging]\nlevel = 'loud'\n", {}),
        ("", {"BRAIN_UPLINK__PORT": "abc"}),
        ("", {"BRAIN_UPLINK": "garbage"}),
        ("", {"BRAIN_BASE_CYCLE_S": "1e-300"}),
        ("[uplink]\nport = 1\n", {"BRAIN_UPLINK__PORT": "70000"}),
        ("[uplink\n", {}),
    ],
)
def test_the_uplink_refuses_what_the_whole_configuration_refuses_with_the_same_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_text: str, environment: dict[str, str]
) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(file_text)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as whole:
        load_settings(path)
    with pytest.raises(ConfigError) as uplink_part:
        load_uplink_settings(path)
    assert str(uplink_part.value) == str(whole.value)
    assert (uplink_part.value.key, uplink_part.value.origin, uplink_part.value.file) == (
        whole.value.key,
        whole.value.origin,
        whole.value.file,
    )


def test_the_uplink_reads_its_values_from_the_same_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(
        'site_id = "north"\n[uplink]\nhost = "broker.local"\nport = 8883\n[storage]\nfsync = "never"\n'
    )
    monkeypatch.setenv("BRAIN_UPLINK__PORT", "1884")
    monkeypatch.setenv("BRAIN_POLL_INTERVAL_S", "30")
    whole = load_settings(path).settings
    part = load_uplink_settings(path)
    assert (part.site_id, part.uplink, part.poll_interval_s, part.data_root) == (
        whole.site_id,
        whole.uplink,
        whole.poll_interval_s,
        whole.data_root,
    )
    assert (part.uplink.host, part.uplink.port, part.poll_interval_s) == ("broker.local", 1884, 30.0)
