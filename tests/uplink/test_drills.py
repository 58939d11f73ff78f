"""The uplink's drills (issue 24), each on real processes: a real Mosquitto, real files, real signals.

Each drill damages what the uplink reads (a power cut's rewritten tail, a recreated or
truncated part, a flipped byte in a ``.gz``, a FIFO, a 50 MB unterminated tail), or what
reaches it from the network (a huge ``homeassistant/status`` message, a broker that
refuses), and checks that no record that can be read is lost: everything written is at
the broker in the end. The results are in docs/reliability.md ("The uplink's drills").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import paho.mqtt.publish as publish

from brain.storage import apply_retention
from tests.runs import clean_env, wait_until
from tests.uplink.broker import Broker, Subscriber
from tests.uplink.drills import delivered_times, expected_times, write
from tests.uplink.test_process import TOOLS, config, start, stop

PART = "run_20260601/observations.0000.jsonl"


DEV_VENV_BOUND_MB = 55
"""The drills' memory bound in the dev venv: its drain baseline (about 45 MB) plus a margin far below
what a tail or message held in memory would add (20-50 MB)."""


def drained(cfg: Path, code: str = TOOLS) -> tuple[list[dict[str, Any]], str]:
    """``brain uplink --exit-when-drained``: it must exit 0; its JSON log events and its stdout."""
    process = subprocess.run(
        [sys.executable, "-c", code, "uplink", "--config", str(cfg), "--exit-when-drained"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=180,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")], process.stdout


def named(events: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == event]


def peak_rss_kb(pid: int) -> int:
    """The process's peak resident set (``VmHWM``), in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


class Watching:
    """A subscriber to every history topic, kept for the whole drill."""

    def __init__(self, broker: Broker) -> None:
        self.subscriber = Subscriber(
            broker.port, ["brain/+/history/#"], client_id=f"drill-{time.monotonic_ns()}"
        )

    def has(self, first_minute: int, count: int, stream: str = "observations") -> bool:
        return delivered_times(self.subscriber, stream) >= expected_times(first_minute, count)

    def wait(self, first_minute: int, count: int, stream: str = "observations") -> None:
        wait_until(
            lambda: self.has(first_minute, count, stream), f"{count} {stream} from minute {first_minute}"
        )


def test_a_tail_lost_to_a_power_cut_and_written_over_is_delivered_not_skipped(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    watching = Watching(broker)
    cfg = config(tmp_path, data_root, broker.port)
    write(data_root, 0, 21)
    drained(cfg)
    part = data_root / PART
    size = part.stat().st_size
    lines = part.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:14]))  # the power cut lost the 7 lines not yet synced
    write(data_root, 21, 7)  # the restarted daemon writes 7 new records where they were
    assert part.stat().st_size == size  # the old byte offset now falls exactly after the new records
    events, _ = drained(cfg)
    [changed] = named(events, "uplink_part_changed")
    assert changed["resumed_at"] == 0 and changed["file"].endswith(PART)
    watching.wait(0, 28)  # 0 lost: the 7 new ones too (the 14 kept are delivered twice, same epoch)


def test_a_part_deleted_and_written_again_while_it_runs_loses_nothing(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    watching = Watching(broker)
    write(data_root, 0, 10)
    process = start(config(tmp_path, data_root, broker.port))
    try:
        watching.wait(0, 10)
        (data_root / PART).unlink()
        write(data_root, 10, 10)  # the daemon makes the part again: the same name, new records
        watching.wait(10, 10)
        (data_root / PART).write_bytes(
            b"".join((data_root / PART).read_bytes().splitlines(keepends=True)[:4])
        )
        write(data_root, 20, 3)  # truncated under it, then written on
        watching.wait(20, 3)
    finally:
        code, out, err = stop(process)
    assert code == 0, err[-2000:]
    assert "uplink_part_changed" in out or "uplink_cursor_ahead_of_log" in out


def test_a_flipped_byte_in_a_compressed_day_is_logged_once_and_the_other_days_delivered(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    watching = Watching(broker)
    write(data_root, 0, 2 * 1440 + 30)
    apply_retention(data_root, date(2026, 6, 3), retention_days=400, compress_after_days=1)
    packed = data_root / "run_20260601" / "observations.0000.jsonl.gz"
    damaged = bytearray(packed.read_bytes())
    damaged[len(damaged) // 2] ^= 0x10  # one bit of SD rot
    packed.write_bytes(bytes(damaged))
    cfg = config(tmp_path, data_root, broker.port)
    for _ in range(2):  # each start: exit 0, one line about it, never a crash loop
        events, _ = drained(cfg)
        [unreadable] = named(events, "uplink_part_unreadable")
        assert unreadable["file"] == str(packed) and unreadable["level"] == "error"
    watching.wait(1440, 1440 + 30)  # 0 lost of what can be read: June 2 and 3 all there
    day_one = delivered_times(watching.subscriber) & expected_times(0, 1440)
    print(f"June 1 records delivered from the damaged .gz before the damage: {len(day_one)} of 1440")


def test_a_fifo_and_a_device_named_as_parts_are_refused_and_the_rest_delivered(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    watching = Watching(broker)
    write(data_root, 0, 5)
    fifo = data_root / "run_20260601" / "observations.0001.jsonl"
    os.mkfifo(fifo)
    (data_root / "run_20260601" / "state.0000.jsonl").symlink_to("/dev/zero")
    events, _ = drained(config(tmp_path, data_root, broker.port))
    refused = {e["file"]: e["reason"] for e in named(events, "uplink_part_unreadable")}
    assert (
        "FIFO" in refused[str(fifo)]
        and "character device" in refused[str(data_root / "run_20260601/state.0000.jsonl")]
    )
    watching.wait(0, 5)


def test_a_50_mb_unterminated_tail_costs_no_memory_and_starves_no_other_stream(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    watching = Watching(broker)
    write(data_root, 0, 5)
    write(data_root, 0, 5, stream="state")
    process = start(config(tmp_path, data_root, broker.port))
    part = data_root / PART
    try:
        watching.wait(0, 5)
        watching.wait(0, 5, stream="state")
        with part.open("ab") as handle:
            for _ in range(50):
                handle.write(b"x" * (1024 * 1024))  # 50 MB and no newline: a runaway writer
        write(data_root, 5, 5, stream="state")
        watching.wait(0, 10, stream="state")  # the other streams go on meanwhile
        write(data_root, 5, 3)  # the restarted daemon moves the torn tail aside and writes on
        watching.wait(0, 8)
        long_at = part.stat().st_size
        line = json.dumps(
            json.loads(part.read_bytes().splitlines()[-1]) | {"timestamp": "2026-06-01T00:08:00Z"}
        )
        with part.open("ab") as handle:  # a 1 MB line, ended, then a good record after it
            handle.write(b"y" * (1024 * 1024) + b"\n" + line.encode() + b"\n")
        watching.wait(0, 9)
        peak_mb = peak_rss_kb(process.pid) / 1024
    finally:
        code, out, err = stop(process)
    assert code == 0, err[-2000:]
    [too_long] = [json.loads(text) for text in out.splitlines() if '"uplink_line_too_long"' in text]
    assert (too_long["file"], too_long["offset"], too_long["bytes"]) == (str(part), long_at, 1024 * 1024)
    print(f"peak RSS with a 50 MB unterminated tail: {peak_mb:.1f} MB")
    # The dev venv's uplink drains at about 45 MB (rich and the test tools loaded; 39 MB as deployed,
    # bench/uplink.py): a tail read into memory would add its 50 MB (it was 143-215 MB, issue 24).
    assert peak_mb < DEV_VENV_BOUND_MB


def test_a_huge_home_assistant_status_message_is_never_received_and_births_reannounce_once(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    write(data_root, 0, 3)
    # The history topic too: the uplink announces before it delivers, on one connection, and the
    # broker passes one client's messages on in order, so the first record marks the announce's end.
    topics = ["homeassistant/+/+/+/config", "brain/+/history/#"]
    configs = Subscriber(broker.port, topics, client_id="configs")
    process = start(config(tmp_path, data_root, broker.port))
    try:
        wait_until(lambda: delivered_times(configs), "the first record, after the discovery configs")
        announced = len(configs.on("/config"))
        assert announced > 0, "no discovery config before the first record"
        publish.single(
            "homeassistant/status", b"x" * (20 * 1024 * 1024), hostname="127.0.0.1", port=broker.port
        )
        for _ in range(5):  # Home Assistant restarting in a loop
            publish.single("homeassistant/status", b"online", hostname="127.0.0.1", port=broker.port)
        wait_until(lambda: len(configs.on("/config")) >= 2 * announced, "the configs published again")
        watcher = Subscriber(broker.port, ["brain/+/history/#"], client_id="history")  # before the write
        write(data_root, 3, 1)
        wait_until(lambda: expected_times(3, 1) <= delivered_times(watcher), "a record after the births")
        watcher.close()
        peak_mb = peak_rss_kb(process.pid) / 1024
    finally:
        configs.close()
        code, out, err = stop(process)
    assert code == 0, err[-2000:]
    assert out.count('"uplink_home_assistant_online"') == 1  # five births: one re-announce this minute
    print(f"peak RSS after a 20 MB homeassistant/status message: {peak_mb:.1f} MB")
    assert peak_mb < DEV_VENV_BOUND_MB  # the 20 MB message received would show on top of the drain


def test_a_broker_that_refuses_a_topic_is_named_and_retried_ever_more_slowly_then_delivered(
    tmp_path: Path, data_root: Path
) -> None:
    acl = tmp_path / "acl"
    acl.write_text(
        "topic readwrite homeassistant/#\ntopic readwrite brain/+/uplink/#\ntopic readwrite brain/+/live/#\n"
        "topic readwrite brain/+/history/observations\n"
    )
    broker = Broker(tmp_path / "broker", extra=f"allow_anonymous true\nacl_file {acl}")
    try:
        watching = Watching(broker)
        write(data_root, 0, 5)
        write(data_root, 0, 5, stream="state")
        process = start(config(tmp_path, data_root, broker.port))
        lost: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        assert process.stdout is not None
        while len(lost) < 4:
            line = process.stdout.readline()
            if line.startswith("{"):
                event = json.loads(line)
                lost += [event] if event["event"] == "uplink_connection_lost" else []
                refused += [event] if event["event"] == "uplink_publish_refused" else []
        assert refused, (tmp_path / "broker" / "mosquitto.log").read_text()[-3000:]
        assert refused[0]["topic"].endswith("/history/state") and refused[0]["reason_code"] == 135
        assert refused[0]["reason"] == "Not authorized"
        waits = [e["retry_in_s"] for e in lost]
        assert waits == sorted(waits) and waits[-1] >= 8  # 1, 2, 4, 8: not every second forever
        acl.write_text(acl.read_text() + "topic readwrite brain/+/history/state\n")
        assert broker.process is not None
        broker.process.send_signal(1)  # SIGHUP: Mosquitto reloads its ACL
        watching.wait(0, 5, stream="state")  # 0 lost: every refused record is delivered once allowed
        watching.wait(0, 5)
        assert stop(process)[0] == 0
    finally:
        broker.stop()


def test_records_deleted_by_retention_before_delivery_are_counted_logged_and_start_a_new_epoch(
    tmp_path: Path, data_root: Path
) -> None:
    broker = Broker(tmp_path / "broker")
    broker.stop()  # the broker is down: the backlog grows
    write(data_root, 0, 1440 + 30)
    process = start(config(tmp_path, data_root, broker.port), "--exit-when-drained")
    assert process.stdout is not None
    while '"uplink_connect_failed"' not in process.stdout.readline():
        pass
    apply_retention(data_root, date(2026, 6, 3), retention_days=1, compress_after_days=1)
    assert not (data_root / "run_20260601").exists()
    broker.start()
    try:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
    finally:
        broker.stop()
    [lost] = [json.loads(line) for line in out.splitlines() if '"uplink_records_lost_to_retention"' in line]
    assert lost["stream"] == "observations" and lost["level"] == "error"
    assert lost["parts"] == [PART] and lost["old_epoch"] != lost["new_epoch"]
    assert lost["bytes"] > 0 and abs(lost["records_estimated"] - 1440) <= 144  # estimated from bytes
    cursor = json.loads((data_root / "uplink" / "mqtt.observations.cursor.json").read_text())
    assert cursor["epoch"] == lost["new_epoch"] and cursor["lost"]["parts"] == 1 and cursor["next_seq"] == 30
    # brain status reads the format 2 cursor the uplink wrote: the loss shows beside the lag, not "0 s"
    write(data_root, 1440 + 30, 90)  # the daemon writes on while the uplink is stopped: 90 min behind
    shown = status_of(data_root)
    [observations] = [u for u in shown["uplink"] if u["stream"] == "observations"]
    assert observations["lag_s"] == 90 * 60 and observations["lost_parts"] == 1
    assert observations["lost_bytes"] == lost["bytes"]
    text = status_of(data_root, as_json=False)
    assert "Uplink              observations: 90 min behind; 1 part(s)" in text
    assert "deleted by retention before delivery" in text


def status_of(data_root: Path, *, as_json: bool = True) -> Any:
    """``brain status DATA_ROOT`` in its own process, as a monitoring plugin runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "brain.cli", "status", str(data_root), *(["--json"] if as_json else [])],
        capture_output=True, text=True, env=clean_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1, 2), result.stderr[-2000:]
    return json.loads(result.stdout) if as_json else result.stdout


GZIP_COUNTED = (
    "import gzip, sys\n"
    "opened = []\n"
    "original = gzip.GzipFile.__init__\n"
    "def counting(self, *args, **kwargs):\n"
    "    opened.append(1)\n"
    "    original(self, *args, **kwargs)\n"
    "gzip.GzipFile.__init__ = counting\n"
    "from brain.cli import tools_main\n"
    "status = tools_main()\n"
    "print(f'GZIP_OPENED {len(opened)}')\n"
    "sys.exit(status)\n"
)


def test_400_days_of_history_small_cursors_no_decompression_to_resume_and_a_warned_resend(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    streams = ("observations", "state", "sensor_health", "anomalies", "device_status")
    for stream in streams:
        write(data_root, 0, 400, stream=stream, step_minutes=1440)
    apply_retention(data_root, date(2027, 7, 6), retention_days=1000, compress_after_days=7)
    cfg = config(tmp_path, data_root, broker.port)
    drained(cfg)
    sizes = {
        stream: (data_root / "uplink" / f"mqtt.{stream}.cursor.json").stat().st_size for stream in streams
    }
    print(f"cursor sizes at 400 days: {sizes}")
    assert max(sizes.values()) <= 4096
    assert all(
        json.loads((data_root / "uplink" / f"mqtt.{s}.cursor.json").read_text())["next_seq"] == 400
        for s in streams
    )
    _, out = drained(cfg, code=GZIP_COUNTED)
    assert "GZIP_OPENED 0" in out  # a restart decompresses no history
    # brain status reads these format 2 cursors (sealed history): every stream delivered, nothing lost
    assert json.loads((data_root / "uplink" / "mqtt.state.cursor.json").read_text())["sealed"]
    shown = {u["stream"]: u for u in status_of(data_root)["uplink"]}
    assert all(shown[s]["lag_s"] == 0 and shown[s]["lost_parts"] == 0 for s in streams), shown
    (data_root / "uplink" / "mqtt.state.cursor.json").unlink()
    events, out = drained(cfg)
    [missing] = named(events, "uplink_cursor_missing")
    assert missing["stream"] == "state" and missing["level"] == "warning"
    assert out.index('"uplink_cursor_missing"') < out.index('"uplink_connected"')
    assert json.loads((data_root / "uplink" / "mqtt.state.cursor.json").read_text())["next_seq"] == 400


def test_a_last_delivered_day_deleted_while_it_was_stopped_is_announced_as_a_possible_gap(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    """Across a restart the bytes are unknown: the gap is announced (``bytes`` None) with a new epoch."""
    cfg = config(tmp_path, data_root, broker.port)
    write(data_root, 0, 30)
    drained(cfg)
    write(data_root, 1440, 30)
    apply_retention(data_root, date(2026, 6, 3), retention_days=1, compress_after_days=1)
    events, _ = drained(cfg)
    [lost] = named(events, "uplink_records_lost_to_retention")
    assert lost["stream"] == "observations" and lost["parts"] == [PART] and lost["bytes"] is None
    assert "may have been deleted" in lost["reason"]
    assert [e["stream"] for e in named(events, "uplink_records_lost_to_retention")] == ["observations"]
    cursor = json.loads((data_root / "uplink" / "mqtt.observations.cursor.json").read_text())
    assert cursor["epoch"] == lost["new_epoch"] and cursor["next_seq"] == 30
