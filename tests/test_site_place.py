"""The site's place on Earth: set once at the top level, read by the estimator and the advisor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from brain.config import MOVED_KEYS, LoadedSettings, deprecation_warnings, load_settings
from brain.daemon.builder import build_parts
from brain.daemon.site_zone import with_input_place
from brain.errors import ConfigError
from brain.exit_codes import ExitCode
from brain.sources.csv.importer import import_csv
from brain.sources.csv.mapping import load_mapping
from brain.sources.sidecar import InputPlace, replay_input_place, write_sidecar

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


def _replayed(tmp_path: Path, meta: dict[str, object], text: str = "") -> LoadedSettings:
    """A replay's settings, the log's sidecar holding ``meta``, through the daemon's ``with_input_place``."""
    log = tmp_path / "site.jsonl"
    log.write_text("", encoding="utf-8")
    write_sidecar(log, {"timezone": "America/New_York", **meta})
    path = tmp_path / "brain.toml"
    path.write_text(f'source = "replay"\n[replay]\npath = "{log}"\n{text}', encoding="utf-8")
    return with_input_place(load_settings(path))


def test_a_replay_takes_the_place_its_sidecar_names(tmp_path: Path) -> None:
    loaded = _replayed(tmp_path, {"latitude": 42.45, "longitude": -76.48})
    assert (loaded.settings.latitude, loaded.settings.longitude) == (42.45, -76.48)
    assert loaded.origin_of("latitude") == str(tmp_path / "site.jsonl.meta.json")


def test_a_place_set_explicitly_wins_over_the_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAIN_LATITUDE", "52.0")
    monkeypatch.setenv("BRAIN_LONGITUDE", "4.4")
    loaded = _replayed(tmp_path, {"latitude": 42.45, "longitude": -76.48})
    assert (loaded.settings.latitude, loaded.settings.longitude) == (52.0, 4.4)


def test_a_sidecar_without_a_place_leaves_the_settings_alone(tmp_path: Path) -> None:
    loaded = _replayed(tmp_path, {})
    assert (loaded.settings.latitude, loaded.settings.longitude) == (None, None)


@pytest.mark.parametrize(
    ("meta", "key"),
    [
        ({"latitude": 95.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 40.0}, "longitude"),
        ({"longitude": "x"}, "latitude"),
    ],
)
def test_a_bad_place_in_a_sidecar_is_a_config_error_naming_it(
    tmp_path: Path, meta: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _replayed(tmp_path, meta)
    assert raised.value.key == key
    assert raised.value.file == str(tmp_path / "site.jsonl.meta.json")


@pytest.mark.parametrize(("name", "place"), [("osu2024", (40.0, -83.0)), ("cornell2020", (42.45, -76.48))])
def test_the_field_mappings_name_their_sites_place(name: str, place: tuple[float, float]) -> None:
    mapping = load_mapping(name)
    assert (mapping.latitude, mapping.longitude) == place


def test_a_mapping_with_half_a_place_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'site_id = "s"\ntimestamp_column = "t"\ntimestamp_format = "%Y"\nlatitude = 40.0\n'
        '[sensors]\nair_temperature_c = { column = "a" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="latitude and longitude go together"):
        load_mapping(str(path))


def test_the_import_keeps_the_mappings_place_in_the_sidecar(tmp_path: Path) -> None:
    csv = tmp_path / "log.csv"
    csv.write_text("Date,Temp (F),RH (%)\n12/10/2020 0:00,68.0,70\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'site_id = "s"\ntimezone = "America/New_York"\nlatitude = 42.45\nlongitude = -76.48\n'
        'timestamp_column = "Date"\ntimestamp_format = "%m/%d/%Y %H:%M"\n'
        '[sensors]\nair_temperature_c = { column = "Temp (F)", unit = "degF" }\n'
        'relative_humidity_pct = { column = "RH (%)" }\n',
        encoding="utf-8",
    )
    out = tmp_path / "log.jsonl"
    import_csv(csv, load_mapping(str(mapping)), out)
    assert replay_input_place(out) == InputPlace(42.45, -76.48, tmp_path / "log.jsonl.meta.json")


def test_the_daemon_logs_each_deprecated_key_with_its_replacement(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    from brain.cli.brain_daemon import _warn_deprecated

    loaded = load_settings(_file(tmp_path, f"[estimator]\n{WOOSTER}"))
    with capture_logs() as logs:
        _warn_deprecated(loaded)
    assert [(entry["event"], entry["key"]) for entry in logs] == [
        ("setting_deprecated", "estimator.latitude"),
        ("setting_deprecated", "estimator.longitude"),
    ]
    assert all(entry["log_level"] == "warning" and "top-level" in entry["message"] for entry in logs)


def test_a_simulation_keeps_the_place_it_was_given(tmp_path: Path) -> None:
    loaded = load_settings(_file(tmp_path, WOOSTER))
    assert with_input_place(loaded) is loaded
