"""The alert cursors stay small and cheap (issue 24): sealed history, no decompression, few writes."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings, apply_retention
from brain.uplink.alerts import STREAMS, AlertRunner
from brain.uplink.lock import UplinkLock
from tests.factories import T0, record
from tests.fake_time import FakeTime
from tests.uplink.drills import write
from tests.uplink.test_alerts import Catcher, anomaly, hook, hooks


def cursor_file(data_root: Path, stream: str) -> Path:
    return data_root / "uplink" / f"alerts.{stream}.cursor.json"


def stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def drain(runner: AlertRunner) -> None:
    """Turns until one reads nothing more (history is read in batches of 100 lines a turn)."""
    for _ in range(100):
        before = [state.cursor.next_seq for state in runner._streams]
        runner.turn()
        if [state.cursor.next_seq for state in runner._streams] == before:
            return
    raise AssertionError("the runner never caught up")


def test_400_days_of_history_keep_each_alert_cursor_under_4_kb_and_a_restart_decompresses_nothing(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catcher = Catcher()
    settings = hook(catcher.port, min_severity="critical", max_per_hour=3600)
    try:
        UplinkLock(data_root).acquire().release()  # brain uplink makes the data root it will wait on
        AlertRunner(data_root, "greenhouse-1", settings).run(stopped())  # installed before the data
        for stream in STREAMS:
            write(data_root, 0, 400, stream=stream, step_minutes=1440)  # one part a day for 400 days
        apply_retention(data_root, date(2027, 7, 6), retention_days=1000, compress_after_days=7)
        assert len(list(data_root.glob("run_*/anomalies.0000.jsonl.gz"))) == 400 - 7

        runner = AlertRunner(data_root, "greenhouse-1", settings)
        drain(runner)
        runner.run(stopped())
        sizes = {stream: cursor_file(data_root, stream).stat().st_size for stream in STREAMS}
        print(f"alert cursor sizes at 400 days: {sizes}")
        assert max(sizes.values()) <= 4096, sizes
        for stream in STREAMS:
            stored = json.loads(cursor_file(data_root, stream).read_text())
            assert stored["format"] == 2 and stored["next_seq"] == 400
            assert stored["sealed"] == f"run_20270628/{stream}.0000.jsonl"  # the newest compressed day
            assert len(stored["files"]) <= 8  # the days not compressed yet, not one entry per day
        # the one critical (a sensor gone faulty on day 1; the same fault after it is no change)
        assert [h["kind"] for h in hooks(catcher.requests)] == ["relative_humidity_pct"]

        opened: list[str] = []
        original = gzip.GzipFile.__init__

        def counting(self: gzip.GzipFile, *args: Any, **kwargs: Any) -> None:
            opened.append("gz")
            original(self, *args, **kwargs)

        monkeypatch.setattr(gzip.GzipFile, "__init__", counting)
        again = AlertRunner(data_root, "greenhouse-1", settings)
        drain(again)
        again.run(stopped())
        assert opened == []  # the restart decompressed no delivered history
        assert len(hooks(catcher.requests)) == 1  # and sent nothing again

        for stream in STREAMS:  # a first start on a 400-day root: at the end of the log, history unread
            cursor_file(data_root, stream).unlink()
        first = AlertRunner(data_root, "greenhouse-1", settings)
        drain(first)
        first.run(stopped())
        assert opened == []
        for stream in STREAMS:
            stored = json.loads(cursor_file(data_root, stream).read_text())
            assert stored["sealed"] == f"run_20270628/{stream}.0000.jsonl" and len(stored["files"]) == 7
        assert len(hooks(catcher.requests)) == 1
    finally:
        catcher.close()


def test_in_steady_state_each_alert_cursor_is_written_at_most_once_a_second_besides_deliveries(
    data_root: Path,
) -> None:
    catcher = Catcher()
    clock = FakeTime()
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    try:
        runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), monotonic=clock.monotonic)
        stores = {s.stream: s.store for s in runner._streams}
        before = {stream: store.writes for stream, store in stores.items()}
        polls, poll_s = 200, 0.25  # the daemon writes a record a poll; the alerts poll 4 times a second
        alerts = 0
        for poll in range(polls):
            moment = T0 + timedelta(seconds=poll * poll_s)
            writer.write(
                "sensor_health",
                record("sensor_health", moment).model_copy(update={"status": "ok", "fault": "none"}),
            )
            if poll % 50 == 25:  # now and then an episode starts: an alert, delivered at once
                writer.write("anomalies", anomaly(poll))
                alerts += 1
            writer.flush()
            runner.turn()
            clock.advance(poll_s)
        runner.run(stopped())
    finally:
        writer.close()
        catcher.close()
    assert len(hooks(catcher.requests)) == alerts == 4
    seconds = polls * poll_s
    writes = {stream: store.writes - before[stream] for stream, store in stores.items()}
    print(f"alert cursor writes over {seconds:g} s with {alerts} alerts: {writes}")
    # sensor_health moves every poll: once a second at most (+1 at the stop)
    assert seconds / 2 <= writes["sensor_health"] <= seconds + 1
    # anomalies: per alert, one write queueing it and one right after its 2xx (+1 at the stop)
    assert writes["anomalies"] <= 2 * alerts + 1
