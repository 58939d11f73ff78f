"""Where a replay input's site zone is found: its sidecar, or the manifest of the data root it is or is in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from brain.errors import ConfigError
from brain.names import DeviceKind
from brain.sources.sidecar import (
    read_sidecar,
    replay_input_device_kinds,
    replay_input_zone,
    sidecar_path,
    write_sidecar,
)
from brain.storage import manifest_at_start, manifest_path, write_manifest

EASTERN = "America/New_York"


def _data_root(tmp_path: Path, zone: str) -> Path:
    root = tmp_path / "data"
    part = root / "run_20260601" / "observations.0000.jsonl"
    part.parent.mkdir(parents=True)
    part.write_text("{}\n")
    manifest = manifest_at_start(
        None, {"timezone": zone}, {}, at=datetime(2026, 6, 1, tzinfo=UTC), brain_version="0"
    )
    write_manifest(root, manifest)
    return root


def test_a_sidecar_round_trips_next_to_its_log(tmp_path: Path) -> None:
    log = tmp_path / "osu.jsonl"
    log.write_text("{}\n")
    path = write_sidecar(log, {"timezone": EASTERN, "mapping": "osu2024"})
    assert path == sidecar_path(log) == tmp_path / "osu.jsonl.meta.json"
    assert read_sidecar(log) == {"sidecar_version": 1, "timezone": EASTERN, "mapping": "osu2024"}
    zone = replay_input_zone(log)
    assert zone is not None and (zone.zone, zone.told_by) == (EASTERN, path)


def test_a_log_without_a_sidecar_carries_no_zone(tmp_path: Path) -> None:
    log = tmp_path / "plain.jsonl"
    log.write_text("{}\n")
    assert read_sidecar(log) is None
    assert replay_input_zone(log) is None
    assert replay_input_zone(tmp_path) is None, "a folder without a manifest"


def test_a_data_root_its_run_directories_and_their_parts_carry_the_manifests_zone(tmp_path: Path) -> None:
    root = _data_root(tmp_path, EASTERN)
    for path in (root, root / "run_20260601", root / "run_20260601" / "observations.0000.jsonl"):
        zone = replay_input_zone(path)
        assert zone is not None and (zone.zone, zone.told_by) == (EASTERN, manifest_path(root)), path


@pytest.mark.parametrize(
    ("text", "reason"), [("{oops", "cannot read the sidecar"), ('["x"]', "not a JSON object")]
)
def test_a_sidecar_that_cannot_be_read_is_a_config_error_naming_it(
    tmp_path: Path, text: str, reason: str
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("{}\n")
    sidecar_path(log).write_text(text)
    with pytest.raises(ConfigError, match=reason) as raised:
        replay_input_zone(log)
    assert raised.value.file == str(sidecar_path(log))


def test_an_unknown_zone_in_a_manifest_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    root = _data_root(tmp_path, "Mars/Olympus")
    with pytest.raises(ConfigError, match="Mars/Olympus") as raised:
        replay_input_zone(root)
    assert raised.value.file == str(manifest_path(root))


def test_the_device_kinds_a_sidecar_names_are_read_and_checked(tmp_path: Path) -> None:
    log = tmp_path / "osu.jsonl"
    log.write_text("{}\n")
    assert replay_input_device_kinds(log) is None, "no sidecar"
    write_sidecar(log, {"timezone": EASTERN})
    assert replay_input_device_kinds(log) is None, "a sidecar without devices"
    assert replay_input_device_kinds(tmp_path) is None, "a folder has no sidecar"
    write_sidecar(log, {"timezone": EASTERN, "device_kinds": {"vent_lee": "ventilation"}})
    carried = replay_input_device_kinds(log)
    assert carried is not None
    assert carried.kinds == {"vent_lee": DeviceKind.VENTILATION} and carried.told_by == sidecar_path(log)
    write_sidecar(log, {"device_kinds": ["vent_lee"]})
    with pytest.raises(ConfigError, match="not a JSON object") as shape:
        replay_input_device_kinds(log)
    assert shape.value.key == "device_kinds"
    write_sidecar(log, {"device_kinds": {"vent_lee": "ventilator"}})
    with pytest.raises(ConfigError, match="unknown device kind 'ventilator' for vent_lee") as kind:
        replay_input_device_kinds(log)
    assert kind.value.key == "device_kinds.vent_lee"
