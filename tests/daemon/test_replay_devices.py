"""A replayed imported log is advised on with its own devices: their kinds travel in its sidecar.

``brain import-csv`` writes ``device_kinds`` into the sidecar; ``brain-daemon --replay``
advises on those devices unless ``[advisor.devices]`` is set (docs/advisor.md, "Device kinds").
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.runs import Run, daemon, run_process

TOOLS = ("-c", "import sys; from brain.cli import tools_main; sys.exit(tools_main())")
MAPPING = """
site_id = "vented-test"
timezone = "UTC"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"

[sensors]
air_temperature_c = { column = "temp" }
relative_humidity_pct = { column = "rh" }

[devices]
roof_vent = { column = "vent", kind = "ventilation" }
"""
HOT_HOUR = "".join(f"2024-06-24 12:{minute:02d},30.0,50,0\n" for minute in range(0, 60, 5))
"""Air 30 °C with the vent shut for an hour: above any ventilation line, so brain says "open"."""


def _import(tmp_path: Path) -> Path:
    mapping = tmp_path / "vented.toml"
    mapping.write_text(MAPPING)
    csv_path = tmp_path / "vented.csv"
    csv_path.write_text("time,temp,rh,vent\n" + HOT_HOUR)
    log = tmp_path / "vented.jsonl"
    imported = run_process(
        [*TOOLS, "import-csv", str(csv_path), "--mapping", str(mapping), "--output", str(log)], tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    return log


def _actions(run: Run) -> list[dict[str, object]]:
    paths = sorted(run.data_root.glob("run_*/actions.*.jsonl"))
    return [json.loads(line) for path in paths for line in path.read_text().splitlines()]


def test_the_sidecar_names_the_devices_and_the_replay_advises_on_them(tmp_path: Path) -> None:
    log = _import(tmp_path)
    sidecar = tmp_path / "vented.jsonl.meta.json"
    assert json.loads(sidecar.read_text())["device_kinds"] == {"roof_vent": "ventilation"}
    replayed = daemon(tmp_path / "out", "--replay", str(log))
    assert replayed.returncode == 0, replayed.stderr
    told = [e for e in replayed.log_events() if e["event"] == "replay_devices_from_input"]
    assert told and told[0]["devices"] == ["roof_vent"] and told[0]["told_by"] == str(sidecar)
    actions = _actions(replayed)
    assert [(a["action_type"], a["target_device"]) for a in actions] == [("turn_on", "roof_vent")]
    assert "Air 30.0 °C" in str(actions[0]["reason"])


def test_devices_set_in_the_configuration_win(tmp_path: Path) -> None:
    log = _import(tmp_path)
    config = tmp_path / "brain.toml"
    config.write_text('[advisor.devices]\nheater = "heating"\n')
    replayed = daemon(tmp_path / "out", "--replay", str(log), "--config", str(config))
    assert replayed.returncode == 0, replayed.stderr
    assert _actions(replayed) == [], "the log has no heater: nothing to advise on"
    kept = [e for e in replayed.log_events() if e["event"] == "replay_devices_from_settings"]
    assert kept and kept[0]["keys"] == ["advisor.devices.heater"]


def test_an_unknown_kind_in_the_sidecar_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    log = _import(tmp_path)
    sidecar = tmp_path / "vented.jsonl.meta.json"
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "device_kinds": {"roof_vent": "teleporter"}}))
    replayed = daemon(tmp_path / "out", "--replay", str(log))
    assert replayed.returncode == 78, replayed.stderr
    assert "device_kinds.roof_vent" in replayed.stdout + replayed.stderr
    assert "teleporter" in replayed.stdout + replayed.stderr


def test_a_replay_without_device_status_runs_no_advisor_and_says_so(tmp_path: Path) -> None:
    log = _import(tmp_path)
    advised = daemon(tmp_path / "advised", "--replay", str(log))
    assert advised.returncode == 0, advised.stderr
    assert not [e for e in advised.log_events() if e["event"] == "advisor_idle"]
    (tmp_path / "vented.device_status.jsonl").unlink()  # the statuses the sidecar names are gone
    blind = daemon(tmp_path / "blind", "--replay", str(log))
    assert blind.returncode == 0, blind.stderr
    idle = [e for e in blind.log_events() if e["event"] == "advisor_idle"]
    assert idle and "no device status" in idle[0]["reason"]
    assert _actions(blind) == []
