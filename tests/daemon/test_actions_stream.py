"""The daemon's actions stream: JSONL beside the others, the same bytes on each replay and after a restart."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from brain.contracts import ActionV1, StateV1
from brain.sources.csv.importer import import_csv
from brain.sources.csv.mapping import load_mapping
from tests.runs import daemon, read_stream

MAPPING = """
site_id = "tiny-house"
timezone = "UTC"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"

[sensors]
air_temperature_c = { column = "t" }
relative_humidity_pct = { column = "rh" }

[outside]
air_temperature_c = { column = "t_out" }

[devices]
vents = { column = "vents", kind = "ventilation" }
screen = { column = "screen", kind = "energy_screen" }
"""

CONFIG = """
latitude = 52.0
longitude = 4.4

[advisor.devices]
vents = "ventilation"
screen = "energy_screen"
"""


def _field_log(folder: Path) -> Path:
    """Two days of 5-minute rows: a hot afternoon with the vents shut, cold nights with the screen open."""
    rows = ["time,t,rh,t_out,vents,screen"]
    for step in range(2 * 288):
        hour = (step * 5 / 60) % 24
        air = 18.0 + 12.0 * max(0.0, 1 - abs(hour - 14) / 6) + 0.01 * (step % 7)
        rh = 70.0 + 0.1 * (step % 11)
        rows.append(
            f"2026-03-{1 + step // 288:02d} {int(hour):02d}:{step * 5 % 60:02d},{air:.2f},{rh:.1f},3.5,0,0"
        )
    (folder / "log.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    output = folder / "log.jsonl"
    import_csv(folder / "log.csv", load_mapping(str(mapping)), output)
    return output


def _actions_bytes(data_root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(data_root.glob("run_*/actions.*.jsonl")))


def test_a_replay_writes_the_same_actions_every_time_and_each_answers_a_stored_state(tmp_path: Path) -> None:
    log = _field_log(tmp_path)
    config = tmp_path / "brain.toml"
    config.write_text(CONFIG, encoding="utf-8")
    runs = [daemon(tmp_path / name, "--replay", str(log), "--config", str(config)) for name in ("a", "b")]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    first = _actions_bytes(runs[0].data_root)
    assert first and first == _actions_bytes(runs[1].data_root)
    actions = [ActionV1.model_validate(record) for record in read_stream(runs[0].data_root, "actions")]
    devices = {action.target_device for action in actions}
    assert devices == {"vents", "screen"}, (
        "the hot afternoons open the vents; the cold nights close the screen"
    )
    assert all(action.mode == "advisory" and action.schema_version == "1.1" for action in actions)
    states = {StateV1.model_validate(r).timestamp for r in read_stream(runs[0].data_root, "state")}
    for action in actions:
        assert action.in_response_to.timestamp in states, "the state an action answers is stored"
    stopped = [e for e in runs[0].log_events() if e["event"] == "daemon_stopped"]
    assert stopped[0]["actions"] == len(actions)


def test_a_restarted_simulation_writes_the_actions_an_uncut_one_does(tmp_path: Path) -> None:
    uncut = daemon(tmp_path / "uncut", "--simulate", "--duration-hours", "36")
    assert uncut.returncode == 0, uncut.stderr
    cut = tmp_path / "cut"
    for hours in ("20", "36"):  # the second start resumes after what the first stored
        run = daemon(cut, "--simulate", "--duration-hours", hours)
        assert run.returncode == 0, run.stderr
    assert _actions_bytes(uncut.data_root)
    assert _actions_bytes(cut) == _actions_bytes(uncut.data_root)


def test_without_the_advisor_no_actions_are_written(tmp_path: Path) -> None:
    config = tmp_path / "brain.toml"
    config.write_text("[advisor]\nenabled = false\n", encoding="utf-8")
    run = daemon(tmp_path / "data", "--simulate", "--duration-hours", "6", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert not list((tmp_path / "data").glob("run_*/actions.*"))
    assert json.loads(json.dumps(read_stream(tmp_path / "data", "state")))  # the rest is written as before


def test_in_the_closed_loop_the_daemon_hands_the_advice_to_the_greenhouse(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from brain.daemon.main_loop import serve
    from brain.sources.synthetic.source import SyntheticSource
    from tests.daemon.parts import scripted_parts

    start = datetime(2026, 1, 12, tzinfo=UTC)
    source = SyntheticSource(
        seed=3,
        start=start,
        poll_interval_s=60.0,
        duration_s=6 * 3600.0,
        site_id="greenhouse-1",
        control="advice",
    )
    parts = scripted_parts(tmp_path / "data", source, start)
    loop_settings = parts.settings.model_copy(
        update={"simulation": parts.settings.simulation.model_copy(update={"control": "advice"})}
    )
    parts = dataclasses.replace(parts, settings=loop_settings)
    assert serve(parts) == 0
    heater = [s["devices"]["heater"] for s in read_stream(tmp_path / "data", "device_status")]
    assert "on" in heater, "the advice heats the January night, and the modelled heater follows it"
