"""The alerts' drills on real processes: a power cut's rewritten tail, a truncated part, a deleted cursor.

The alert follower keeps the same identity cursor as the MQTT one (:mod:`brain.uplink.cursor`), so
what the uplink's drills prove for records holds for alerts: none is skipped. Results in
docs/reliability.md ("The alerts' drills").
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from brain.uplink.alerts import AlertRunner
from tests.factories import T0
from tests.runs import wait_until
from tests.uplink.test_alerts import Catcher, _uplink, anomaly, catcher, events, hook, hooks, write
from tests.uplink.test_process import events_until

PART = "run_20260601/anomalies.0000.jsonl"
__all__ = ["catcher"]  # the fixture, used by name


def minute_of(alert: dict[str, Any]) -> int:
    return int((datetime.fromisoformat(alert["time"]) - T0).total_seconds() // 60)


def test_alerts_lost_to_a_power_cut_tail_then_written_over_are_sent_not_skipped(
    tmp_path: Path, data_root: Path, catcher: Catcher
) -> None:
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    seen: list[dict[str, Any]] = []
    process = _uplink(tmp_path, data_root, catcher)
    try:
        seen += events_until(process, "uplink_alerts_start_at_end", 2)
        write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(6)))
        seen += events_until(process, "uplink_alert_sent", 6)
    finally:
        process.kill()  # the power cut takes the uplink with it
        process.communicate(timeout=30)
        writer.close()
    part = data_root / PART
    size = part.stat().st_size
    part.write_bytes(b"".join(part.read_bytes().splitlines(keepends=True)[:3]))  # 3 never reached the card
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))  # the restarted daemon
    again = _uplink(tmp_path, data_root, catcher)
    try:
        write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(10, 13)))
        assert part.stat().st_size == size  # the old byte offset falls exactly after the new records
        seen = events_until(again, "uplink_alert_sent", 3 + 3)  # the 3 kept again (same id), the 3 new
        # then the daemon stops, its crash repair cuts the part back under the running uplink,
        # and the daemon writes on
        writer.close()
        part.write_bytes(b"".join(part.read_bytes().splitlines(keepends=True)[:4]))
        seen += events_until(again, "uplink_cursor_ahead_of_log")
        writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
        write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(20, 22)))
        wait_until(lambda: {20, 21} <= {minute_of(h) for h in hooks(catcher.requests)}, "minutes 20, 21")
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=30)
        writer.close()
    changed = next(e for e in seen if e["event"] == "uplink_part_changed")
    assert changed["resumed_at"] == 0 and changed["file"].endswith(PART)
    minutes = sorted({minute_of(h) for h in hooks(catcher.requests)})
    print(f"alerts posted {len(hooks(catcher.requests))}, distinct {len(minutes)}")
    assert minutes == [0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 21]  # 0 lost, the new ones included
    ids: dict[int, set[str]] = {}
    for alert in hooks(catcher.requests):
        ids.setdefault(minute_of(alert), set()).add(alert["id"])
    assert all(len(same) == 1 for same in ids.values())  # a record sent again has its id: a receiver drops it
    cut = next(e for e in seen if e["event"] == "uplink_cursor_ahead_of_log")
    assert cut["file"].endswith(PART) and cut["part_bytes"] < cut["cursor_offset"]


def test_a_deleted_alert_cursor_is_logged_and_resumes_from_the_look_back_not_the_end(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    stopped = threading.Event()
    stopped.set()
    AlertRunner(data_root, "greenhouse-1", hook(catcher.port)).run(stopped)
    pending = [anomaly(minute, kind="co2_high", severity="critical") for minute in range(3)]
    write(writer, *pending)  # raised while the uplink was stopped; then its cursor was deleted
    (data_root / "uplink" / "alerts.anomalies.cursor.json").unlink()
    now = T0 + timedelta(hours=2)
    with capture_logs() as logs:
        AlertRunner(data_root, "greenhouse-1", hook(catcher.port), now=lambda: now).turn()
    [resumed] = events(logs, "uplink_alerts_resume_look_back")
    assert resumed["log_level"] == "warning" and resumed["file"].endswith("alerts.anomalies.cursor.json")
    assert "missing" in resumed["reason"]
    assert [h["time"] for h in hooks(catcher.requests)] == [p.started_at.isoformat() for p in pending]
