"""The uplink's bounded reads of the newest actions and device status (brain/uplink/advice.py)."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brain.uplink.advice import RECENT_RUNS, part_tail, recent_book
from brain.uplink.discovery import Cadence, discovery_configs
from brain.uplink.follow import Part, PartIndex
from brain.uplink.messages import Topics

T = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)


def action_line(at: datetime, device: str, action_type: str = "turn_on") -> bytes:
    ref = {"stream": "state", "timestamp": at.isoformat()}
    record = {"timestamp": at.isoformat(), "action_type": action_type, "target_device": device,
              "reason": f"{action_type} {device}.", "in_response_to": ref,
              "mode": "advisory", "site_id": "gh", "schema_version": "1.1"}  # fmt: skip
    return json.dumps(record).encode()


def test_a_tail_keeps_only_complete_lines_plain_or_compressed(tmp_path: Path) -> None:
    lines = [b'{"n": %d, "pad": "%s"}' % (n, b"x" * 50) for n in range(100)]
    content = b"\n".join(lines) + b"\n" + b'{"being": "writ'
    plain = tmp_path / "actions.0000.jsonl"
    plain.write_bytes(content)
    packed = tmp_path / "actions.0001.jsonl.gz"
    packed.write_bytes(gzip.compress(content))

    for part in (Part("run/a", plain, False), Part("run/b", packed, True)):
        whole = part_tail(part, 1 << 20)
        cut = part_tail(part, 700)
        assert whole == lines, "the unfinished last line is left out"
        assert cut == lines[-len(cut) :] and 5 <= len(cut) < 12, "the cut first line is left out"
    fifo = tmp_path / "actions.0002.jsonl"
    os.mkfifo(fifo)
    assert part_tail(Part("run/c", fifo, False)) == [], "a FIFO is refused, never waited on"


def test_the_book_reads_the_two_newest_runs_and_stops_at_the_time_asked(tmp_path: Path) -> None:
    for day in range(3):
        run = tmp_path / f"run_202607{12 + day:02d}"
        run.mkdir()
        when = T - timedelta(days=2 - day)
        lines = [
            action_line(when, f"dev{day}"),
            action_line(when + timedelta(minutes=30), "late"),
            b"not json",
        ]
        (run / "actions.0000.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    index = PartIndex(tmp_path)
    index.refresh(full=True)

    book = recent_book(index, {}, until=T + timedelta(minutes=1))

    assert RECENT_RUNS == 2 and set(book.actions) == {"dev1", "dev2", "late"}
    assert book.actions["late"].timestamp == T - timedelta(days=1) + timedelta(minutes=30)


def test_an_advice_entity_per_kind_with_the_states_an_automation_can_choose() -> None:
    made = discovery_configs(
        site="gh",
        topics=Topics("brain", "gh"),
        discovery_prefix="homeassistant",
        sensors=[],
        cadence=Cadence(60, 900),
        version="0",
        advice_kinds=["cooling", "heating"],
    )
    advice = {topic: json.loads(payload) for topic, payload in made if "/advice_" in topic}

    assert sorted(advice) == [
        "homeassistant/sensor/brain_gh/advice_cooling/config",
        "homeassistant/sensor/brain_gh/advice_heating/config",
    ]
    heating = advice["homeassistant/sensor/brain_gh/advice_heating/config"]
    assert heating["name"] == "Heating advice" and heating["expire_after"] == 180
    assert heating["value_template"] == "{{ value_json.state }}"
    assert "state_class" not in heating and "unit_of_measurement" not in heating  # enum sensors take neither
