"""Alerts that need no Home Assistant: ntfy and a JSON webhook, from the durable anomaly and health streams.

Why from the streams and with their own cursors (``DATA_ROOT/uplink/alerts.<stream>.cursor.json``):
an alert raised while the network is down is still in the log when it comes
back, so it is delivered then, once, stamped with its original time, and
followed by its "resolved" message if the episode ended meanwhile.

What makes an alert:

- ``anomalies``: an episode's start is *raised* with the anomaly's severity, its
  end *resolved*.
- ``sensor_health``: a sensor's fault episode is *raised*, critical when ``faulty``
  and a warning when ``degraded``; its return to ``ok`` is *resolved*; sensors of one
  step are one message and a fault repeating within ``repeat_window_h`` is a standing
  notice, not a push (:mod:`brain.uplink.alert_policy`). The memory of each sensor is
  kept in the cursor, so a restart neither repeats nor forgets one.

How an alert travels (docs/fleet.md, "Alerts without Home Assistant"):

1. Reading a record turns it into its alert (or none; ``min_severity`` drops what is
   below it) and puts that into each channel's **outbox**, kept in the stream's cursor
   (``state.outbox``): the cursor moves past the record and the alert is queued in one
   atomic cursor write, so neither can be lost without the other. An outbox holds at
   most :data:`OUTBOX_LIMIT` alerts; while one is full, reading that stream pauses (the
   records wait in the log, which is the queue).
2. Each channel drains its own outbox, oldest first, so a channel that is down or
   refusing never holds the other back. Right after a channel answers 2xx, the alert
   leaves its outbox and the cursor is written (fsync, rename) before the next one:
   a SIGKILL or a power cut then resends at most the one alert whose 2xx came back
   in the few milliseconds before the write (the documented window), never alerts
   delivered seconds or minutes before.
3. Anything but a 2xx is retried after 5, 10, 20, ... up to 300 seconds, per
   channel, never dropped: a transport error of any kind (``OSError``: refused, reset,
   unreachable, timeouts, TLS; ``http.client.HTTPException``: a cut body, a bad
   status line from a captive portal) or a 5xx/429 is logged as a warning
   (``uplink_alert_delivery_failed``; a 429's ``Retry-After`` is honoured up to the
   cap); a 3xx or another 4xx means the channel refuses (a moved URL, a wrong
   token, a deleted topic, a body it will not take) and is logged as an error
   (``uplink_alert_refused``, with the status) at every retry, until someone fixes
   it; then the alert goes out, once.
4. Redirects are not followed: a POST that urllib followed through a 301/302 became
   a GET that a web server answers 200, and the alert was lost while logged as
   sent; re-posting to another address would hand the alert (and an ntfy token) to
   wherever the answer points. The log names the ``Location`` (masked) to copy
   into the setting.
5. ``max_per_hour`` is a token bucket per channel and knows severity: a *raised
   critical* always goes out at once (it takes a token if there is one); other
   alerts wait for a token, and those that find none are **held** (kept in the
   cursor, logged ``uplink_alert_rate_limited``) and go out together as **one
   summary message** listing them when the bucket next has a token. (A summary of
   alerts from both streams is cleared from two cursors, one write each: a kill
   between the two sends that stream's part again in the next summary.)

A first start (no alert cursor at all) begins at the end of the log: a new
installation does not receive a year of old alerts, and says so in its log. A
cursor that exists but cannot be used (damaged, unreadable), or one that is
missing while the other stream's alert cursor is there (deleted by hand or by a
botched restore), resumes from a bounded look-back instead, the records of the
last ``resume_lookback_h`` hours (default 24), never from the end, so the alerts
pending when it broke are delivered (perhaps again, once), and says so at warning
(``uplink_alerts_resume_look_back``, naming the file).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog

from brain.names import SEVERITY_RANK, HealthStatus, SensorKey, Severity
from brain.uplink.advice import advice_for_anomaly
from brain.uplink.alert_devices import DeviceWatch
from brain.uplink.alert_policy import anomaly_decision, enqueue, health_decision, quiet_due
from brain.uplink.cursor import Cursor, CursorStore, FilePosition, cursor_path
from brain.uplink.digest import DIGEST_SOURCE, day_digest, digest_message, due_day
from brain.uplink.follow import PartIndex, StreamFollower, tidy_after_full_listing
from brain.uplink.records import AnomalyLine, HealthLine, Record, read_record
from brain.uplink.settings import AlertSettings, is_loopback, masked_url

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
OUTBOX_LIMIT = 20
"""Alerts queued per channel and stream before reading pauses: bounds the cursor file (about 1 KB each)."""
HELD_DETAIL_LIMIT = 50
"""Held-back alerts listed one by one in a summary; beyond them, only counted ("and 12 more")."""
_RESPONSE_BYTES = 64 * 1024
"""Most of a channel's answer read (and thrown away): its body says nothing brain acts on."""
_READ_BATCH = 100


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
    held_back: int = 0
    """For a summary: how many alerts the rate limit held back (it lists them)."""

    @property
    def id(self) -> str:
        """The same for the same alert on every attempt: a receiver may drop one it has seen."""
        key = "|".join((self.site, self.source, self.kind, self.status, self.time, str(self.held_back)))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The alert as kept in a cursor's outbox."""
        return {**asdict(self), "severity": self.severity.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        """An alert from :meth:`to_json`."""
        return cls(**{**data, "severity": Severity(data["severity"])})


def anomaly_alert(site: str, anomaly: AnomalyLine, record: Record, advice: str | None = None) -> Alert:
    """An episode start is raised, its end resolved (``record``: the line ``anomaly`` was read from).

    ``advice``: what to do about it (:func:`brain.uplink.advice.advice_for_anomaly`), appended.
    """
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
            f"{anomaly.message} Since {anomaly.started_at.isoformat()}."
            + (f" Advice: {advice}" if advice else ""),
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


class DeliveryError(Exception):
    """A delivery got no 2xx. ``refused``: the channel answered and said no (3xx, 4xx but 429)."""

    def __init__(self, reason: str, *, refused: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.refused = refused
        self.retry_after_s = retry_after_s


class RateLimit:
    """A token bucket of ``per_hour`` tokens, refilled evenly over the hour (one channel's)."""

    def __init__(self, per_hour: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self._monotonic = monotonic
        self._tokens = float(per_hour)
        self._last = monotonic()

    def available(self) -> bool:
        """Whether a token is there now (nothing is taken)."""
        now = self._monotonic()
        self._tokens = min(self.per_hour, self._tokens + (now - self._last) * self.per_hour / 3600)
        self._last = now
        return self._tokens >= 1

    def take(self) -> None:
        """Spend a token after a delivery (a critical sent without one leaves the bucket at zero)."""
        self.available()
        self._tokens = max(0.0, self._tokens - 1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse to follow: urllib would turn the POST into a GET (module docstring, point 4)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def _http_error(exc: urllib.error.HTTPError) -> DeliveryError:
    code = exc.code
    if code == 429 or code >= 500:
        return DeliveryError(f"HTTP {code} {exc.reason}", refused=False, retry_after_s=_retry_after(exc))
    if 300 <= code < 400:
        location = exc.headers.get("Location") if exc.headers is not None else None
        where = masked_url(location) if location else "nowhere"
        return DeliveryError(
            f"HTTP {code} {exc.reason}: redirects to {where}, not followed (a POST is never turned "
            "into a GET); set the URL to where it points",
            refused=True,
        )
    return DeliveryError(f"HTTP {code} {exc.reason}", refused=True)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers is not None else None
    try:
        return min(max(float(value), 0.0), MAX_BACKOFF_S) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the growing back-off will do


class Channel:
    """One way out: ntfy or the webhook, with its own rate limit and back-off."""

    def __init__(self, name: str, url: str, timeout_s: float) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s

    def request(self, alert: Alert) -> urllib.request.Request:
        """The HTTP request carrying ``alert``."""
        raise NotImplementedError

    def send(self, alert: Alert) -> None:
        """POST the alert; :class:`DeliveryError` for anything but a 2xx, whatever went wrong on the way."""
        try:
            with _OPENER.open(self.request(alert), timeout=self.timeout_s) as response:
                _drain_body(response)
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from None
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError(_transport_reason(exc), refused=False) from None
        except ValueError:  # a URL urllib cannot use; its text would show the URL, a secret
            raise DeliveryError("the URL cannot be used (check its port and scheme)", refused=True) from None


def _drain_body(response: Any) -> None:
    """Read the answer to its end (at most :data:`_RESPONSE_BYTES`); one cut short raises ``IncompleteRead``.

    Why to the end: a 200 whose body is cut (a link dropping, a proxy) is not taken for a
    delivery; the alert is sent again (with the same ``id``), at least once rather than lost.
    """
    length = getattr(response, "length", None)
    if length is not None and length <= _RESPONSE_BYTES:
        response.read()
    else:
        response.read(_RESPONSE_BYTES)


def _transport_reason(exc: BaseException) -> str:
    """What went wrong, without the URL (urllib's errors do not name it) and at most 200 characters."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, str):
        exc = exc.reason
    text = str(exc) or "no detail"
    return f"{type(exc).__name__}: {text}"[:200]


class NtfyChannel(Channel):
    """ntfy: the message as the body; ``Title``, ``Priority`` and ``Tags`` headers (ntfy's publish API)."""

    def request(self, alert: Alert) -> urllib.request.Request:
        """POST to the topic URL; header values kept ASCII (HTTP headers are Latin-1)."""
        tags = "white_check_mark" if alert.status == "resolved" else _NTFY_TAGS[alert.severity]
        priority = "3" if alert.status == "resolved" else _NTFY_PRIORITY[alert.severity]
        if alert.source == DIGEST_SOURCE:  # read once a day, not an alarm: ntfy's low priority, no sound
            tags, priority = "spiral_calendar", "2"
        title = alert.title.encode("ascii", "replace").decode()
        headers = {"Title": title, "Priority": priority, "Tags": tags}
        return urllib.request.Request(self.url, data=alert.message.encode(), headers=headers, method="POST")


class WebhookChannel(Channel):
    """A generic JSON webhook: one object per alert (docs/fleet.md shows it)."""

    def request(self, alert: Alert) -> urllib.request.Request:
        """POST ``{"id", "site", "source", "kind", "status", "severity", "time", "title", ...}``."""
        body = {
            "id": alert.id,
            "site": alert.site,
            "source": alert.source,
            "kind": alert.kind,
            "status": alert.status,
            "severity": alert.severity.value,
            "time": alert.time,
            "title": alert.title,
            "message": alert.message,
            "held_back": alert.held_back,
            "record": alert.record,
        }
        return urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )


def channels(settings: AlertSettings) -> list[Channel]:
    """The configured channels (none: no alerts); the URLs as read at start (settings or files)."""
    out: list[Channel] = []
    if settings.ntfy_url is not None:
        out.append(NtfyChannel("ntfy", settings.ntfy_url.get_secret_value(), settings.timeout_s))
    if settings.webhook_url is not None:
        out.append(WebhookChannel("webhook", settings.webhook_url.get_secret_value(), settings.timeout_s))
    return out


def summary_alert(site: str, held: list[dict[str, Any]], more: int) -> Alert:
    """One message for every alert the rate limit held back: each one's time and title, the worst severity."""
    alerts = [Alert.from_json(entry) for entry in held]
    count = len(alerts) + more
    worst = max((a.severity for a in alerts), key=SEVERITY_RANK.__getitem__, default=Severity.WARNING)
    lines = [f"{a.time} {a.title}" + (" (resolved)" if a.status == "resolved" else "") for a in alerts]
    if more:
        lines.append(f"... and {more} more (the journal has each: uplink_alert_rate_limited)")
    return Alert(
        site,
        "rate_limit",
        "summary",
        "raised",
        worst,
        alerts[-1].time if alerts else datetime.now(UTC).isoformat(),
        f"{site}: {count} alerts held back by the rate limit",
        "\n".join(lines),
        {"alerts": [{k: v for k, v in entry.items() if k != "record"} for entry in held], "more": more},
        held_back=count,
    )


@dataclass
class _Sender:
    """A channel's rate limit and back-off (in memory: a restart starts with a full bucket)."""

    channel: Channel
    limit: RateLimit
    backoff_s: float
    next_attempt: float = 0.0


@dataclass
class _Stream:
    stream: str
    store: CursorStore
    cursor: Cursor
    follower: StreamFollower
    paused: bool = False


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
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        device_kinds: Mapping[str, str] | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.site = site
        self.device_kinds = dict(device_kinds or {})
        """``[advisor.devices]``: which advice answers an anomaly (:mod:`brain.uplink.advice`)."""
        self.data_root = data_root
        self.zone = ZoneInfo(timezone)
        """The site's time zone: the daily digest's day and hour (:mod:`brain.uplink.digest`)."""
        self._now = now
        self.settings = settings
        self.poll_s = poll_s
        self.retry_s = retry_s
        self._monotonic = monotonic
        self.sensors = {sensor.value for sensor in sensors} if sensors is not None else None
        """The installed sensors: health alerts of the others are not sent."""
        self.senders = [
            _Sender(channel, RateLimit(settings.max_per_hour, monotonic), retry_s)
            for channel in channels(settings)
        ]
        for sender in self.senders:
            _warn_if_in_clear(sender.channel)
        self.index = PartIndex(data_root)
        self.index.refresh(full=True)
        self.devices = DeviceWatch(self.index)
        """The latest device status: is the house already acting (:mod:`brain.uplink.alert_policy`)."""
        self.sent = 0
        self._streams: list[_Stream] = []
        paths = [cursor_path(data_root, CONSUMER, stream) for stream in STREAMS]
        ran_before = any(_exists(path) for path in paths)
        for stream in STREAMS:
            store = CursorStore(cursor_path(data_root, CONSUMER, stream), stream, monotonic=monotonic)
            existed = _exists(store.path)
            cursor = store.load()
            if store.fresh_start and ran_before:
                since = now() - timedelta(hours=settings.resume_lookback_h)
                cursor.state = {"deliver_from": since.isoformat()}
                store.save(cursor, force=True)
                log.warning(
                    "uplink_alerts_resume_look_back",
                    stream=stream,
                    deliver_from=since.isoformat(),
                    file=str(store.path),
                    reason="the alert cursor could not be used"
                    if existed
                    else "the alert cursor is missing while the other stream's is there (deleted?)",
                    consequence=f"alerts of the last {settings.resume_lookback_h:g} h are delivered "
                    "(again, once, if they were); older records only update the sensors' last status",
                )
            elif store.fresh_start:
                cursor.files, cursor.sealed = self._end_of_log(stream)
                store.save(cursor, force=True)
                log.info(
                    "uplink_alerts_start_at_end",
                    stream=stream,
                    file=str(store.path),
                    reason="no alert cursor yet",
                )
            self._streams.append(
                _Stream(
                    stream, store, cursor, StreamFollower(self.index, stream, cursor.files, cursor.sealed)
                )
            )
        self._scans = -1
        """The index's full listings seen: after each, the cursors are tidied (:meth:`_tidy`)."""

    def _end_of_log(self, stream: str) -> tuple[dict[str, FilePosition], str | None]:
        """Positions and seal at the end of every part: compressed ones sealed unread, plain ones read.

        Why not read the compressed history: a first start takes it all as sent, and
        decompressing a year of it would cost a Pi minutes of CPU for nothing. Plain parts
        (the last ``compress_after_days`` days) are read :data:`_READ_BATCH` lines at a time,
        as the lines of one read are held at once (a batch of 10,000 cost 1.1 MB of peak RSS).
        """
        compressed = [part.key for part in self.index.parts(stream) if part.compressed]
        sealed = max(compressed, default=None)
        follower = StreamFollower(self.index, stream, {}, sealed)
        while follower.read(_READ_BATCH):
            pass
        follower.close()
        return follower.positions, sealed

    # the loop

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; a disk or folder error is logged and retried.

        Anything else is a bug: it ends the thread, and so the process with 1
        (``brain.cli.uplink``), which systemd restarts from the cursor, rather than a loop that
        fails every turn while the process looks healthy.
        """
        backoff = self.retry_s
        while not stop.is_set():
            try:
                self.turn(stop)
            except OSError as exc:  # an unmounted card, EIO, a folder gone for a while: logged, retried
                log.exception("uplink_alerts_turn_failed", reason=f"{type(exc).__name__}: {exc}"[:200])
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                for state in self._streams:
                    state.follower.reset(state.cursor.files, state.cursor.sealed)
                continue
            backoff = self.retry_s
            stop.wait(self._idle_s())
        for state in self._streams:
            self._tidy(state)
            state.store.save(state.cursor, force=True)
            state.follower.close()
        self.devices.close()

    def _idle_s(self) -> float:
        """Until the next poll, or sooner when a waiting channel's back-off ends first.

        Held alerts waiting for a token are looked at each poll (a token comes every
        ``3600 / max_per_hour`` seconds): never a busy loop.
        """
        now = self._monotonic()
        ends = [
            s.next_attempt - now
            for s in self.senders
            if s.next_attempt > now and self._pending(s.channel.name)
        ]
        return min([self.poll_s, *ends])

    def turn(self, stop: threading.Event | None = None) -> None:
        """Read what is new into the outboxes, then let each channel deliver what it can."""
        self.index.refresh()
        full_listing = self.index.scans != self._scans
        self._scans = self.index.scans
        self.devices.read()
        for state in self._streams:
            if full_listing:
                self._tidy(state)
            self._read(state, stop)
        self._release_quiet()
        self._digest()
        for sender in self.senders:
            self._drain(sender, stop)

    # reading: records into outboxes

    def _read(self, state: _Stream, stop: threading.Event | None) -> None:
        cursor = state.cursor
        if self._full(cursor):
            if not state.paused:
                log.warning(
                    "uplink_alerts_reading_paused",
                    stream=state.stream,
                    reason=f"a channel has {OUTBOX_LIMIT} alerts waiting",
                    consequence="the records wait in the log until the channel takes its alerts",
                )
            state.paused = True
            return
        state.paused = False
        lines = state.follower.read(_READ_BATCH)
        queued = False
        for number, line in enumerate(lines):
            try:
                record = read_record(line.data)
                facts = (
                    AnomalyLine.from_fields(record.data)
                    if state.stream == "anomalies"
                    else HealthLine.from_fields(record.data)
                )
            except ValueError:
                log.warning("uplink_malformed_line", file=line.key, line=line.number, consumer=CONSUMER)
            else:
                queued |= self._alert(facts, record, cursor)
            cursor.files[line.key] = line.end
            cursor.next_seq += 1
            if (self._full(cursor) or (stop is not None and stop.is_set())) and number < len(lines) - 1:
                state.follower.reset(cursor.files, cursor.sealed)  # the rest is read again later
                break
        if not lines and "deliver_from" in cursor.state:
            cursor.state = {k: v for k, v in cursor.state.items() if k != "deliver_from"}  # look-back done
        state.store.save(cursor, force=queued)

    def _tidy(self, state: _Stream) -> None:
        """After a full listing: seal what is delivered, so the cursor does not grow with history.

        Each alert cursor is rewritten at every delivery; without this it would list every
        part ever read (tens of KB at 400 days). Written with the next save.
        """
        tidy_after_full_listing(state.cursor, self.index, state.follower.unreadable)
        state.follower.sealed = state.cursor.sealed

    def _full(self, cursor: Cursor) -> bool:
        outbox: dict[str, list[Any]] = cursor.state.get("outbox", {})
        return any(len(outbox.get(s.channel.name, [])) >= OUTBOX_LIMIT for s in self.senders)

    def _alert(self, facts: AnomalyLine | HealthLine, record: Record, cursor: Cursor) -> bool:
        """Queue the record's alert, if any, on every channel; True if one was queued."""
        if isinstance(facts, AnomalyLine):
            advice = advice_for_anomaly(self.index, self.device_kinds, facts, record.timestamp)
            told = anomaly_alert(self.site, facts, record, advice)
            episodes = cursor.state.get("episodes", {})
            pushed, episodes = anomaly_decision(
                facts, record.data, episodes, self.devices.latest, told.to_json(), kinds=self.device_kinds
            )
            cursor.state = {**cursor.state, "episodes": episodes}
            return self._queue(cursor, told, record) if pushed else True  # True: saved with the cursor
        sensor = facts.sensor.value
        if self.sensors is not None and sensor not in self.sensors:
            return False
        sensors: dict[str, Any] = cursor.state.get("sensors", {})
        last = sensors.get(sensor)
        window = self.settings.repeat_window_h
        push, remembered, standing = health_decision(facts, last, cursor.state.get("standing", {}), window)
        alert = health_alert(self.site, facts, record, last) if push else None
        cursor.state = {**cursor.state, "sensors": {**sensors, sensor: remembered}, "standing": standing}
        return alert is not None and self._queue(cursor, alert, record)

    def _release_quiet(self) -> None:
        """Push the quiet episodes (the house acting) still open after ``quiet_while_acting_h``."""
        state, now = self._streams[0], self.devices.time
        episodes = state.cursor.state.get("episodes", {})
        if now is None or not episodes:
            return
        due, after = quiet_due(episodes, now, self.settings.quiet_while_acting_h)
        if not due:
            return
        state.cursor.state = {**state.cursor.state, "episodes": after}
        for entry in due:
            self._queue(state.cursor, Alert.from_json(entry), Record(entry["record"], now))
        state.store.save(state.cursor, force=True)

    def _digest(self) -> None:
        """Queue the day's digest once it is due; the day told is saved with it in one cursor write.

        A cursor that has told no day yet (a first start, an upgrade) starts from the day due now,
        unsent: the first digest is the next day's, never one of a day before the installation.
        """
        state = self._streams[0]
        if not self.settings.digest or not self.senders:
            return
        told = state.cursor.state.get("digest_day")
        day = due_day(self._now(), self.zone, self.settings.digest_hour, told)
        if day is None:
            return
        if told is None:
            state.cursor.state = {**state.cursor.state, "digest_day": day.isoformat()}
            state.store.save(state.cursor, force=True)
            return
        digest, episodes = day_digest(self.data_root, day, self.zone, self.settings.digest_band_c)
        standing = self._streams[1].cursor.state.get("standing", {})
        title, text, body = digest_message(self.site, digest, episodes, standing)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.zone)
        alert = Alert(
            self.site, DIGEST_SOURCE, "daily", "raised", Severity.INFO, end.isoformat(), title, text, body
        )
        outbox: dict[str, list[Any]] = state.cursor.state.get("outbox", {})
        state.cursor.state = {
            **state.cursor.state,
            "digest_day": day.isoformat(),
            "outbox": {
                s.channel.name: enqueue(outbox.get(s.channel.name, []), alert.to_json()) for s in self.senders
            },
        }
        state.store.save(state.cursor, force=True)
        log.info("uplink_alerts_digest_queued", day=day.isoformat())

    def _queue(self, cursor: Cursor, alert: Alert, record: Record) -> bool:
        if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[self.settings.min_severity]:
            return False
        deliver_from = cursor.state.get("deliver_from")
        if deliver_from is not None and record.timestamp < datetime.fromisoformat(deliver_from):
            return False  # before the look-back of a cursor that broke: assumed delivered
        outbox: dict[str, list[Any]] = cursor.state.get("outbox", {})
        cursor.state = {
            **cursor.state,
            "outbox": {
                s.channel.name: enqueue(outbox.get(s.channel.name, []), alert.to_json()) for s in self.senders
            },
        }
        return True

    # delivering: outboxes to channels

    def _pending(self, name: str) -> bool:
        return any(
            s.cursor.state.get("outbox", {}).get(name) or s.cursor.state.get("held", {}).get(name)
            for s in self._streams
        )

    def _head(self, name: str) -> tuple[_Stream, dict[str, Any]] | None:
        """The oldest alert waiting for channel ``name`` (by its time, over both streams)."""
        waiting = [
            (s, s.cursor.state["outbox"][name][0])
            for s in self._streams
            if s.cursor.state.get("outbox", {}).get(name)
        ]
        return min(waiting, key=lambda pair: pair[1]["time"], default=None)

    def _held(self, name: str) -> Iterator[tuple[_Stream, dict[str, Any]]]:
        for state in self._streams:
            held = state.cursor.state.get("held", {}).get(name)
            if held:
                yield state, held

    def _drain(self, sender: _Sender, stop: threading.Event | None) -> None:
        """Deliver channel ``sender``'s alerts until its outbox is empty, a send fails or tokens run out."""
        name = sender.channel.name
        while stop is None or not stop.is_set():
            if self._monotonic() < sender.next_attempt:
                return
            head = self._head(name)
            held = list(self._held(name))
            if head is None:
                if not held or not sender.limit.available() or not self._send_summary(sender, held):
                    return
                continue
            state, entry = head
            alert = Alert.from_json(entry)
            urgent = alert.status == "raised" and alert.severity is Severity.CRITICAL
            if urgent or (not held and sender.limit.available()):
                if not self._send(sender, alert, state):
                    return
            else:  # no token, or alerts already held: it joins them, and they go out as one summary
                self._hold(name, state, entry, alert)

    def _hold(self, name: str, state: _Stream, entry: dict[str, Any], alert: Alert) -> None:
        """Move the outbox head to the channel's held list (details up to a bound, then a count)."""
        cursor = state.cursor
        held: dict[str, Any] = cursor.state.get("held", {})
        mine = held.get(name, {"alerts": [], "more": 0})
        brief = {k: v for k, v in entry.items() if k != "record"}
        if len(mine["alerts"]) < HELD_DETAIL_LIMIT:
            mine = {"alerts": [*mine["alerts"], brief], "more": mine["more"]}
        else:
            mine = {"alerts": mine["alerts"], "more": mine["more"] + 1}
        cursor.state = {**self._popped(cursor, name), "held": {**held, name: mine}}
        state.store.save(cursor, force=True)
        log.warning(
            "uplink_alert_rate_limited",
            channel=name,
            title=alert.title,
            time=alert.time,
            held_back=sum(len(h["alerts"]) + h["more"] for _, h in self._held(name)),
            consequence="sent in one summary message when the rate limit allows",
        )

    @staticmethod
    def _popped(cursor: Cursor, name: str) -> dict[str, Any]:
        outbox: dict[str, list[Any]] = cursor.state["outbox"]
        return {**cursor.state, "outbox": {**outbox, name: outbox[name][1:]}}

    def _send(self, sender: _Sender, alert: Alert, state: _Stream) -> bool:
        if not self._post(sender, alert):
            return False
        state.cursor.state = self._popped(state.cursor, sender.channel.name)
        state.store.save(state.cursor, force=True)  # right after the 2xx: a kill now resends nothing
        self._delivered(sender, alert)
        return True

    def _send_summary(self, sender: _Sender, held: list[tuple[_Stream, dict[str, Any]]]) -> bool:
        entries = [entry for _, h in held for entry in h["alerts"]]
        entries.sort(key=lambda entry: entry["time"])
        more = sum(h["more"] for _, h in held)
        alert = summary_alert(
            self.site, entries[:HELD_DETAIL_LIMIT], more + max(0, len(entries) - HELD_DETAIL_LIMIT)
        )
        if not self._post(sender, alert):
            return False
        for state, _ in held:
            others = {k: v for k, v in state.cursor.state["held"].items() if k != sender.channel.name}
            state.cursor.state = {**state.cursor.state, "held": others}
            state.store.save(state.cursor, force=True)
        self._delivered(sender, alert)
        return True

    def _post(self, sender: _Sender, alert: Alert) -> bool:
        """One attempt; on failure, log it and set the channel's next attempt."""
        try:
            sender.channel.send(alert)
        except DeliveryError as exc:
            wait = max(sender.backoff_s, exc.retry_after_s or 0.0)
            event = "uplink_alert_refused" if exc.refused else "uplink_alert_delivery_failed"
            (log.error if exc.refused else log.warning)(
                event,
                channel=sender.channel.name,
                title=alert.title,
                reason=str(exc),
                retry_in_s=wait,
                consequence="kept and retried; never dropped",
            )
            sender.next_attempt = self._monotonic() + wait
            sender.backoff_s = min(sender.backoff_s * 2, MAX_BACKOFF_S)
            return False
        sender.backoff_s = self.retry_s
        sender.limit.take()
        return True

    def _delivered(self, sender: _Sender, alert: Alert) -> None:
        self.sent += 1
        log.info(
            "uplink_alert_sent",
            channel=sender.channel.name,
            title=alert.title,
            status=alert.status,
            time=alert.time,
            held_back=alert.held_back,
        )


def _warn_if_in_clear(channel: Channel) -> None:
    """A warning at start when a URL that is a credential would cross the network unencrypted."""
    parts = urllib.parse.urlsplit(channel.url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        log.warning(
            "uplink_alert_channel_in_clear",
            channel=channel.name,
            url=masked_url(channel.url),
            reason="http:// to another machine: the URL (for many services the credential) and every "
            "alert cross the network unencrypted; use https://",
        )


def _exists(path: Path) -> bool:
    """Whether anything is at ``path``, even a file this user cannot read."""
    try:
        path.lstat()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True
