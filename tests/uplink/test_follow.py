"""Following a stream a real DatasetWriter writes: rotation, days, torn tails, retention, bad cursors."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

from structlog.testing import capture_logs

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings, apply_retention
from brain.uplink.cursor import FilePosition
from brain.uplink.follow import Line, PartIndex, StreamFollower
from tests.factories import T0, minutes, record
from tests.fake_time import FakeTime


def write(
    data_root: Path, stream: str, count: int, *, start_minute: int = 0, **settings: object
) -> list[str]:
    """Write ``count`` records a minute apart; return their timestamps."""
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER, **settings))  # type: ignore[arg-type]
    records = [
        record(stream, moment) for moment in minutes(count, start=T0 + timedelta(minutes=start_minute))
    ]
    for written in records:
        writer.write(stream, written)
    writer.close()
    return [json.loads(written.model_dump_json())["timestamp"] for written in records]


def timestamps(lines: list[Line]) -> list[str]:
    return [json.loads(line.data)["timestamp"] for line in lines]


def read_all(follower: StreamFollower, batch: int = 1000) -> list[Line]:
    out: list[Line] = []
    while True:
        follower.index.refresh()
        lines = follower.read(batch)
        if not lines:
            return out
        out += lines


def test_lines_come_in_storage_order_across_size_rotation_and_days(data_root: Path) -> None:
    written = write(data_root, "state", 3000, max_file_bytes=64 * 1024)  # about two days, several parts a day
    assert len(list(data_root.glob("run_*"))) == 3
    assert len(list(data_root.glob("run_20260601/state.*.jsonl"))) > 3
    follower = StreamFollower(PartIndex(data_root), "state", {})
    lines = read_all(follower, batch=97)
    assert timestamps(lines) == written
    last = {line.key: line.end for line in lines}
    assert follower.positions == last
    assert all(position.offset == (data_root / key).stat().st_size for key, position in last.items())


def test_a_restarted_follower_continues_exactly_where_its_positions_say(data_root: Path) -> None:
    written = write(data_root, "observations", 200)
    first = StreamFollower(PartIndex(data_root), "observations", {})
    first.index.refresh()
    head = first.read(70)
    second = StreamFollower(PartIndex(data_root), "observations", {head[-1].key: head[-1].end})
    assert timestamps(head) + timestamps(read_all(second)) == written
    assert [line.number for line in head] == list(range(1, 71))


def test_a_torn_tail_is_left_until_it_is_completed(data_root: Path) -> None:
    written = write(data_root, "state", 5)
    part = data_root / "run_20260601" / "state.0000.jsonl"
    follower = StreamFollower(PartIndex(data_root), "state", {})
    line = record("state", T0 + timedelta(minutes=5)).model_dump_json().encode()
    with part.open("ab") as handle:
        handle.write(line[:40])  # a write cut by a power cut, or still under way
    assert timestamps(read_all(follower)) == written
    assert read_all(follower) == []
    with part.open("ab") as handle:
        handle.write(line[40:] + b"\n")
    [completed] = read_all(follower)
    assert completed.data == line and completed.number == 6


def test_a_part_compressed_by_retention_under_the_follower_is_read_on_from_its_gz(data_root: Path) -> None:
    written = write(data_root, "state", 2 * 1440)  # June 1 and June 2
    follower = StreamFollower(PartIndex(data_root), "state", {})
    follower.index.refresh()
    head = follower.read(1000)  # inside June 1's part
    report = apply_retention(data_root, date(2026, 6, 10), retention_days=400, compress_after_days=7)
    assert len(report.compressed) == 2
    assert not list(data_root.glob("run_*/*.jsonl"))
    rest = read_all(follower, batch=300)
    assert timestamps(head) + timestamps(rest) == written
    restarted = StreamFollower(PartIndex(data_root), "state", {head[-1].key: head[-1].end})
    assert timestamps(read_all(restarted)) == written[1000:]


def test_a_cursor_ahead_of_the_log_resumes_at_the_last_line_and_says_so(data_root: Path) -> None:
    written = write(data_root, "state", 10)
    key = "run_20260601/state.0000.jsonl"
    size = (data_root / key).stat().st_size
    follower = StreamFollower(
        PartIndex(data_root), "state", {key: FilePosition(offset=size + 5000, lines=99)}
    )
    with capture_logs() as logs:
        assert read_all(follower) == []
    [event] = [e for e in logs if e["event"] == "uplink_cursor_ahead_of_log"]
    assert event["log_level"] == "warning"
    assert (event["resumed_at"], event["resumed_line"]) == (size, 10)
    more = write(data_root, "state", 3, start_minute=10)
    assert timestamps(read_all(follower)) == more
    assert written[-1] < more[0]


def test_a_part_cut_back_below_the_position_is_read_again_from_its_start(data_root: Path) -> None:
    """The delivered line is gone: nothing after the part's start is known to be delivered (at least once)."""
    written = write(data_root, "state", 10)
    follower = StreamFollower(PartIndex(data_root), "state", {})
    read_all(follower)
    key = "run_20260601/state.0000.jsonl"
    lines = (data_root / key).read_bytes().splitlines(keepends=True)
    (data_root / key).write_bytes(b"".join(lines[:8]))  # two lines gone (a restored backup, say)
    with capture_logs() as logs:
        assert timestamps(read_all(follower)) == written[:8]
    assert any(e["event"] == "uplink_cursor_ahead_of_log" and e["resumed_line"] == 0 for e in logs)
    assert follower.positions[key].offset == len(b"".join(lines[:8]))


def test_a_cursor_inside_a_line_goes_back_to_the_line_start(data_root: Path) -> None:
    written = write(data_root, "state", 4)
    key = "run_20260601/state.0000.jsonl"
    first_line = (data_root / key).read_bytes().index(b"\n") + 1
    follower = StreamFollower(
        PartIndex(data_root), "state", {key: FilePosition(offset=first_line + 10, lines=1)}
    )
    with capture_logs() as logs:
        lines = read_all(follower)
    assert timestamps(lines) == written[1:]
    assert lines[0].number == 2
    assert any(e["event"] == "uplink_cursor_misaligned" for e in logs)


def test_a_record_appended_to_an_older_days_part_is_found_by_the_next_full_listing(data_root: Path) -> None:
    write(data_root, "state", 3 * 1440)
    clock = FakeTime()
    index = PartIndex(data_root, full_scan_s=30, monotonic=clock.monotonic)
    follower = StreamFollower(index, "state", {})
    read_all(follower)
    late = write(data_root, "state", 1, start_minute=600)  # the clock stepped back to June 1
    index.refresh()
    assert follower.read(10) == []  # June 1 is neither new nor among the newest runs
    clock.advance(30)
    index.refresh()
    [line] = follower.read(10)
    assert timestamps([line]) == late and line.key == "run_20260601/state.0000.jsonl"


def test_a_run_deleted_by_retention_is_forgotten_without_an_error(data_root: Path) -> None:
    written = write(data_root, "state", 2 * 1440)
    index = PartIndex(data_root)
    follower = StreamFollower(index, "state", {})
    index.refresh()
    assert follower.read(10)
    apply_retention(data_root, date(2026, 6, 2), retention_days=0, compress_after_days=7)
    index.refresh()
    assert timestamps(read_all(follower)) == written[1440:]
    assert index.oldest_run == "run_20260602"


def test_a_delivered_line_found_elsewhere_in_a_changed_part_resumes_after_it(data_root: Path) -> None:
    """A line before the cursor was rewritten shorter: the delivered line is still there, further up."""
    written = write(data_root, "state", 6)
    key = "run_20260601/state.0000.jsonl"
    follower = StreamFollower(PartIndex(data_root), "state", {})
    delivered = read_all(follower)[3]  # the first four are delivered
    part = data_root / key
    lines = part.read_bytes().splitlines(keepends=True)
    part.write_bytes(b'{"short": 1}\n' + b"".join(lines[1:]))  # line 1 changed, shorter
    again = StreamFollower(PartIndex(data_root), "state", {key: delivered.end})
    with capture_logs() as logs:
        assert timestamps(read_all(again)) == written[4:]
    [event] = [e for e in logs if e["event"] in ("uplink_part_changed", "uplink_cursor_misaligned")]
    assert event["resumed_line"] == 4 and event["cursor_lines"] == 4


def test_a_fifo_named_as_a_part_is_refused_once_and_the_parts_after_it_are_read(data_root: Path) -> None:
    write(data_root, "state", 3)
    os.mkfifo(data_root / "run_20260601" / "state.0001.jsonl")
    later = write(data_root, "state", 2, start_minute=1440)  # the next day
    follower = StreamFollower(PartIndex(data_root), "state", {})
    with capture_logs() as logs:
        lines = read_all(follower)
        follower.index.refresh(full=True)
        assert read_all(follower) == []  # tried again after a full listing, not logged again
    assert timestamps(lines)[-2:] == later and len(lines) == 5
    [event] = [e for e in logs if e["event"] == "uplink_part_unreadable"]
    assert "FIFO" in event["reason"] and follower.unreadable_parts == 1


def test_a_part_unreadable_for_a_while_is_delivered_once_it_can_be_read_and_logged_once(
    data_root: Path,
) -> None:
    """A transient failure (a few seconds of EIO, a stray FIFO): tried again at the next full listing."""
    written = write(data_root, "state", 4)
    part = data_root / "run_20260601" / "state.0000.jsonl"
    kept = part.read_bytes()
    part.unlink()
    os.mkfifo(part)
    index = PartIndex(data_root)
    follower = StreamFollower(index, "state", {})
    with capture_logs() as logs:
        assert read_all(follower) == []
        part.unlink()
        part.write_bytes(kept)  # readable again
        assert read_all(follower) == []  # not before the next full listing: no retry each poll
        index.refresh(full=True)
        lines = read_all(follower)
        index.refresh(full=True)
        lines += read_all(follower)
    assert timestamps(lines) == written  # all 4, once
    assert [e["event"] for e in logs].count("uplink_part_unreadable") == 1
