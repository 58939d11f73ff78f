"""The "install X" hints name a command that works: this interpreter's pip, the checkout brain came from."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from brain import install_hint
from tests.conftest import PROJECT_ROOT


def test_the_hint_installs_from_this_checkout_with_this_interpreter() -> None:
    words = shlex.split(install_hint.install_command("pi"))
    if words[0] == "sudo":  # an environment this user cannot write
        words = words[1:]
    assert words[:4] == [sys.executable, "-m", "pip", "install"]
    assert words[4] == f"{PROJECT_ROOT}[pi]"
    assert (PROJECT_ROOT / "pyproject.toml").is_file()


class FakeDistribution:
    def __init__(self, text: str | None) -> None:
        self.text = text

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return self.text


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (json.dumps({"url": "file:///home/pi/brain", "dir_info": {}}), "/home/pi/brain"),
        (
            json.dumps({"url": "file:///home/pi/brain-0.1.0-py3-none-any.whl", "archive_info": {}}),
            "/home/pi/brain-0.1.0-py3-none-any.whl",
        ),
        (json.dumps({"url": "file:///home/pi/my%20brain"}), "/home/pi/my brain"),
        (json.dumps({"url": "https://example.org/brain.whl"}), install_hint.UNKNOWN_SOURCE),
        ("not json", install_hint.UNKNOWN_SOURCE),
        (None, install_hint.UNKNOWN_SOURCE),
    ],
)
def test_the_source_is_read_from_pips_record(
    monkeypatch: pytest.MonkeyPatch, direct_url: str | None, expected: str
) -> None:
    monkeypatch.setattr(
        install_hint, "distributions", lambda name: [FakeDistribution(None), FakeDistribution(direct_url)]
    )
    assert install_hint.installed_from() == expected


def test_without_a_record_the_hint_says_what_to_put_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(install_hint, "distributions", lambda name: [])
    assert "'<brain checkout or wheel>[report]'" in install_hint.install_command("report")


def test_sudo_only_when_the_environment_is_not_writable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(install_hint.os, "access", lambda path, mode: False)
    assert install_hint.install_command("pi").startswith("sudo ")
    monkeypatch.setattr(install_hint.os, "access", lambda path, mode: True)
    assert not install_hint.install_command("pi").startswith("sudo ")
