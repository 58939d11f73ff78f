"""``brain status`` shows the advice in force (brain/advice.py), in text and JSON, on a simulated hot day."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from brain.report.status import gather_status
from tests.report.test_status import UTC_ZONE, status_command


def test_a_hot_morning_shows_the_inspect_advice_for_fans_and_pads(heatwave_root: Path) -> None:
    result = status_command(str(heatwave_root), "--at", "2026-06-01T11:10:00Z")

    block = result.stdout.split("Advice in force", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[:2] for line in block] == [["inspect", "vent_fan"], ["inspect", "misting"]]
    assert "vent_fan at 100 % for 30 min and the air still warming" in block[0]
    assert result.returncode == 1, "advice alone changes no monitoring level (the open anomaly does)"


def test_json_carries_each_advice_with_its_reason_and_what_it_answers(heatwave_root: Path) -> None:
    result = status_command(str(heatwave_root), "--at", "2026-06-01T00:30:00Z", "--json")

    advice = json.loads(result.stdout)["advice_in_force"]
    assert [(a["action_type"], a["device"]) for a in advice] == [
        ("turn_on", "grow_lights"),
        ("turn_off", "vent_fan"),
    ]
    assert advice[1]["reason"].endswith("close vent_fan.")
    assert advice[1]["timestamp"] == "2026-06-01T00:10:00+00:00"
    assert advice[1]["in_response_to"]["stream"] == "state"


def test_advice_lapses_after_two_hours_and_a_newer_action_supersedes(
    heatwave_root: Path, tmp_path: Path
) -> None:
    lapsed = gather_status(heatwave_root, datetime(2026, 6, 1, 13, 0, tzinfo=UTC), UTC_ZONE)
    night = gather_status(heatwave_root, datetime(2026, 6, 1, 2, 30, tzinfo=UTC), UTC_ZONE)

    assert lapsed.advice == []
    # The 00:10 advice (close vent_fan, grow_lights on) is over two hours old at 02:30: lapsed.
    assert [(a.action_type, a.device) for a in night.advice] == [("turn_off", "heater")]
    # A newer action on the heater (02:40) supersedes the one of 02:04: one entry, the newer.
    root = shutil.copytree(heatwave_root, tmp_path / "data")
    newer = (
        '{"schema_version":"1.1","timestamp":"2026-06-01T02:40:00Z","site_id":"greenhouse-sim",'
        '"action_type":"turn_off","target_device":"heater","reason":"Air 22.0 °C: turn off heater.",'
        '"in_response_to":{"stream":"state","timestamp":"2026-06-01T02:40:00Z"},"mode":"advisory"}\n'
    )
    with next(root.glob("run_*/actions.0000.jsonl")).open("a") as actions:
        actions.write(newer)
    later = gather_status(root, datetime(2026, 6, 1, 2, 50, tzinfo=UTC), UTC_ZONE)
    assert [(a.action_type, a.device, a.timestamp.strftime("%H:%M")) for a in later.advice] == [
        ("turn_off", "heater", "02:40")
    ]


def test_a_folder_without_an_actions_stream_shows_none(steady_root: Path) -> None:
    text = status_command(str(steady_root), "--at", "2026-06-01T23:59:00Z")
    document = json.loads(status_command(str(steady_root), "--at", "2026-06-01T23:59:00Z", "--json").stdout)

    assert "Advice in force     none" in text.stdout
    assert document["advice_in_force"] == []


def test_a_damaged_action_line_is_passed_over(tmp_path: Path, steady_root: Path) -> None:
    run = next(steady_root.glob("run_*"))
    good = (
        '{"schema_version":"1.1","timestamp":"2026-06-01T23:00:00Z","site_id":"greenhouse-1",'
        '"action_type":"turn_on","target_device":"vent_fan","reason":"Air hot: open vent_fan.",'
        '"in_response_to":{"stream":"state","timestamp":"2026-06-01T23:00:00Z"},"mode":"advisory"}'
    )
    (run / "actions.0000.jsonl").write_text('{"timestamp": 3}\n[1]\nnot json\n' + good + "\n")

    status = gather_status(steady_root, datetime(2026, 6, 1, 23, 30, tzinfo=UTC), UTC_ZONE)

    assert [a.words() for a in status.advice] == ["turn_on vent_fan"]
