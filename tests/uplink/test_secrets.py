"""Secrets of [uplink]: never echoed by an error, masked by ``brain config show``, readable from files.

Each error case runs the real ``brain config check`` and ``brain uplink`` processes: what they
print on stderr is what lands in the journal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.config import load_settings
from brain.errors import ConfigError
from brain.uplink.alerts import AlertRunner
from brain.uplink.settings import AlertSettings, SecretFileError, UplinkSettings, masked_url
from tests.runs import clean_env

TOOLS = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"


def brain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TOOLS, *args],
        capture_output=True,
        text=True,
        env=clean_env(**(env or {})),
        timeout=60,
        check=False,
    )


SECRET = "tk_Zq8wS3cr3t"


@pytest.mark.parametrize(
    ("text", "environment", "key"),
    [
        (f'[uplink]\nusername = "u"\npasword = "{SECRET}"\n', {}, "uplink.pasword"),
        ('[uplink]\nusername = "u"\npassword = 48151623\n', {}, "uplink.password"),
        (f'[uplink.alerts]\nntfy_url = "https://ntfy.sh/ {SECRET}"\n', {}, "uplink.alerts.ntfy_url"),
        (
            f'[uplink.alerts]\nwebhook_url = "ftp://hooks.example.org/{SECRET}"\n',
            {},
            "uplink.alerts.webhook_url",
        ),
        ("", {"BRAIN_UPLINK__PORT": SECRET}, "uplink.port"),
        ("", {"BRAIN_UPLINK__STREAMS": SECRET}, "uplink.streams"),
        ("", {"BRAIN_UPLINK": f'{{"pasword": "{SECRET}"}}'}, "uplink.pasword"),
        (f'[uplink]\ntopic_prefix = "{SECRET}/#"\n', {}, "uplink.topic_prefix"),
    ],
)
@pytest.mark.parametrize("command", ["config check", "uplink"])
def test_a_configuration_error_under_uplink_never_shows_the_value(
    tmp_path: Path, text: str, environment: dict[str, str], key: str, command: str
) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(text)
    args = ["config", "check", str(path)] if command == "config check" else ["uplink", "--config", str(path)]
    result = brain(*args, env=environment)
    assert result.returncode == 78, result.stderr
    assert key in result.stderr
    for secret in (SECRET, "48151623"):
        assert secret not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_an_unknown_top_level_key_is_not_shown_either(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(f'pasword = "{SECRET}"\n')
    result = brain("config", "check", str(path))
    assert result.returncode == 78 and "pasword" in result.stderr and "value not shown" in result.stderr
    assert SECRET not in result.stderr


def test_a_value_elsewhere_is_still_shown_to_help_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_text("poll_interval_s = -4\n")
    result = brain("config", "check", str(path))
    assert result.returncode == 78 and "got -4" in result.stderr


def test_config_show_masks_the_password_and_the_urls_that_are_credentials(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(
        '[uplink]\nusername = "u"\npassword = "hunter2"\n[uplink.alerts]\n'
        f'ntfy_url = "https://ntfy.example.org/greenhouse-topic?auth={SECRET}"\n'
        f'webhook_url = "https://hooks.slack.com/services/T0/B0/{SECRET}x"\n'
    )
    result = brain("config", "show", "--config", str(path))
    assert result.returncode == 0, result.stderr
    for secret in ("hunter2", SECRET, "greenhouse-topic", "services/T0"):
        assert secret not in result.stdout
    assert "uplink.alerts.ntfy_url = 'https://ntfy.example.org/**********'" in result.stdout
    assert "uplink.alerts.webhook_url = 'https://hooks.slack.com/**********'" in result.stdout
    assert "uplink.password = '**********'" in result.stdout


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://ntfy.sh/topic", "https://ntfy.sh/**********"),
        ("http://user:pw@10.0.0.5:8080/", "http://10.0.0.5:8080/**********"),
        ("https://[::1]:2586/t?auth=x", "https://[::1]:2586/**********"),
        ("https://example.org", "https://example.org"),
        ("https://example.org:notaport/x", "**********"),
    ],
)
def test_a_masked_url_keeps_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_the_alert_urls_are_read_from_files_or_credentials(tmp_path: Path) -> None:
    (tmp_path / "ntfy-url").write_text("https://ntfy.example.org/greenhouse\n")
    (tmp_path / "hook").write_text("  https://hooks.example.org/abc  \n")
    settings = AlertSettings(ntfy_url_file=Path("ntfy-url"), webhook_url_file=tmp_path / "hook")
    read = settings.with_files_read(str(tmp_path))
    assert (
        read.ntfy_url is not None
        and read.ntfy_url.get_secret_value() == "https://ntfy.example.org/greenhouse"
    )
    assert (
        read.webhook_url is not None
        and read.webhook_url.get_secret_value() == "https://hooks.example.org/abc"
    )
    with pytest.raises(SecretFileError, match="CREDENTIALS_DIRECTORY"):
        settings.with_files_read(None)


def test_a_url_file_that_holds_no_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    (tmp_path / "ntfy-url").write_text(f"ntfy.sh/{SECRET}\n")
    config = tmp_path / "brain.toml"
    config.write_text(f'data_root = "{tmp_path / "data"}"\n[uplink.alerts]\nntfy_url_file = "ntfy-url"\n')
    result = brain("uplink", "--config", str(config), env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert result.returncode == 78
    assert "uplink.alerts.ntfy_url_file" in result.stderr and SECRET not in result.stderr
    missing = brain("uplink", "--config", str(config))
    assert missing.returncode == 78 and "CREDENTIALS_DIRECTORY" in missing.stderr


def test_a_url_and_its_file_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_text('[uplink.alerts]\nwebhook_url = "https://h.example.org/x"\nwebhook_url_file = "/run/x"\n')
    with pytest.raises(ConfigError, match="webhook_url or webhook_url_file, not both"):
        load_settings(path)


@pytest.mark.parametrize(
    ("section", "refused"),
    [
        ('host = "broker.lan"\nusername = "u"\npassword = "p"', True),
        ('host = "192.168.1.10"\nusername = "u"\npassword_file = "/etc/brain/pw"', True),
        ('host = "broker.lan"\nusername = "u"\npassword = "p"\ntls = true', False),
        ('host = "broker.lan"\nusername = "u"\npassword = "p"\nallow_plaintext_password = true', False),
        ('host = "127.0.0.1"\nusername = "u"\npassword = "p"', False),
        ('host = "::1"\nusername = "u"\npassword = "p"', False),
        ('host = "localhost"\nusername = "u"\npassword = "p"', False),
        ('host = "broker.lan"\nusername = "u"', False),  # no password: nothing to sniff
    ],
)
def test_a_password_that_would_cross_the_network_in_clear_is_refused_unless_allowed(
    tmp_path: Path, section: str, refused: bool
) -> None:
    path = tmp_path / "brain.toml"
    path.write_text(f"[uplink]\n{section}\n")
    if refused:
        with pytest.raises(ConfigError, match="in clear"):
            load_settings(path)
    else:
        assert isinstance(load_settings(path).settings.uplink, UplinkSettings)


def test_the_uplink_refuses_a_password_in_clear_at_start(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_text('[uplink]\nhost = "broker.lan"\nusername = "u"\npassword = "hunter2"\n')
    result = brain("uplink", "--config", str(path))
    assert result.returncode == 78
    assert "in clear" in result.stderr and "allow_plaintext_password" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_alert_url_in_clear_to_another_machine_is_warned_about(tmp_path: Path) -> None:
    settings = AlertSettings(webhook_url="http://192.0.2.7/hooks/abc", ntfy_url="http://127.0.0.1:9/t")
    with capture_logs() as logs:
        AlertRunner(tmp_path / "data", "greenhouse-1", settings)
    [warning] = [e for e in logs if e["event"] == "uplink_alert_channel_in_clear"]
    assert warning["channel"] == "webhook" and warning["url"] == "http://192.0.2.7/**********"
