"""Cursors: written atomically, at most once a second; a corrupt one is set aside, a new epoch begins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.uplink.cursor import Cursor, CursorStore, FilePosition, cursor_path, read_cursor
from tests.fake_time import FakeTime


def test_a_saved_cursor_reads_back_the_same(tmp_path: Path) -> None:
    path = cursor_path(tmp_path, "mqtt", "state")
    store = CursorStore(path, "state")
    cursor = store.load()
    assert store.fresh_start
    cursor.next_seq = 7
    cursor.files["run_20260601/state.0000.jsonl"] = FilePosition(offset=120, lines=7)
    cursor.last_timestamp = "2026-06-01T00:06:00+00:00"
    assert store.writes == 1  # a fresh cursor is stored at once: its epoch outlives a kill
    assert store.save(cursor, force=True)
    again = CursorStore(path, "state")
    loaded = again.load()
    assert not again.fresh_start
    assert (loaded.epoch, loaded.next_seq, loaded.files, loaded.last_timestamp) == (
        cursor.epoch,
        7,
        {"run_20260601/state.0000.jsonl": FilePosition(offset=120, lines=7)},
        "2026-06-01T00:06:00+00:00",
    )
    assert not path.with_name(path.name + ".tmp").exists()


def test_writes_are_at_most_one_per_interval_and_only_on_change(tmp_path: Path) -> None:
    clock = FakeTime()
    store = CursorStore(tmp_path / "c.json", "state", min_interval_s=1.0, monotonic=clock.monotonic)
    cursor = store.load()
    assert store.writes == 1
    written = []
    for step in range(50):  # 5 seconds of changes every 0.1 s
        cursor.next_seq = step + 1
        written.append(store.save(cursor))
        clock.advance(0.1)
    assert store.writes == 1 + sum(written)
    assert sum(written) == 4  # one a second after the first, in the 4.9 s that follow
    store.save(cursor, force=True)
    stored = read_cursor(tmp_path / "c.json")
    assert stored is not None and stored.next_seq == 50
    before = store.writes
    clock.advance(5)
    assert not store.save(cursor)  # nothing changed: nothing written
    assert store.writes == before


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", json.dumps({"format": 1, "stream": "state"}).encode(), b'{"format": 2}'],
)
def test_a_corrupt_cursor_is_set_aside_logged_and_replaced_by_a_new_epoch(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "mqtt.state.cursor.json"
    path.write_bytes(content)
    store = CursorStore(path, "state")
    with capture_logs() as logs:
        cursor = store.load()
    assert store.fresh_start and cursor.next_seq == 0 and cursor.files == {}
    [event] = [e for e in logs if e["event"] == "uplink_cursor_corrupt"]
    assert event["log_level"] == "error" and event["file"] == str(path)
    assert "new epoch" in event["consequence"]
    aside = list(tmp_path.glob("mqtt.state.cursor.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content
    stored = read_cursor(path)
    assert stored is not None and stored.epoch == cursor.epoch and stored.next_seq == 0


def test_a_cursor_of_another_stream_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    CursorStore(path, "observations").save(Cursor("observations", "abc", next_seq=5))
    store = CursorStore(path, "state")
    with capture_logs() as logs:
        cursor = store.load()
    assert cursor.stream == "state" and cursor.next_seq == 0 and cursor.epoch != "abc"
    assert any("belongs to stream" in e.get("reason", "") for e in logs)


def test_a_failing_write_is_logged_once_and_retried(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cursor directory should be")
    store = CursorStore(blocked / "c.json", "state", min_interval_s=1.0, monotonic=FakeTime().monotonic)
    with capture_logs() as logs:
        cursor = store.load()
        cursor.next_seq = 1
        assert not store.save(cursor, force=True)
    # unreadable (a file where the directory should be): set aside as corrupt, and the write fails
    assert [e["event"] for e in logs] == ["uplink_cursor_corrupt", "uplink_cursor_write_failed"]
    blocked.unlink()
    with capture_logs() as logs:
        assert store.save(cursor, force=True)
    assert [e["event"] for e in logs] == ["uplink_cursor_write_recovered"]


def test_a_format_1_cursor_is_read_and_written_back_as_format_2(tmp_path: Path) -> None:
    path = tmp_path / "mqtt.state.cursor.json"
    old = {
        "format": 1,
        "stream": "state",
        "epoch": "5f0c2a9e41d7",
        "next_seq": 3,
        "files": {"run_20260601/state.0000.jsonl": {"offset": 300, "lines": 3}},
        "last_timestamp": None,
        "updated_at": "2026-06-02T00:00:01+00:00",
        "state": {},
    }
    path.write_text(json.dumps(old))
    store = CursorStore(path, "state")
    cursor = store.load()
    assert not store.fresh_start and cursor.epoch == "5f0c2a9e41d7"
    assert cursor.files == {"run_20260601/state.0000.jsonl": FilePosition(300, 3, None)}
    cursor.next_seq = 4
    assert store.save(cursor, force=True)
    written = json.loads(path.read_text())
    assert written["format"] == 2 and written["files"] == {"run_20260601/state.0000.jsonl": [300, 3, None]}


def test_sealing_drops_compressed_parts_delivered_to_their_end_and_nothing_else() -> None:
    cursor = Cursor(
        "state",
        "e",
        files={f"run_2026060{day}/state.0000.jsonl": FilePosition(9, 1, "t") for day in (1, 2, 3)},
    )
    cursor.seal(["run_20260601/state.0000.jsonl", "run_20260602/state.0000.jsonl"])
    assert list(cursor.files) == ["run_20260603/state.0000.jsonl"]
    assert cursor.sealed == "run_20260602/state.0000.jsonl"
    assert cursor.is_sealed("run_20260601/state.0000.jsonl", compressed=True)
    assert cursor.is_sealed("run_20260602/state.0001.jsonl", compressed=False) is False  # a plain part: never
    assert not cursor.is_sealed("run_20260603/state.0000.jsonl", compressed=True)  # has an entry
    assert not cursor.is_sealed("run_20260604/state.0000.jsonl", compressed=True)  # after the seal
