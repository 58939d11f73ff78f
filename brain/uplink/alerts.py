"""Alerts that need no Home Assistant: ntfy and a JSON webhook, from the durable anomaly and health streams.

Why from the streams and with their own cursors (``DATA_ROOT/uplink/alerts.<stream>.cursor.json``):
an alert raised while the network is down is still in the log when it comes
back, so it is delivered then, once, stamped with its original time, and
followed by its "resolved" message if the episode ended meanwhile. A cursor
moves past a record only once every channel took its alerts (or refused one
for good, see below).

What makes an alert:

- ``anomalies``: an episode's start is *raised* with the anomaly's severity, its
  end *resolved*.
- ``sensor_health``: a sensor whose status leaves ``ok`` (or changes fault) is
  *raised*, critical when ``faulty`` and a warning when ``degraded``; its return
  to ``ok`` is *resolved*. The last status of each sensor is kept in the cursor,
  so a restart neither repeats nor forgets one.

``min_severity`` drops what is below it; ``max_per_hour`` caps what is sent: an
alert over the cap is logged (``uplink_alert_rate_limited``) and counted in the
next alert that is sent ("3 more alerts were held back by the rate limit").

Delivery: ``urllib`` from the standard library (one POST per alert and channel,
no dependency for two requests). A network error or an HTTP 5xx or 429 is retried
after 5, 10, 20, ... up to 300 seconds, never dropped; another 4xx means the
channel refuses this alert for good (a wrong URL, a missing token): it is logged
as an error with the status and the alert is not retried, so one bad alert cannot
block every later one. A first start begins at the end of the log (a new
installation does not receive a year of old alerts), and says so in its log.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog

from brain.names import SEVERITY_RANK, HealthStatus, SensorKey, Severity
from brain.uplink.cursor import Cursor, CursorStore, FilePosition, cursor_path
from brain.uplink.follow import PartIndex, StreamFollower
from brain.uplink.records import AnomalyLine, HealthLine, Record, read_record
from brain.uplink.settings import AlertSettings

log = structlog.get_logger(__name__)

CONSUMER = "alerts"
STREAMS = ("anomalies", "sensor_health")
_NTFY_PRIORITY = {Severity.INFO: "3", Severity.WARNING: "4", Severity.CRITICAL: "5"}
_NTFY_TAGS = {
    Severity.INFO: "information_source",
    Severity.WARNING: "warning",
    Severity.CRITICAL: "rotating_light",
}
MAX_BACKOFF_S = 300.0


@dataclass(frozen=True)
class Alert:
    """One message for a person: what happened, how bad, when (the record's time, not the sending time)."""

    site: str
    source: str
    kind: str
    status: Literal["raised", "resolved"]
    severity: Severity
    time: str
    title: str
    message: str
    record: dict[str, Any] = field(default_factory=dict)


def anomaly_alert(site: str, anomaly: AnomalyLine, record: Record) -> Alert:
    """An episode start is raised, its end resolved (``record``: the line ``anomaly`` was read from)."""
    kind = anomaly.kind.value
    if anomaly.ended_at is None:
        return Alert(
            site,
            "anomalies",
            kind,
            "raised",
            anomaly.severity,
            anomaly.started_at.isoformat(),
            f"{site}: {kind.replace('_', ' ')} ({anomaly.severity.value})",
            f"{anomaly.message} Since {anomaly.started_at.isoformat()}.",
            record.data,
        )
    return Alert(
        site,
        "anomalies",
        kind,
        "resolved",
        anomaly.severity,
        anomaly.ended_at.isoformat(),
        f"{site}: {kind.replace('_', ' ')} resolved",
        f"Resolved at {anomaly.ended_at.isoformat()} (began {anomaly.started_at.isoformat()}).",
        record.data,
    )


def health_alert(site: str, health: HealthLine, record: Record, last: dict[str, Any] | None) -> Alert | None:
    """A change of a sensor's status or fault against ``last`` (what was last reported), or ``None``."""
    sensor = health.sensor.value
    status, fault = health.status, health.fault
    if last is not None and (last["status"], last["fault"]) == (status.value, fault):
        return None
    if status is HealthStatus.OK:
        if last is None or last["status"] == HealthStatus.OK.value:
            return None
        severity = Severity(last["severity"])
        return Alert(
            site,
            "sensor_health",
            sensor,
            "resolved",
            severity,
            health.timestamp.isoformat(),
            f"{site}: {sensor} sensor ok again",
            f"{sensor} is trusted again since {health.since.isoformat()} (it was {last['fault']}).",
            record.data,
        )
    severity = Severity.CRITICAL if status is HealthStatus.FAULTY else Severity.WARNING
    return Alert(
        site,
        "sensor_health",
        sensor,
        "raised",
        severity,
        health.since.isoformat(),
        f"{site}: {sensor} sensor {status.value} ({fault})",
        f"{sensor} is {status.value}: {fault} since {health.since.isoformat()}.",
        record.data,
    )


def health_memory(health: HealthLine, alert: Alert | None, last: dict[str, Any] | None) -> dict[str, Any]:
    """What the cursor keeps of a sensor after ``health``: its status, fault and the severity raised."""
    severity = alert.severity.value if alert is not None and alert.status == "raised" else None
    if severity is None:
        severity = last["severity"] if last is not None else Severity.WARNING.value
    return {"status": health.status.value, "fault": health.fault, "severity": severity}


class DeliveryRefusedError(Exception):
    """The channel answered 4xx (not 429): sending the same alert again cannot succeed."""


class RateLimit:
    """At most ``per_hour`` alerts in any hour (a token bucket); counts what it held back."""

    def __init__(self, per_hour: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self._monotonic = monotonic
        self._tokens = float(per_hour)
        self._last = monotonic()
        self.held_back = 0

    def allow(self) -> bool:
        """Take a token if there is one."""
        now = self._monotonic()
        self._tokens = min(self.per_hour, self._tokens + (now - self._last) * self.per_hour / 3600)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.held_back += 1
        return False


class Channel:
    """One way out: ntfy or the webhook."""

    def __init__(self, name: str, url: str, timeout_s: float) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s

    def request(self, alert: Alert, held_back: int) -> urllib.request.Request:
        """The HTTP request carrying ``alert`` (``held_back``: alerts suppressed before it)."""
        raise NotImplementedError

    def send(self, alert: Alert, held_back: int) -> None:
        """POST the alert; raise :class:`DeliveryRefusedError` for good, ``OSError`` to try again."""
        try:
            with urllib.request.urlopen(self.request(alert, held_back), timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code != 429:
                raise DeliveryRefusedError(f"HTTP {exc.code} {exc.reason}") from None
            raise OSError(f"HTTP {exc.code} {exc.reason}") from None


def _held_back_note(held_back: int) -> str:
    return f" ({held_back} more alerts were held back by the rate limit.)" if held_back else ""


class NtfyChannel(Channel):
    """ntfy: the message as the body; ``Title``, ``Priority`` and ``Tags`` headers (ntfy's publish API)."""

    def request(self, alert: Alert, held_back: int) -> urllib.request.Request:
        """POST to the topic URL; header values kept ASCII (HTTP headers are Latin-1)."""
        tags = "white_check_mark" if alert.status == "resolved" else _NTFY_TAGS[alert.severity]
        priority = "3" if alert.status == "resolved" else _NTFY_PRIORITY[alert.severity]
        title = alert.title.encode("ascii", "replace").decode()
        body = (alert.message + _held_back_note(held_back)).encode()
        headers = {"Title": title, "Priority": priority, "Tags": tags}
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")


class WebhookChannel(Channel):
    """A generic JSON webhook: one object per alert (docs/fleet.md shows it)."""

    def request(self, alert: Alert, held_back: int) -> urllib.request.Request:
        """POST ``{"site", "source", "kind", "status", "severity", "time", "title", "message", ...}``."""
        body = {
            "site": alert.site,
            "source": alert.source,
            "kind": alert.kind,
            "status": alert.status,
            "severity": alert.severity.value,
            "time": alert.time,
            "title": alert.title,
            "message": alert.message,
            "held_back": held_back,
            "record": alert.record,
        }
        return urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )


def channels(settings: AlertSettings) -> list[Channel]:
    """The configured channels (none: no alerts)."""
    out: list[Channel] = []
    if settings.ntfy_url:
        out.append(NtfyChannel("ntfy", settings.ntfy_url, settings.timeout_s))
    if settings.webhook_url:
        out.append(WebhookChannel("webhook", settings.webhook_url, settings.timeout_s))
    return out


class AlertRunner:
    """Follows the anomaly and health streams and delivers their alerts; runs in its own thread."""

    def __init__(
        self,
        data_root: Path,
        site: str,
        settings: AlertSettings,
        *,
        sensors: list[SensorKey] | None = None,
        poll_s: float = 1.0,
        retry_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.site = site
        self.settings = settings
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.sensors = {sensor.value for sensor in sensors} if sensors is not None else None
        """The installed sensors: health alerts of the others are not sent."""
        self.channels = channels(settings)
        self.limit = RateLimit(settings.max_per_hour, monotonic)
        self.index = PartIndex(data_root)
        self.index.refresh(full=True)
        self.sent = 0
        self._taken_by: dict[tuple[str, str, str, str], set[str]] = {}
        self._streams: list[tuple[str, CursorStore, Cursor, StreamFollower]] = []
        for stream in STREAMS:
            store = CursorStore(cursor_path(data_root, CONSUMER, stream), stream)
            cursor = store.load()
            if store.fresh_start:
                cursor.files = self._end_of_log(stream)
                log.info("uplink_alerts_start_at_end", stream=stream, reason="no alert cursor yet")
            self._streams.append((stream, store, cursor, StreamFollower(self.index, stream, cursor.files)))

    def _end_of_log(self, stream: str) -> dict[str, FilePosition]:
        follower = StreamFollower(self.index, stream, {})
        while follower.read(10_000):
            pass
        follower.close()
        return follower.positions

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set."""
        backoff = self.retry_s
        while not stop.is_set():
            try:
                self.turn(stop)
                backoff = self.retry_s
                stop.wait(self.poll_s)
            except OSError as exc:
                log.warning("uplink_alert_delivery_failed", reason=str(exc), retry_in_s=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                for _, _, cursor, follower in self._streams:
                    follower.reset(cursor.files)
        for _, store, cursor, follower in self._streams:
            store.save(cursor, force=True)
            follower.close()

    def turn(self, stop: threading.Event | None = None) -> None:
        """Deliver the alerts of every new record; raise ``OSError`` when a channel cannot be reached."""
        self.index.refresh()
        for stream, store, cursor, follower in self._streams:
            for line in follower.read(100):
                if stop is not None and stop.is_set():
                    return
                try:
                    record = read_record(line.data)
                    facts = AnomalyLine.of(record) if stream == "anomalies" else HealthLine.of(record)
                except ValueError:
                    log.warning("uplink_malformed_line", file=line.key, line=line.number, consumer=CONSUMER)
                else:
                    self._alert(facts, record, cursor)
                cursor.files[line.key] = line.end
                cursor.next_seq += 1
                store.save(cursor)

    def _alert(self, facts: AnomalyLine | HealthLine, record: Record, cursor: Cursor) -> None:
        if isinstance(facts, AnomalyLine):
            self._deliver(anomaly_alert(self.site, facts, record))
            return
        sensor = facts.sensor.value
        if self.sensors is not None and sensor not in self.sensors:
            return
        sensors: dict[str, Any] = cursor.state.get("sensors", {})
        last = sensors.get(sensor)
        alert = health_alert(self.site, facts, record, last)
        if alert is not None:
            self._deliver(alert)
        remembered = health_memory(facts, alert, last)
        cursor.state = {**cursor.state, "sensors": {**sensors, sensor: remembered}}

    def _deliver(self, alert: Alert) -> None:
        """Send ``alert`` on each channel that has not taken it; ``OSError`` leaves the rest for a retry."""
        key = (alert.source, alert.kind, alert.status, alert.time)
        if key not in self._taken_by:
            if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[self.settings.min_severity]:
                return
            if not self.limit.allow():
                log.warning(
                    "uplink_alert_rate_limited",
                    title=alert.title,
                    time=alert.time,
                    held_back=self.limit.held_back,
                )
                return
            self._taken_by[key] = set()
        taken = self._taken_by[key]
        for channel in self.channels:
            if channel.name in taken:
                continue
            try:
                channel.send(alert, self.limit.held_back)
            except DeliveryRefusedError as exc:
                log.error("uplink_alert_refused", channel=channel.name, title=alert.title, reason=str(exc))
            taken.add(channel.name)
        del self._taken_by[key]
        self.limit.held_back = 0
        self.sent += 1
        log.info("uplink_alert_sent", title=alert.title, status=alert.status, time=alert.time)
