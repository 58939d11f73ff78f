"""The uplink against a real Mosquitto: every record in order, restarts, outages, live topics, discovery."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from brain.contracts import AnomalyV1
from brain.storage import DatasetWriter, apply_retention
from brain.uplink.cursor import cursor_path, read_cursor
from brain.uplink.discovery import Cadence
from brain.uplink.publisher import Credentials
from brain.uplink.service import Uplink, UplinkPlan
from brain.uplink.settings import UplinkSettings
from tests.factories import T0, anomaly_payload, minutes, record
from tests.uplink.broker import Broker, Subscriber

SITE = "greenhouse-1"


def make_plan(data_root: Path, broker: Broker, **uplink: Any) -> UplinkPlan:
    return UplinkPlan(
        data_root=data_root,
        site=SITE,
        settings=UplinkSettings(host="127.0.0.1", port=broker.port, **uplink),
        cadence=Cadence(poll_interval_s=60, base_cycle_s=900),
        version="test",
    )


def drain(data_root: Path, broker: Broker, **uplink: Any) -> Uplink:
    """Run the uplink until everything on disk is acknowledged."""
    done = Uplink(make_plan(data_root, broker, **uplink), Credentials(None))
    done.run(threading.Event(), exit_when_drained=True)
    return done


def write_day(writer: DatasetWriter, count: int, *, start: datetime = T0) -> None:
    for moment in minutes(count, start=start):
        writer.write("observations", record("observations", moment))
        if moment.minute % 15 == 0:
            writer.write("state", record("state", moment))
            writer.write("sensor_health", record("sensor_health", moment))


def history(subscriber: Subscriber) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in subscriber.on("/history/"):
        body = message.json()
        out[body["stream"]].append(body)
    return out


def stored_lines(data_root: Path, stream: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(data_root.glob(f"run_*/{stream}.*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_every_record_arrives_once_in_order_with_gap_free_sequence_numbers(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 2 * 1440)  # two days: the uplink crosses a day folder
    subscriber = subscribe("brain/+/history/#")
    uplink = drain(data_root, broker)
    expected = {
        stream: stored_lines(data_root, stream) for stream in ("observations", "state", "sensor_health")
    }
    subscriber.wait_for(
        lambda: sum(len(v) for v in history(subscriber).values()) == sum(map(len, expected.values()))
    )
    got = history(subscriber)
    for stream, lines in expected.items():
        assert [body["seq"] for body in got[stream]] == list(range(len(lines)))
        assert [body["record"] for body in got[stream]] == lines
        assert {body["site"] for body in got[stream]} == {SITE}
        assert len({body["epoch"] for body in got[stream]}) == 1
    cursor = read_cursor(cursor_path(data_root, "mqtt", "observations"))
    assert cursor is not None and cursor.next_seq == 2 * 1440
    assert uplink.deliveries[0].store.writes >= 1


def test_a_restart_goes_on_with_the_next_sequence_number_and_repeats_nothing(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 100)
    subscriber = subscribe("brain/+/history/observations")
    drain(data_root, broker)
    write_day(writer, 50, start=T0 + timedelta(minutes=100))
    drain(data_root, broker)
    subscriber.wait_for(lambda: len(subscriber.messages) >= 150)
    subscriber.settle("brain/settle/history/observations")  # a record sent twice would be here by now
    bodies = [m.json() for m in subscriber.messages]
    assert [b["seq"] for b in bodies] == list(range(150))
    assert len({b["epoch"] for b in bodies}) == 1


def test_a_broker_outage_loses_nothing_for_a_persistent_subscriber(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 3000)
    subscriber = subscribe("brain/+/history/observations", client_id="store", persistent=True)
    stop = threading.Event()
    uplink = Uplink(make_plan(data_root, broker, max_in_flight=50), Credentials(None))
    thread = threading.Thread(target=uplink.run, args=(stop,))
    with capture_logs() as logs:
        thread.start()
        subscriber.wait_for(lambda: len(subscriber.messages) > 200)
        broker.stop()  # mid-drain: unacknowledged records must be sent again
        time.sleep(1.5)
        broker.start()
        deadline = time.monotonic() + 60
        while uplink.deliveries[0].window.committed.next_seq < 3000 and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        thread.join(timeout=30)
    subscriber.wait_for(
        lambda: {m.json()["seq"] for m in subscriber.messages} >= set(range(3000)), timeout=30
    )
    seqs = [m.json()["seq"] for m in subscriber.messages]
    assert set(seqs) == set(range(3000))
    assert any(e["event"] == "uplink_connection_lost" for e in logs)
    assert uplink.connections >= 2


def test_only_fresh_records_reach_the_live_topics(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(hours=3)
    for moment in (old, old + timedelta(minutes=1), now - timedelta(seconds=30)):
        writer.write("observations", record("observations", moment))
        writer.write("state", record("state", moment))
        writer.write("sensor_health", record("sensor_health", moment))
    start = record("anomalies", now - timedelta(seconds=20))
    assert isinstance(start, AnomalyV1)
    writer.write("anomalies", start)
    live = subscribe("brain/+/live/#")
    drain(data_root, broker)
    live.wait_for(lambda: len(live.on("/live/anomalies")) == 1)
    live.settle("brain/settle/live/settle")  # an old record sent live would be here by now
    observations = [m.json() for m in live.on("/live/observations")]
    assert [o["record"]["timestamp"] for o in observations] == [
        record("observations", now - timedelta(seconds=30)).model_dump(mode="json")["timestamp"]
    ]
    assert len(live.on("/live/state")) == 1
    assert len(live.on("/live/sensor_health/relative_humidity_pct")) == 1
    assert all(not m.retain for m in live.messages)
    active = [m.json() for m in live.on("/live/anomaly_active")]
    assert active[-1]["active"] is True and active[-1]["episodes"][0]["kind"] == "temperature_high"


def test_anomaly_episodes_open_from_the_log_are_known_after_a_restart(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    started = AnomalyV1.model_validate(
        {
            **anomaly_payload(),
            "timestamp": "2026-06-01T10:00:00+00:00",
            "started_at": "2026-06-01T10:00:00+00:00",
        }
    )
    writer.write("anomalies", started)
    drain(data_root, broker)
    now = datetime.now(UTC)
    writer.write("observations", record("observations", now))
    live = subscribe("brain/+/live/anomaly_active")
    drain(data_root, broker)
    live.wait_for(lambda: len(live.messages) == 1)
    assert live.messages[0].json()["active"] is True


def test_discovery_configs_are_retained_and_sent_again_when_home_assistant_comes_online(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    writer.write("observations", record("observations", T0))
    stop = threading.Event()
    uplink = Uplink(make_plan(data_root, broker), Credentials(None))
    thread = threading.Thread(target=uplink.run, args=(stop,))
    thread.start()
    try:
        probe = subscribe("homeassistant/#", client_id="probe")
        # The configs are on the broker before Home Assistant subscribes: seen by another client first.
        probe.wait_for(lambda: len(probe.messages) >= len(uplink.discovery), timeout=30)
        late = subscribe("homeassistant/#", client_id="home-assistant")
        late.wait_for(lambda: len(late.messages) >= len(uplink.discovery))
        assert all(m.retain for m in late.messages)
        before = len(late.messages)
        availability = subscribe("brain/+/uplink/availability", client_id="watcher")
        availability.wait_for(
            lambda: availability.messages and availability.messages[-1].payload == b"online"
        )
        import paho.mqtt.publish as publish

        publish.single("homeassistant/status", b"online", hostname="127.0.0.1", port=broker.port)
        late.wait_for(lambda: len(late.messages) >= before + len(uplink.discovery))
        fresh = [m for m in late.messages[before:] if m.topic.endswith("/config")]
        assert {m.topic for m in fresh} >= {topic for topic, _ in uplink.discovery}
    finally:
        stop.set()
        thread.join(timeout=30)
    availability.wait_for(lambda: availability.messages[-1].payload == b"offline")


def test_a_corrupt_cursor_starts_over_under_a_new_epoch(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 20)
    subscriber = subscribe("brain/+/history/observations")
    drain(data_root, broker)
    cursor_path(data_root, "mqtt", "observations").write_text("{garbage")
    with capture_logs() as logs:
        drain(data_root, broker)
    subscriber.wait_for(lambda: len(subscriber.messages) == 40)
    bodies = [m.json() for m in subscriber.messages]
    first, second = bodies[:20], bodies[20:]
    assert [b["seq"] for b in second] == list(range(20)) == [b["seq"] for b in first]
    assert first[0]["epoch"] != second[0]["epoch"]
    assert [b["record"] for b in first] == [b["record"] for b in second]
    assert any(e["event"] == "uplink_cursor_corrupt" for e in logs)


def test_a_malformed_line_is_logged_and_skipped_without_a_gap_in_the_numbers(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 3)
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    with part.open("ab") as handle:
        handle.write(b'{"schema_version": "1.0", "not": "an observation"}\n')
    writer.write("observations", record("observations", T0 + timedelta(minutes=3)))
    subscriber = subscribe("brain/+/history/observations")
    with capture_logs() as logs:
        uplink = drain(data_root, broker)
    subscriber.wait_for(lambda: len(subscriber.messages) == 4)
    assert [m.json()["seq"] for m in subscriber.messages] == [0, 1, 2, 3]
    [bad] = [e for e in logs if e["event"] == "uplink_malformed_line"]
    assert bad["line"] == 4 and bad["file"].endswith("observations.0000.jsonl")
    assert uplink.deliveries[0].skipped == 1


def test_an_anomaly_line_without_what_the_episodes_need_is_malformed(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    # The uplink reads lines as JSON, not with the contracts (its memory budget): an anomaly line
    # it cannot pair into an episode is skipped and logged, like a line that is not JSON at all.
    writer.write("anomalies", record("anomalies", T0))
    part = data_root / "run_20260601" / "anomalies.0000.jsonl"
    broken = {**anomaly_payload(), "timestamp": "2026-06-01T12:05:00+00:00", "kind": "frost"}
    with part.open("ab") as handle:
        handle.write(json.dumps(broken).encode() + b"\n" + b"[1, 2]\n")
    subscriber = subscribe("brain/+/history/anomalies")
    with capture_logs() as logs:
        uplink = drain(data_root, broker)
    subscriber.wait_for(lambda: len(subscriber.messages) == 1)
    bad = [e for e in logs if e["event"] == "uplink_malformed_line"]
    assert [e["line"] for e in bad] == [2, 3]
    assert "frost" in bad[0]["reason"] and "JSON object" in bad[1]["reason"]
    assert next(d for d in uplink.deliveries if d.stream == "anomalies").skipped == 2


def test_retention_compressing_delivered_days_sends_nothing_again(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    write_day(writer, 2 * 1440)
    drain(data_root, broker)
    writer.close()
    apply_retention(data_root, date(2026, 6, 12), retention_days=400, compress_after_days=7)
    assert list(data_root.glob("run_*/observations.0000.jsonl.gz"))
    subscriber = subscribe("brain/+/history/observations")
    drain(data_root, broker)
    subscriber.settle("brain/settle/history/observations")  # what the drain sent would be here by now
    assert subscriber.messages == []
