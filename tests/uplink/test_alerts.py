"""Alerts over real HTTP: delivered once whatever the channel does, with their original time and severity."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
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
from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from brain.uplink.alerts import HELD_DETAIL_LIMIT, OUTBOX_LIMIT, AlertRunner
from brain.uplink.settings import AlertSettings
from tests.factories import T0, anomaly_payload, sensor_health_payload
from tests.fake_time import FakeTime
from tests.runs import clean_env, wait_until
from tests.uplink.broker import free_port

Behaviour = int | str
"""How the catcher answers one POST: an HTTP status, or ``cut`` (a body shorter than its length),
``garbage`` (no HTTP status line), ``close`` (no answer at all), ``hang`` (no answer before the
client's timeout), ``slow-down`` (429 with ``Retry-After: 120``), ``redirect-301`` etc. (to
``/moved``, where a GET would get 200)."""


class Catcher:
    """An HTTP server on loopback recording every request; each POST is answered by its path's script."""

    def __init__(self, port: int | None = None, script: dict[str, list[Behaviour]] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.gets: list[str] = []
        self.script = {path: list(steps) for path, steps in (script or {}).items()}
        self.arrived = threading.Condition()
        self.release = threading.Event()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                catcher.gets.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with catcher.arrived:
                    steps = catcher.script.get(self.path, [])
                    behaviour = steps.pop(0) if steps else 200
                    catcher.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "answer": behaviour}
                    )
                    catcher.arrived.notify_all()
                self.answer(behaviour)

            def answer(self, behaviour: Behaviour) -> None:
                if behaviour == "cut":
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.write(b"only a little")
                    self.close_connection = True
                elif behaviour == "garbage":
                    self.wfile.write(b"captive portal says hello\r\n\r\n")
                    self.close_connection = True
                elif behaviour == "close":
                    self.close_connection = True
                elif behaviour == "hang":
                    catcher.release.wait(10)
                    self.close_connection = True
                elif behaviour == "slow-down":
                    self.send_response(429)
                    self.send_header("Retry-After", "120")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif isinstance(behaviour, str) and behaviour.startswith("redirect-"):
                    self.send_response(int(behaviour.removeprefix("redirect-")))
                    self.send_header("Location", "/moved?auth=tk_secret")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.send_response(int(behaviour))
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def delivered(self, path: str) -> list[dict[str, Any]]:
        """The POSTs to ``path`` answered 200."""
        with self.arrived:
            return [r for r in self.requests if r["path"] == path and r["answer"] == 200]

    def wait_delivered(self, path: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.delivered(path)) >= count, timeout), self.requests
        return self.delivered(path)

    def close(self) -> None:
        self.release.set()
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


def hook(catcher_port: int, **changes: Any) -> AlertSettings:
    return AlertSettings(webhook_url=f"http://127.0.0.1:{catcher_port}/hook", **changes)


def ntfy(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["path"] == "/greenhouse"]


def hooks(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in requests if r["path"] == "/hook" and r["answer"] == 200]


def write(writer: DatasetWriter, *records: AnomalyV1 | SensorHealthV1) -> None:
    for made in records:
        writer.write("anomalies" if isinstance(made, AnomalyV1) else "sensor_health", made)
    writer.flush()


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == name]


def test_an_alert_raised_while_the_network_is_down_arrives_once_afterwards_then_its_resolution(
    data_root: Path, writer: DatasetWriter
) -> None:
    write(writer, anomaly(0, end_minute=5, severity="critical", kind="co2_high"))  # before the first start
    port = free_port()  # nothing listens there yet: the network is down
    runner = AlertRunner(data_root, "greenhouse-1", settings(port), poll_s=0.05, retry_s=0.1)
    write(writer, anomaly(10), anomaly(10, end_minute=40))
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    with capture_logs() as logs:
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not events(logs, "uplink_alert_delivery_failed"):
                assert time.monotonic() < deadline, "no failed delivery logged while the network was down"
                threading.Event().wait(0.05)
            catcher = Catcher(port)  # the network is back
            catcher.wait_delivered("/hook", 2)
            catcher.wait_delivered("/greenhouse", 2)
        finally:
            stop.set()
            thread.join(timeout=30)
    catcher.close()
    assert events(logs, "uplink_alert_delivery_failed")
    # once each, on each channel; the run before the first start is not sent
    assert len(catcher.requests) == 4
    raised, resolved = ntfy(catcher.requests)
    assert raised["headers"]["Title"] == "greenhouse-1: temperature high (warning)"
    assert (raised["headers"]["Priority"], raised["headers"]["Tags"]) == ("4", "warning")
    assert b"Since 2026-06-01T00:10:00+00:00" in raised["body"]
    assert (
        resolved["headers"]["Tags"] == "white_check_mark"
        and b"Resolved at 2026-06-01T00:40:00" in resolved["body"]
    )
    first, second = hooks(catcher.requests)
    assert (first["status"], first["time"], first["site"]) == (
        "raised",
        "2026-06-01T00:10:00+00:00",
        "greenhouse-1",
    )
    assert (second["status"], second["time"]) == ("resolved", "2026-06-01T00:40:00+00:00")
    assert first["id"] != second["id"]


def test_every_transport_error_is_retried_with_growing_backoff_and_ten_alerts_arrive_once(
    data_root: Path, writer: DatasetWriter
) -> None:
    # A mobile link dropping and a captive portal: a cut body (IncompleteRead), no status line
    # (BadStatusLine), a closed connection (RemoteDisconnected), no answer (a timeout), a 503.
    catcher = Catcher(script={"/hook": ["cut", "garbage", "close", "hang", 503]})
    runner = AlertRunner(
        data_root, "greenhouse-1", hook(catcher.port, timeout_s=0.5), poll_s=0.05, retry_s=0.05
    )
    write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(10)))
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    with capture_logs() as logs:
        thread.start()
        try:
            delivered = catcher.wait_delivered("/hook", 10)
            assert thread.is_alive()
        finally:
            stop.set()
            thread.join(timeout=30)
            catcher.close()
    bodies = [json.loads(r["body"]) for r in delivered]
    assert sorted(b["time"] for b in bodies) == [
        (T0 + timedelta(minutes=minute)).isoformat() for minute in range(10)
    ]  # 0 of 10 lost, none twice
    failures = events(logs, "uplink_alert_delivery_failed")
    reasons = " ".join(e["reason"] for e in failures)
    for name in ("IncompleteRead", "BadStatusLine", "RemoteDisconnected", "timed out", "HTTP 503"):
        assert name in reasons, reasons
    waits = [e["retry_in_s"] for e in failures]
    assert waits == sorted(waits) and waits[-1] > waits[0]  # the back-off grows
    assert all(e["log_level"] == "warning" for e in failures)


def test_a_tls_failure_is_retried_and_does_not_end_the_thread(data_root: Path, writer: DatasetWriter) -> None:
    plain = Catcher()  # speaks HTTP; the channel says https: every handshake fails
    clock = FakeTime()
    settings_ = AlertSettings(webhook_url=f"https://127.0.0.1:{plain.port}/hook", timeout_s=5)
    runner = AlertRunner(data_root, "greenhouse-1", settings_, monotonic=clock.monotonic)
    write(writer, anomaly(1))
    try:
        with capture_logs() as logs:
            runner.turn()
            clock.advance(5)
            runner.turn()
    finally:
        plain.close()
    failures = events(logs, "uplink_alert_delivery_failed")
    assert len(failures) == 2 and all("SSL" in e["reason"] for e in failures)
    assert [e["retry_in_s"] for e in failures] == [5.0, 10.0]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_refusal_never_a_get_and_the_alert_goes_once_the_url_is_fixed(
    data_root: Path, writer: DatasetWriter, status: int
) -> None:
    catcher = Catcher(script={"/hook": [f"redirect-{status}", f"redirect-{status}"]})
    clock = FakeTime()
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), monotonic=clock.monotonic)
    write(writer, anomaly(1))
    try:
        with capture_logs() as logs:
            runner.turn()
            clock.advance(5)
            runner.turn()
            assert catcher.delivered("/hook") == [] and not events(logs, "uplink_alert_sent")
            clock.advance(10)
            runner.turn()
            runner.turn()
    finally:
        catcher.close()
    assert catcher.gets == []  # never turned into a GET
    assert len(catcher.delivered("/hook")) == 1
    refused = events(logs, "uplink_alert_refused")
    assert len(refused) == 2 and all(e["log_level"] == "error" for e in refused)
    assert f"HTTP {status}" in refused[0]["reason"] and "not followed" in refused[0]["reason"]
    assert "tk_secret" not in refused[0]["reason"]  # the Location is masked: it may carry a token
    assert len(events(logs, "uplink_alert_sent")) == 1


def test_a_refusing_channel_is_logged_at_error_retried_and_delivered_once_fixed(
    data_root: Path, writer: DatasetWriter
) -> None:
    catcher = Catcher(script={"/hook": [401, 403, 404, 413]})
    clock = FakeTime()
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), monotonic=clock.monotonic)
    write(writer, anomaly(1), anomaly(2, kind="co2_low"))
    try:
        with capture_logs() as logs:
            for _ in range(6):
                runner.turn()
                clock.advance(300)
    finally:
        catcher.close()
    assert [h["kind"] for h in hooks(catcher.requests)] == ["temperature_high", "co2_low"]
    refused = events(logs, "uplink_alert_refused")
    assert [e["reason"][:8] for e in refused] == ["HTTP 401", "HTTP 403", "HTTP 404", "HTTP 413"]
    assert all(e["log_level"] == "error" for e in refused)
    assert [e["retry_in_s"] for e in refused] == [5.0, 10.0, 20.0, 40.0]


def test_a_channel_that_is_down_holds_back_neither_the_other_nor_more_than_its_outbox(
    data_root: Path, writer: DatasetWriter
) -> None:
    count = OUTBOX_LIMIT + 5
    catcher = Catcher(script={"/hook": [404]})
    clock = FakeTime()
    runner = AlertRunner(
        data_root, "greenhouse-1", settings(catcher.port, max_per_hour=3600), monotonic=clock.monotonic
    )
    write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(count)))
    try:
        with capture_logs() as logs:
            runner.turn()
            runner.turn()  # the webhook waits out its back-off; its outbox is full: reading waits
            assert len(ntfy(catcher.requests)) == OUTBOX_LIMIT
            assert events(logs, "uplink_alerts_reading_paused")
            cursor = json.loads((data_root / "uplink" / "alerts.anomalies.cursor.json").read_text())
            assert len(cursor["state"]["outbox"]["webhook"]) == OUTBOX_LIMIT
            clock.advance(5)
            runner.turn()
            runner.turn()
    finally:
        catcher.close()
    times = [(T0 + timedelta(minutes=minute)).isoformat() for minute in range(count)]
    assert [h["time"] for h in hooks(catcher.requests)] == times
    assert len(ntfy(catcher.requests)) == count


def test_the_rate_limit_never_holds_a_critical_and_sends_what_it_held_as_one_summary(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    # A bus failure: five warnings, then five sensors faulty (critical), with max_per_hour = 2.
    clock = FakeTime()
    runner = AlertRunner(
        data_root, "greenhouse-1", settings(catcher.port, max_per_hour=2), monotonic=clock.monotonic
    )
    write(writer, *(anomaly(minute, kind="vpd_high") for minute in range(5)))
    sensors = [key.value for key in SensorKey]
    write(writer, *(health(10 + i, "faulty", "disconnect", sensor=s) for i, s in enumerate(sensors)))
    with capture_logs() as logs:
        runner.turn()
        sent = hooks(catcher.requests)
        assert [h["severity"] for h in sent] == ["warning"] * 2 + ["critical"] * 5
        assert [h["kind"] for h in sent[2:]] == sensors
        assert [e["held_back"] for e in events(logs, "uplink_alert_rate_limited")] == [1, 2, 3] * 2
        clock.advance(60)  # 2 an hour: no token yet
        runner.turn()
        assert len(hooks(catcher.requests)) == 7
        assert runner._idle_s() == runner.poll_s  # held alerts wait a poll, not a busy loop
        clock.advance(1800)  # one token: one summary of the three held back, on each channel
        runner.turn()
        runner.turn()
    summary = hooks(catcher.requests)[-1]
    assert len(hooks(catcher.requests)) == 8
    assert (summary["source"], summary["held_back"]) == ("rate_limit", 3)
    assert [a["time"] for a in summary["record"]["alerts"]] == [
        (T0 + timedelta(minutes=minute)).isoformat() for minute in (2, 3, 4)
    ]
    body = ntfy(catcher.requests)[-1]["body"].decode()
    assert "3 alerts held back" in ntfy(catcher.requests)[-1]["headers"]["Title"]
    assert body.count("vpd high") == 3


def test_held_alerts_survive_a_restart_and_go_out_as_a_summary(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    first = AlertRunner(data_root, "greenhouse-1", hook(catcher.port, max_per_hour=1))
    write(writer, *(anomaly(minute, kind="co2_low") for minute in range(3)))
    first.turn()
    first.run(_set(threading.Event()))
    assert len(hooks(catcher.requests)) == 1
    again = AlertRunner(data_root, "greenhouse-1", hook(catcher.port, max_per_hour=1))
    again.turn()
    sent = hooks(catcher.requests)
    assert len(sent) == 2 and sent[1]["held_back"] == 2


def test_severity_below_the_minimum_is_not_sent(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, min_severity="critical"))
    write(writer, anomaly(1, severity="warning"), anomaly(2, severity="critical", kind="co2_high"))
    runner.turn()
    assert [h["kind"] for h in hooks(catcher.requests)] == ["co2_high"]


def test_sensor_health_alerts_on_changes_only_and_remembers_across_a_restart(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port), sensors=[SensorKey.CO2_PPM])
    write(
        writer,
        *(
            health(minute, status, fault)
            for minute, status, fault in [
                (0, "ok", "none"),
                (15, "degraded", "drift"),
                (30, "degraded", "drift"),
                (45, "faulty", "stuck_at"),
            ]
        ),
        health(45, "faulty", "disconnect", sensor="par_umol_m2_s"),  # not installed
    )
    runner.turn()
    runner.run(_set(threading.Event()))  # stores the cursor
    again = AlertRunner(data_root, "greenhouse-1", settings(catcher.port), sensors=[SensorKey.CO2_PPM])
    write(writer, health(60, "faulty", "stuck_at"), health(75, "ok", "none"))
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


@pytest.mark.parametrize("damage", ["garbage", "directory"])
def test_a_damaged_alert_cursor_resumes_from_a_bounded_look_back_not_the_end(
    data_root: Path, writer: DatasetWriter, catcher: Catcher, damage: str
) -> None:
    write(writer, *(anomaly(minute, kind="vpd_low") for minute in range(3)))  # three days before "now"
    AlertRunner(data_root, "greenhouse-1", hook(catcher.port)).run(_set(threading.Event()))
    day = 24 * 60
    pending = [anomaly(2 * day + minute, kind="co2_high", severity="critical") for minute in range(10)]
    write(writer, *pending)  # raised while the uplink was down; then its cursor broke
    path = data_root / "uplink" / "alerts.anomalies.cursor.json"
    path.unlink()
    if damage == "garbage":
        path.write_bytes(b'{"format": 1, "stre\x00\xff')
    else:
        path.mkdir()
    now = T0 + timedelta(days=3)
    with capture_logs() as logs:
        runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), now=lambda: now)
        runner.turn()
    assert [h["time"] for h in hooks(catcher.requests)] == [p.started_at.isoformat() for p in pending]
    [resumed] = events(logs, "uplink_alerts_resume_look_back")
    assert resumed["stream"] == "anomalies"
    assert resumed["deliver_from"] == (now - timedelta(hours=24)).isoformat()
    assert events(logs, "uplink_cursor_corrupt")
    assert not events(logs, "uplink_alerts_start_at_end") or all(
        e["stream"] == "sensor_health" for e in events(logs, "uplink_alerts_start_at_end")
    )


UPLINK = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"


def _uplink(
    tmp_path: Path, data_root: Path, catcher: Catcher, *, channel: str = "", **env: str
) -> subprocess.Popen[str]:
    cfg = tmp_path / "brain.toml"
    channel = channel or f'webhook_url = "{catcher.url("/hook")}"'
    cfg.write_text(
        f'data_root = "{data_root}"\n[logging]\nformat = "json"\n'
        f'[uplink]\nhost = "127.0.0.1"\nport = {free_port()}\n'
        f"[uplink.alerts]\n{channel}\nmax_per_hour = 3600\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", UPLINK, "uplink", "--config", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(**env),
    )


def _until(process: subprocess.Popen[str], event: str, count: int = 1) -> None:
    from tests.uplink.test_process import events_until

    events_until(process, event, count)


def test_alerts_delivered_before_a_sigkill_are_not_sent_again_after_the_restart(
    tmp_path: Path, data_root: Path, catcher: Catcher
) -> None:
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    try:
        process = _uplink(tmp_path, data_root, catcher)
        try:
            _until(process, "uplink_alerts_start_at_end", 2)
            write(writer, *(anomaly(minute, kind="temperature_low") for minute in range(3)))
            _until(process, "uplink_alert_sent", 3)  # logged after the cursor is written
        finally:
            process.kill()
            process.communicate(timeout=30)
        again = _uplink(tmp_path, data_root, catcher)
        try:
            _until(again, "uplink_started")
            write(writer, anomaly(10, kind="humidity_high"))
            _until(again, "uplink_alert_sent")
        finally:
            again.send_signal(signal.SIGTERM)
            again.communicate(timeout=30)
    finally:
        writer.close()
    sent = [h["time"] for h in hooks(catcher.requests)]
    assert sent == [(T0 + timedelta(minutes=minute)).isoformat() for minute in (0, 1, 2, 10)]


def test_the_webhook_url_can_come_from_a_systemd_credential(
    tmp_path: Path, data_root: Path, catcher: Catcher
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "webhook-url").write_text(catcher.url("/hook") + "\n")
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    process = _uplink(
        tmp_path,
        data_root,
        catcher,
        channel='webhook_url_file = "webhook-url"',
        CREDENTIALS_DIRECTORY=str(credentials),
    )
    try:
        _until(process, "uplink_alerts_start_at_end", 2)
        write(writer, anomaly(3, kind="substrate_dry"))
        _until(process, "uplink_alert_sent")
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        writer.close()
    assert [h["kind"] for h in hooks(catcher.requests)] == ["substrate_dry"]
    assert catcher.url("/hook") not in out  # the URL itself is never logged


def test_a_429_is_retried_after_the_retry_after_it_asks_for(data_root: Path, writer: DatasetWriter) -> None:
    catcher = Catcher(script={"/hook": ["slow-down"]})
    clock = FakeTime()
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), monotonic=clock.monotonic)
    write(writer, anomaly(1))
    try:
        with capture_logs() as logs:
            runner.turn()
            clock.advance(60)
            runner.turn()
            assert len(catcher.requests) == 1  # still waiting: ntfy's Retry-After, not our 5 s
            clock.advance(60)
            runner.turn()
    finally:
        catcher.close()
    [failed] = events(logs, "uplink_alert_delivery_failed")
    assert failed["retry_in_s"] == 120.0 and "HTTP 429" in failed["reason"]
    assert len(hooks(catcher.requests)) == 1


def test_a_summary_lists_a_bounded_number_of_alerts_and_counts_the_rest(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    clock = FakeTime()
    runner = AlertRunner(
        data_root, "greenhouse-1", hook(catcher.port, max_per_hour=1), monotonic=clock.monotonic
    )
    count = HELD_DETAIL_LIMIT + 10
    write(writer, *(anomaly(minute, kind="condensation_risk") for minute in range(count)))
    for _ in range(count // OUTBOX_LIMIT + 2):
        runner.turn()
    clock.advance(3600)
    runner.turn()
    first, summary = hooks(catcher.requests)
    assert first["held_back"] == 0 and summary["held_back"] == count - 1
    assert len(summary["record"]["alerts"]) == HELD_DETAIL_LIMIT and summary["record"]["more"] == 9
    assert summary["message"].endswith("... and 9 more (the journal has each: uplink_alert_rate_limited)")
    cursor = json.loads((data_root / "uplink" / "alerts.anomalies.cursor.json").read_text())
    assert cursor["state"]["held"] == {} and cursor["state"]["outbox"] == {"webhook": []}


def test_a_malformed_line_is_logged_and_skipped(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port))
    write(writer, anomaly(1))
    writer.close()
    [part] = data_root.glob("run_*/anomalies.0000.jsonl")
    with part.open("ab") as damaged:
        damaged.write(b'{"not": "a record"}\n')
    with capture_logs() as logs:
        runner.turn()
    assert [h["time"] for h in hooks(catcher.requests)] == [anomaly(1).started_at.isoformat()]
    [malformed] = events(logs, "uplink_malformed_line")
    assert malformed["line"] == 2


def test_a_data_root_that_vanishes_is_never_made_anew_and_its_alert_still_goes_out(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    """An unmounted card: the uplink must not make the data root again on the mount point with a
    cursor in it (the card could then not be put back, and the cursor would be the wrong one)."""
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), poll_s=0.02, retry_s=0.02)
    write(writer, anomaly(1))
    writer.close()
    aside = data_root.with_name("aside")
    data_root.rename(aside)
    runner.turn()  # the cursor's write fails, logged and retried; the cursor in memory stays right
    assert not data_root.exists()
    aside.rename(data_root)
    runner.turn()
    catcher.wait_delivered("/hook", 1)
    [delivered] = hooks(catcher.requests)
    assert delivered["record"]["kind"] == "temperature_high"


def test_the_alert_thread_outlives_a_data_root_that_vanishes_and_comes_back(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", hook(catcher.port), poll_s=0.02, retry_s=0.02)
    write(writer, anomaly(1))
    writer.close()
    aside = data_root.with_name("aside")
    data_root.rename(aside)
    data_root.write_text("not a folder")  # an unmounted card, a botched restore: listing it fails
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    with capture_logs() as logs:
        thread.start()
        try:
            wait_until(lambda: bool(events(logs, "uplink_alerts_turn_failed")), "a failed turn", every=0.02)
            assert thread.is_alive()
            data_root.unlink()
            aside.rename(data_root)
            catcher.wait_delivered("/hook", 1)
        finally:
            stop.set()
            thread.join(timeout=30)
    [failed, *_] = events(logs, "uplink_alerts_turn_failed")
    assert "NotADirectoryError" in failed["reason"] and failed["log_level"] == "error"
