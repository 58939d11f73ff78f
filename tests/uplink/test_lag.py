"""uplink_lag: each stream's backlog, from the cursor files and the parts alone (for ``brain status``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from brain.storage import DatasetWriter, apply_retention
from brain.uplink.cursor import CursorStore, cursor_path
from brain.uplink.follow import PartIndex, StreamFollower
from brain.uplink.lag import uplink_lag
from tests.factories import T0, minutes, record


def deliver(data_root: Path, stream: str, count: int) -> None:
    """Store a cursor saying the first ``count`` records of ``stream`` are delivered."""
    index = PartIndex(data_root)
    index.refresh()
    lines = StreamFollower(index, stream, {}).read(count)
    store = CursorStore(cursor_path(data_root, "mqtt", stream), stream)
    cursor = store.load()
    cursor.files = {line.key: line.end for line in lines}
    cursor.next_seq = count
    cursor.last_timestamp = (T0 + timedelta(minutes=count - 1)).isoformat()
    store.save(cursor, force=True)


def test_the_lag_counts_what_is_written_and_not_acknowledged(data_root: Path, writer: DatasetWriter) -> None:
    for moment in minutes(10):
        writer.write("state", record("state", moment))
        writer.write("observations", record("observations", moment))
    writer.flush()
    deliver(data_root, "state", 6)
    deliver(data_root, "observations", 10)
    lag = uplink_lag(data_root)
    part = (data_root / "run_20260601" / "state.0000.jsonl").read_bytes()
    assert lag["state"].pending_bytes == len(b"".join(part.splitlines(keepends=True)[6:]))
    assert lag["state"].next_seq == 6
    assert lag["state"].lag_s == 4 * 60
    assert lag["state"].newest_written == T0 + timedelta(minutes=9)
    assert isinstance(lag["state"].cursor_updated_at, datetime)
    assert (lag["observations"].pending_bytes, lag["observations"].lag_s) == (0, 0.0)


def test_a_stream_without_a_cursor_is_all_pending_and_a_corrupt_cursor_is_reported(
    data_root: Path, writer: DatasetWriter
) -> None:
    for moment in minutes(3):
        writer.write("anomalies", record("anomalies", moment))
    writer.flush()
    (data_root / "uplink").mkdir()
    cursor_path(data_root, "mqtt", "sensor_health").write_text("{broken")
    lag = uplink_lag(data_root)
    assert lag["anomalies"].next_seq is None and lag["anomalies"].lag_s is None
    assert (
        lag["anomalies"].pending_bytes == (data_root / "run_20260601" / "anomalies.0000.jsonl").stat().st_size
    )
    assert lag["sensor_health"].error is not None and lag["sensor_health"].pending_bytes == 0


def test_compressed_parts_count_by_their_content(data_root: Path, writer: DatasetWriter) -> None:
    for moment in minutes(1440 + 10):
        writer.write("state", record("state", moment))
    writer.close()
    plain_size = (data_root / "run_20260601" / "state.0000.jsonl").stat().st_size
    apply_retention(data_root, date(2026, 6, 10), retention_days=400, compress_after_days=7)
    assert uplink_lag(data_root)["state"].pending_bytes >= plain_size
    deliver(data_root, "state", 1440 + 10)
    assert uplink_lag(data_root)["state"].pending_bytes == 0


def test_sealed_compressed_parts_are_not_pending_and_an_odd_cursor_time_is_no_crash(
    data_root: Path, writer: DatasetWriter
) -> None:
    for moment in minutes(72, step=timedelta(minutes=60)):
        writer.write("state", record("state", moment))
    writer.close()
    apply_retention(data_root, date(2026, 6, 4), retention_days=400, compress_after_days=1)
    store = CursorStore(cursor_path(data_root, "mqtt", "state"), "state")
    cursor = store.load()
    cursor.sealed = "run_20260602/state.0000.jsonl"  # June 1 and 2 compressed and delivered
    store.save(cursor, force=True)
    raw = cursor_path(data_root, "mqtt", "state").read_text()
    cursor_path(data_root, "mqtt", "state").write_text(
        raw.replace('"updated_at":"', '"updated_at":"yesterday ')
    )
    lag = uplink_lag(data_root)["state"]
    june_3 = sum(p.stat().st_size for p in data_root.glob("run_2026060[3-9]/state.*.jsonl"))
    assert lag.pending_bytes == june_3 > 0
    assert lag.cursor_updated_at is None and lag.error is None
