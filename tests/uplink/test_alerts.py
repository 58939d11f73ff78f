"""Alerts over real HTTP: delivered once after an outage with their original time, severity, rate limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from brain.contracts import AnomalyV1, SensorHealthV1, SensorKey
from brain.storage import DatasetWriter
from brain.uplink.alerts import AlertRunner
from brain.uplink.settings import AlertSettings
from tests.factories import T0, anomaly_payload, sensor_health_payload
from tests.fake_time import FakeTime
from tests.uplink.broker import free_port


class Catcher:
    """An HTTP server on loopback recording every POST; ``statuses`` are answered first, then 200."""

    def __init__(self, port: int | None = None, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.arrived = threading.Condition()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = catcher.statuses.pop(0) if catcher.statuses else 200
                with catcher.arrived:
                    catcher.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    catcher.arrived.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), self.requests
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    started = Catcher()
    yield started
    started.close()


def anomaly(
    minute: int, *, end_minute: int | None = None, severity: str = "warning", kind: str = "temperature_high"
) -> AnomalyV1:
    start = (T0 + timedelta(minutes=minute)).isoformat()
    end = (T0 + timedelta(minutes=end_minute)).isoformat() if end_minute is not None else None
    return AnomalyV1.model_validate(
        {
            **anomaly_payload(),
            "timestamp": end or start,
            "started_at": start,
            "ended_at": end,
            "severity": severity,
            "kind": kind,
        }
    )


def health(minute: int, status: str, fault: str, sensor: str = "co2_ppm") -> SensorHealthV1:
    stamp = (T0 + timedelta(minutes=minute)).isoformat()
    return SensorHealthV1.model_validate(
        {
            **sensor_health_payload(),
            "timestamp": stamp,
            "since": stamp,
            "status": status,
            "fault": fault,
            "sensor": sensor,
        }
    )


def settings(catcher_port: int, **changes: Any) -> AlertSettings:
    base = f"http://127.0.0.1:{catcher_port}"
    return AlertSettings(ntfy_url=f"{base}/greenhouse", webhook_url=f"{base}/hook", **changes)


def ntfy(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["path"] == "/greenhouse"]


def hooks(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in requests if r["path"] == "/hook"]


def test_an_alert_raised_while_the_network_is_down_arrives_once_afterwards_then_its_resolution(
    data_root: Path, writer: DatasetWriter
) -> None:
    writer.write(
        "anomalies", anomaly(0, end_minute=5, severity="critical", kind="co2_high")
    )  # before the first start
    writer.flush()
    port = free_port()  # nothing listens there yet: the network is down
    runner = AlertRunner(data_root, "greenhouse-1", settings(port), poll_s=0.05, retry_s=0.1)
    writer.write("anomalies", anomaly(10))
    writer.write("anomalies", anomaly(10, end_minute=40))
    writer.flush()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    with capture_logs() as logs:
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not any(e["event"] == "uplink_alert_delivery_failed" for e in logs):
                assert time.monotonic() < deadline, "no failed delivery logged while the network was down"
                threading.Event().wait(0.05)
            catcher = Catcher(port)  # the network is back
            requests = catcher.wait(4)
            threading.Event().wait(0.5)
        finally:
            stop.set()
            thread.join(timeout=30)
    catcher.close()
    assert (
        len(catcher.requests) == 4
    )  # once each, on each channel; the run before the first start is not sent
    raised, resolved = ntfy(requests)
    assert raised["headers"]["Title"] == "greenhouse-1: temperature high (warning)"
    assert (raised["headers"]["Priority"], raised["headers"]["Tags"]) == ("4", "warning")
    assert b"Since 2026-06-01T00:10:00+00:00" in raised["body"]
    assert (
        resolved["headers"]["Tags"] == "white_check_mark"
        and b"Resolved at 2026-06-01T00:40:00" in resolved["body"]
    )
    first, second = hooks(requests)
    assert (first["status"], first["time"], first["site"]) == (
        "raised",
        "2026-06-01T00:10:00+00:00",
        "greenhouse-1",
    )
    assert (second["status"], second["time"]) == ("resolved", "2026-06-01T00:40:00+00:00")


def test_severity_below_the_minimum_is_not_sent(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, min_severity="critical"))
    writer.write("anomalies", anomaly(1, severity="warning"))
    writer.write("anomalies", anomaly(2, severity="critical", kind="co2_high"))
    writer.flush()
    runner.turn()
    assert [h["kind"] for h in hooks(catcher.requests)] == ["co2_high"]


def test_the_rate_limit_holds_back_and_counts_in_the_next_alert(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    clock = FakeTime()
    runner = AlertRunner(
        data_root, "greenhouse-1", settings(catcher.port, max_per_hour=2), monotonic=clock.monotonic
    )
    for minute in range(5):
        writer.write("anomalies", anomaly(minute, kind="vpd_high"))
    writer.flush()
    with capture_logs() as logs:
        runner.turn()
    assert len(hooks(catcher.requests)) == 2
    assert [e["held_back"] for e in logs if e["event"] == "uplink_alert_rate_limited"] == [1, 2, 3]
    clock.advance(1800)  # half an hour: one token back
    writer.write("anomalies", anomaly(30, kind="vpd_low"))
    writer.flush()
    runner.turn()
    last = hooks(catcher.requests)[-1]
    assert last["kind"] == "vpd_low" and last["held_back"] == 3
    assert b"3 more alerts were held back" in ntfy(catcher.requests)[-1]["body"]


def test_sensor_health_alerts_on_changes_only_and_remembers_across_a_restart(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port), sensors=[SensorKey.CO2_PPM])
    for minute, status, fault in [
        (0, "ok", "none"),
        (15, "degraded", "drift"),
        (30, "degraded", "drift"),
        (45, "faulty", "stuck_at"),
    ]:
        writer.write("sensor_health", health(minute, status, fault))
    writer.write("sensor_health", health(45, "faulty", "disconnect", sensor="par_umol_m2_s"))  # not installed
    writer.flush()
    runner.turn()
    runner.run(_set(threading.Event()))  # stores the cursor
    again = AlertRunner(data_root, "greenhouse-1", settings(catcher.port), sensors=[SensorKey.CO2_PPM])
    writer.write("sensor_health", health(60, "faulty", "stuck_at"))
    writer.write("sensor_health", health(75, "ok", "none"))
    writer.flush()
    again.turn()
    sent = [(h["status"], h["severity"], h["kind"]) for h in hooks(catcher.requests)]
    assert sent == [
        ("raised", "warning", "co2_ppm"),
        ("raised", "critical", "co2_ppm"),
        ("resolved", "critical", "co2_ppm"),
    ]


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


def test_a_channel_that_refuses_an_alert_for_good_is_logged_and_does_not_block_the_next(
    data_root: Path, writer: DatasetWriter
) -> None:
    catcher = Catcher(statuses=[400])
    try:
        runner = AlertRunner(
            data_root, "greenhouse-1", AlertSettings(webhook_url=f"http://127.0.0.1:{catcher.port}/hook")
        )
        writer.write("anomalies", anomaly(1))
        writer.write("anomalies", anomaly(2, kind="co2_low"))
        writer.flush()
        with capture_logs() as logs:
            runner.turn()
        assert [h["kind"] for h in hooks(catcher.requests)] == ["temperature_high", "co2_low"]
        [refused] = [e for e in logs if e["event"] == "uplink_alert_refused"]
        assert refused["log_level"] == "error" and "HTTP 400" in refused["reason"]
    finally:
        catcher.close()
