"""CSV import of actuator columns (device status 1.1) and outside readings (observation 1.1); their replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from brain.contracts import DeviceStatusV1, ObservationV1, RelayState
from brain.errors import ConfigError
from brain.names import DeviceKind
from brain.sources.csv.importer import device_status_path, import_csv
from brain.sources.csv.mapping import CsvMapping, load_mapping
from brain.sources.replay import ReplaySource

MAPPING = """
site_id = "tiny"
timezone = "UTC"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"

[sensors]
air_temperature_c = { column = "t" }

[outside]
air_temperature_c = { column = "t_out" }

[devices]
vent = { column = "vent", kind = "ventilation" }
shade = { column = "shade", kind = "shade_screen", invert = true }
"""

CSV = """time,t,t_out,vent,shade
2024-05-01 10:00,25.0,-1.5,35,100
2024-05-01 10:05,25.5,,0,20
2024-05-01 10:10,26.0,-1.0,101,x
"""


def _mapping(tmp_path: Path, text: str = MAPPING) -> CsvMapping:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(str(path))


def _imported(tmp_path: Path) -> Path:
    source = tmp_path / "log.csv"
    source.write_text(CSV, encoding="utf-8")
    output = tmp_path / "log.jsonl"
    summary = import_csv(source, _mapping(tmp_path), output)
    assert summary.device_statuses == 3
    assert summary.unreadable_positions == 2  # 101 % and "x": unknown, never clipped
    assert "wrote 3 device statuses, 2 device cells unknown" in summary.render()
    return output


def test_positions_are_imported_as_device_status_1_1(tmp_path: Path) -> None:
    output = _imported(tmp_path)
    lines = device_status_path(output).read_text(encoding="utf-8").splitlines()
    statuses = [DeviceStatusV1.model_validate_json(line) for line in lines]
    assert [s.schema_version for s in statuses] == ["1.1"] * 3
    assert statuses[0].positions == {"vent": 35.0, "shade": 0.0}  # inverted: 100 retracted is 0 closed
    assert statuses[0].devices == {"vent": RelayState.ON, "shade": RelayState.OFF}
    assert statuses[1].positions == {"vent": 0.0, "shade": 80.0}
    assert statuses[2].devices == {"vent": RelayState.UNKNOWN, "shade": RelayState.UNKNOWN}
    assert statuses[2].positions == {}


def test_outside_readings_make_observations_1_1(tmp_path: Path) -> None:
    output = _imported(tmp_path)
    observations = [ObservationV1.model_validate_json(x) for x in output.read_text().splitlines()]
    assert [o.schema_version for o in observations] == ["1.1"] * 3
    outside = [o.outside.air_temperature_c if o.outside else "absent" for o in observations]
    assert outside == [-1.5, None, -1.0]
    assert all(o.outside and o.outside.relative_humidity_pct is None for o in observations)
    assert "air_temperature_c" not in observations[1].errors  # an outside gap is not a sensor error


def test_a_replay_of_the_file_finds_its_device_statuses_through_the_sidecar(tmp_path: Path) -> None:
    output = _imported(tmp_path)
    source = ReplaySource(output)
    positions = []
    while source.next_observation() is not None:
        positions.append(source.device_status().position("vent"))
    source.close()
    assert positions == [35.0, 0.0, None]


def test_a_sidecar_without_statuses_or_a_broken_one_leaves_them_unknown(tmp_path: Path) -> None:
    output = _imported(tmp_path)
    device_status_path(output).unlink()
    source = ReplaySource(output)
    assert source.next_observation() is not None
    assert source.device_status().devices == {}
    source.close()
    (tmp_path / "log.jsonl.meta.json").write_text("not json", encoding="utf-8")
    source = ReplaySource(output)
    assert source.next_observation() is not None
    assert source.device_status().devices == {}
    source.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MAPPING.replace('kind = "ventilation"', 'kind = "vents"'), "devices.vent.kind"),
        (MAPPING.replace("[outside]\n", '[outside]\nco2_ppm = { column = "t" }\n'), "not an outside reading"),
    ],
)
def test_a_bad_device_kind_or_outside_key_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _mapping(tmp_path, text)


def test_the_shipped_mappings_name_the_field_logs_devices() -> None:
    osu = load_mapping("osu2024")
    assert osu.device_kinds()["exhaust_fans"] is DeviceKind.VENTILATION
    assert set(osu.outside) == {"air_temperature_c", "relative_humidity_pct"}
    cornell = load_mapping("cornell2020")
    assert cornell.devices["shade_roof"].invert
    assert load_mapping("agc2019_weather").outside
