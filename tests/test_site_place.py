"""The site's place on Earth: set once at the top level, read by the estimator and the advisor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from brain.config import MOVED_KEYS, deprecation_warnings, load_settings
from brain.daemon.builder import build_parts
from brain.errors import ConfigError
from brain.exit_codes import ExitCode

WOOSTER = "latitude = 40.78\nlongitude = -81.93\n"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brain.toml"
    path.write_text(f'source = "synthetic"\ndata_root = "{tmp_path / "data"}"\n{text}', encoding="utf-8")
    return path


def _places(tmp_path: Path, text: str) -> tuple[object, object]:
    """What the estimator's light hours and the advisor were built with, by the daemon's own builder."""
    parts = build_parts(load_settings(_file(tmp_path, text)))
    try:
        assert parts.advisor is not None
        advisor_place = (parts.advisor.settings.latitude, parts.advisor.settings.longitude)
        return parts.estimator._light._site, advisor_place
    finally:
        parts.source.close()


def test_one_setting_reaches_the_estimator_and_the_advisor(tmp_path: Path) -> None:
    estimator_place, advisor_place = _places(tmp_path, WOOSTER)
    assert estimator_place == (40.78, -81.93)
    assert advisor_place == (40.78, -81.93)


def test_without_a_place_neither_has_one(tmp_path: Path) -> None:
    assert _places(tmp_path, "") == (None, (None, None))


@pytest.mark.parametrize("section", ["estimator", "advisor"])
def test_a_deprecated_section_key_is_the_site_place_with_a_warning(tmp_path: Path, section: str) -> None:
    loaded = load_settings(_file(tmp_path, f"[{section}]\n{WOOSTER}"))
    assert (loaded.settings.latitude, loaded.settings.longitude) == (40.78, -81.93)
    assert loaded.deprecated == {f"{section}.latitude": "latitude", f"{section}.longitude": "longitude"}
    assert loaded.origin_of("latitude") == str(tmp_path / "brain.toml")
    warnings = deprecation_warnings(loaded)
    assert len(warnings) == 2
    assert f"{section}.latitude is deprecated" in warnings[0]
    assert "top-level latitude" in warnings[0]
    assert _places(tmp_path, f"[{section}]\n{WOOSTER}") == ((40.78, -81.93), (40.78, -81.93))


def test_a_deprecated_environment_key_is_moved_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_ESTIMATOR__LATITUDE", "42.45")
    monkeypatch.setenv("BRAIN_LONGITUDE", "-76.48")
    loaded = load_settings(_file(tmp_path, ""))
    assert (loaded.settings.latitude, loaded.settings.longitude) == (42.45, -76.48)
    assert loaded.origin_of("latitude") == "environment BRAIN_ESTIMATOR__LATITUDE"
    assert list(loaded.deprecated) == ["estimator.latitude"]


def test_old_and_new_keys_that_disagree_are_refused_naming_the_old_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_file(tmp_path, "latitude = 52.0\nlongitude = 4.4\n[advisor]\nlatitude = 40.0\n"))
    assert raised.value.key == "advisor.latitude"
    assert "keep only latitude" in str(raised.value)


def test_old_and_new_keys_that_agree_are_accepted(tmp_path: Path) -> None:
    loaded = load_settings(_file(tmp_path, f"{WOOSTER}[estimator]\nlatitude = 40.78\n"))
    assert loaded.settings.latitude == 40.78
    assert loaded.deprecated == {"estimator.latitude": "latitude"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("latitude = 91.0\nlongitude = 0.0\n", "latitude"),
        ("latitude = 10.0\nlongitude = -180.5\n", "longitude"),
        ("longitude = 4.4\n", "longitude"),
        ("latitude = 52.0\n", "longitude"),
    ],
)
def test_a_place_out_of_range_or_half_given_is_a_config_error(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_file(tmp_path, text))
    assert raised.value.key == key


def test_every_moved_key_names_a_top_level_key_the_settings_have() -> None:
    from brain.config import BrainSettings

    assert set(MOVED_KEYS.values()) <= set(BrainSettings.model_fields)


def test_config_show_lists_the_place_once_and_warns_of_the_old_key(tmp_path: Path) -> None:
    path = _file(tmp_path, f"[advisor]\n{WOOSTER}")
    shown = subprocess.run(
        [sys.executable, "-m", "brain.cli", "config", "show", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == ExitCode.OK, shown.stderr
    lines = shown.stdout.splitlines()
    assert any(line.startswith("latitude = 40.78") for line in lines)
    assert not any("advisor.latitude" in line or "estimator.latitude" in line for line in lines)
    assert "advisor.latitude is deprecated" in shown.stderr
