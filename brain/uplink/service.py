"""``brain uplink``'s loop: follow every stream, publish, count acknowledgements, store the cursors.

One thread does it all (the alerts have their own, :mod:`brain.uplink.alerts`):
each turn lists what is new in the data root, reads up to the free room in the
delivery windows, publishes, lets paho send and receive, moves each window past
its acknowledged front and writes the cursors (at most once a second each). It
never writes to the data root and the daemon never waits for it: a slow or
absent broker only makes the backlog on disk longer, and the backlog drains at
the broker's pace when it is back (``bench/uplink.py``).

Connection trouble never ends the process: each failed attempt is logged with
its reason (``uplink_connect_failed``: refused login, untrusted certificate,
unreachable host) and retried after 1, 2, 4, ... up to 300 seconds, so a fixed
broker is used again without anyone restarting brain, and a wrong password does
not become a crash loop. The back-off goes back to 1 s only after a connection
has lasted :data:`STABLE_S`: a broker that accepts the connection and then drops
it (Mosquitto does, after refusing a message by ACL or size) is retried ever more
slowly too, not every second forever (issue 24). A refused message is logged with
its topic and reason code (``uplink_publish_refused``) and never counted as
delivered.

Home Assistant's birth message (``online`` on ``<discovery_prefix>/status``) makes
the uplink publish the discovery configs again, at most once a minute (a later one
is done when the minute is up); anything longer than a few bytes there is ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog

from brain.advice import AdviceBook
from brain.uplink.advice import AdviceFeed, recent_book
from brain.uplink.cursor import MQTT_CONSUMER, CursorStore, cursor_path, new_epoch
from brain.uplink.digest import DigestTopic
from brain.uplink.discovery import Cadence, discovery_configs
from brain.uplink.follow import Line, PartIndex, StreamFollower, seal_complete, tidy_after_full_listing
from brain.uplink.live import LiveFeed, OpenEpisodes
from brain.uplink.messages import AVAILABILITY_OFFLINE, AVAILABILITY_ONLINE, Topics, envelope, is_fresh
from brain.uplink.publisher import BrokerConnection, ConnectError, Credentials
from brain.uplink.records import AnomalyLine, read_record
from brain.uplink.settings import UplinkSettings
from brain.uplink.window import DeliveryWindow, Sent

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 300.0
STABLE_S = 60.0
"""A connection that lasted this long was a working one: the back-off starts again at 1 s."""
REANNOUNCE_S = 60.0
"""Least time between two publications of the discovery configs for Home Assistant's birth message."""
_BIRTH_MAX_BYTES = 16
_EPISODES = "open_episodes"
_IDLE_S = 0.2
_READ_BATCH = 256


@dataclass(frozen=True)
class UplinkPlan:
    """Everything the uplink needs, taken from the whole configuration by the CLI."""

    data_root: Path
    site: str
    settings: UplinkSettings
    cadence: Cadence
    version: str
    device_kinds: dict[str, str] = field(default_factory=dict)
    """``[advisor.devices]``: device name to kind, for the advice entity of each kind."""
    timezone: str = "UTC"
    """The site's time zone: the daily digest's day and hour."""

    @property
    def live_max_age_s(self) -> float:
        """Oldest record sent live: the setting, or two poll intervals."""
        configured = self.settings.live_max_age_s
        return configured if configured is not None else 2 * self.cadence.poll_interval_s

    @property
    def client_id(self) -> str:
        """The setting, or ``brain-<site>`` cut to MQTT 3.1.1's guaranteed 23 characters."""
        return self.settings.client_id or f"brain-{self.site}"[:23]


class StreamDelivery:
    """One stream's follower, delivery window and cursor store."""

    def __init__(self, plan: UplinkPlan, index: PartIndex, stream: str) -> None:
        self.stream = stream
        self.store = CursorStore(
            cursor_path(plan.data_root, MQTT_CONSUMER, stream),
            stream,
            min_interval_s=plan.settings.cursor_interval_s,
        )
        cursor = self.store.load()
        self.window = DeliveryWindow(cursor)
        self.follower = StreamFollower(index, stream, cursor.files, cursor.sealed)
        self.delivered = 0
        self.skipped = 0
        self.drained = False
        """The last read found nothing new."""
        self.checked_frontier = False
        """Whether the cursor's last known part was compared with what retention left (first listing)."""
        if self.store.fresh_start and index.parts(stream):
            log.warning(
                "uplink_cursor_missing",
                file=str(self.store.path),
                stream=stream,
                parts_kept=len(index.parts(stream)),
                epoch=cursor.epoch,
                consequence="every record kept is delivered from the oldest, under this new epoch",
            )

    def rewind(self) -> None:
        """Read again from what the broker acknowledged."""
        self.window.rewind()
        self.follower.reset(self.window.committed.files, self.window.committed.sealed)
        self.drained = False

    def after_full_listing(self, index: PartIndex) -> list[tuple[str, int | None]]:
        """Keep the cursor small and true after a full listing; return the parts lost to retention.

        Each lost part comes with the bytes lost (``None``: not known, the uplink was not running
        when retention deleted its run). Entries of deleted runs are dropped; unreadable parts get
        an entry (so that sealing never covers them); compressed parts delivered to their end are
        sealed (:meth:`brain.uplink.cursor.Cursor.seal`).
        """
        committed = self.window.committed
        lost: list[tuple[str, int | None]] = []
        for part, size in index.vanished:
            if part.key.rsplit("/", 1)[-1].split(".", 1)[0] != self.stream:
                continue
            done = committed.files.get(part.key)
            delivered = (
                size if committed.is_sealed(part.key, part.compressed) else (done.offset if done else 0)
            )
            if size > delivered:
                lost.append((part.key, size - delivered))
        oldest = index.oldest_run
        if not self.checked_frontier:
            self.checked_frontier = True
            known = [*committed.files, *([committed.sealed] if committed.sealed else [])]
            frontier = max(known, default=None)
            deleted = frontier is not None and oldest is not None and frontier.split("/", 1)[0] < oldest
            if frontier is not None and deleted and index.parts(self.stream):  # else: no longer written
                lost.append((frontier, None))
        tidy_after_full_listing(committed, index, self.follower.unreadable)
        self.follower.sealed = committed.sealed
        return lost

    def seal(self, index: PartIndex) -> None:
        """Drop the cursor entries of compressed parts delivered to their end (the cursor stays small)."""
        seal_complete(self.window.committed, index)
        self.follower.sealed = self.window.committed.sealed


class Uplink:
    """The MQTT side of ``brain uplink`` (see the module docstring)."""

    def __init__(
        self,
        plan: UplinkPlan,
        credentials: Credentials,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.credentials = credentials
        self._now = now
        self._monotonic = monotonic
        settings = plan.settings
        self.topics = Topics(settings.topic_prefix, plan.site)
        self.index = PartIndex(plan.data_root)
        self.index.refresh(full=True)
        self.deliveries = [StreamDelivery(plan, self.index, stream) for stream in settings.streams]
        self.episodes = self._open_episodes() if settings.discovery else OpenEpisodes()
        self.live = LiveFeed(plan.site, self.topics, settings.sensors, self.episodes)
        self.advising = settings.discovery and {"actions", "device_status"} <= set(settings.streams)
        """Home Assistant gets an advice entity per device kind (needs both streams delivered)."""
        self.advice = AdviceFeed(
            plan.site,
            self.topics,
            recent_book(self.index, plan.device_kinds) if self.advising else AdviceBook(),
        )
        self.discovery = (
            discovery_configs(
                site=plan.site,
                topics=self.topics,
                discovery_prefix=settings.discovery_prefix,
                sensors=settings.sensors,
                cadence=plan.cadence,
                version=plan.version,
                advice_kinds=sorted(set(plan.device_kinds.values())) if self.advising else [],
                digest=settings.alerts.digest,
            )
            if settings.discovery
            else []
        )
        self.ha_status_topic = f"{settings.discovery_prefix}/status"
        self._connection: BrokerConnection | None = None
        self._sent: dict[int, tuple[StreamDelivery, Sent]] = {}
        self._backoff_s = 1.0
        self._next_attempt = 0.0
        self._connected_at = 0.0
        self._mqtt5 = True
        self._cautious = False
        """One message in flight at a time, no live messages: the last connection died soon after
        CONNACK, and a broker that refuses a message closes the connection right after its PUBACK,
        which paho reads only if nothing else was being written (the refused topic is then known)."""
        self._republish = False
        self._announced_at: float | None = None
        self._scans = -1
        self.connections = 0
        """Successful connections so far."""
        self.give_up_after_s: float | None = None
        """With ``exit_when_drained``: stop after this long without a broker (``--give-up-after``)."""
        self.drained = False
        """True once ``run`` ended because everything on disk was acknowledged."""
        self.gave_up: str | None = None
        """Why ``run`` gave up (the last connection failure), or ``None``."""
        self._unreachable_since = monotonic()
        self._last_failure = ""
        self._digest = DigestTopic(plan.data_root, plan.site, plan.timezone, settings.alerts)

    def _open_episodes(self) -> OpenEpisodes:
        """From the anomalies cursor; from the log only when the cursor does not hold them (live.py)."""
        delivery = next((d for d in self.deliveries if d.stream == "anomalies"), None)
        if delivery is not None and delivery.store.fresh_start:
            return OpenEpisodes()  # every anomaly is delivered from the start: they are found on the way
        saved = delivery.window.committed.state.get(_EPISODES) if delivery is not None else None
        if isinstance(saved, list):
            try:
                return OpenEpisodes.from_state(saved)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning(
                    "uplink_open_episodes_unreadable", reason=str(exc)[:200], action="read from the log"
                )
        return OpenEpisodes.from_log(self.plan.data_root)

    # the loop

    def run(self, stop: threading.Event, *, exit_when_drained: bool = False) -> None:
        """Deliver until ``stop`` is set (or, with ``exit_when_drained``, until nothing is left)."""
        log.info(
            "uplink_started",
            broker=f"{self.plan.settings.host}:{self.plan.settings.port}",
            tls=self.plan.settings.tls,
            streams=[delivery.stream for delivery in self.deliveries],
            data_root=str(self.plan.data_root),
        )
        self._unreachable_since = self._monotonic()
        try:
            while not stop.is_set():
                connection = self._connection or self._connect(stop)
                if connection is None:
                    if exit_when_drained and self._give_up_due():
                        break
                    continue
                worked = self._turn(connection)
                if exit_when_drained and self._all_delivered():
                    self.drained = True
                    break
                if not connection.loop(0.0 if worked else _IDLE_S):
                    self._lost(connection)
                self._take_acks(connection)
                self._commit()
                if self._connection is not None and self._monotonic() - self._connected_at >= STABLE_S:
                    self._backoff_s, self._cautious = 1.0, False
        finally:
            self._stop()

    def _turn(self, connection: BrokerConnection) -> bool:
        """List, read and publish what the windows have room for; True if anything was read."""
        self.index.refresh()
        if self.index.scans != self._scans or self.index.vanished:
            self._scans = self.index.scans
            self._after_full_listing()
        if self._republish and (
            self._announced_at is None or self._monotonic() - self._announced_at >= REANNOUNCE_S
        ):
            self._republish = False
            self._announced_at = self._monotonic()
            self._announce(connection)
            log.info("uplink_home_assistant_online", action="discovery configs published again")
        if self.plan.settings.discovery and (due := self._digest.due(self._now())) is not None:
            connection.publish(self.topics.digest, due, qos=1, retain=True)
        most = 1 if self._cautious else self.plan.settings.max_in_flight
        room = most - sum(d.window.in_flight for d in self.deliveries)
        worked = False
        for delivery in self.deliveries:
            if room <= 0:
                break
            lines = delivery.follower.read(min(room, _READ_BATCH))
            delivery.drained = not lines
            for line in lines:
                worked = True
                room -= self._deliver(connection, delivery, line)
                if not connection.connected:
                    return worked
        return worked

    def _deliver(self, connection: BrokerConnection, delivery: StreamDelivery, line: Line) -> int:
        """Publish one line (history, and live if fresh); return 1 if it entered the window."""
        if line.too_long:  # logged by the follower with its part and offset
            delivery.window.skip(line.key, line.end)
            delivery.skipped += 1
            return 0
        try:
            record = read_record(line.data)
            anomaly = AnomalyLine.from_fields(record.data) if delivery.stream == "anomalies" else None
            if self.advising:
                self.advice.update(delivery.stream, record.data)
        except ValueError as exc:
            delivery.window.skip(line.key, line.end)
            delivery.skipped += 1
            log.warning(
                "uplink_malformed_line",
                file=str(self.plan.data_root / line.key),
                line=line.number,
                reason=str(exc).splitlines()[0][:200],
                consequence="not published, no sequence number used",
            )
            return 0
        timestamp = record.timestamp
        sent = delivery.window.send(line.key, line.end, timestamp.isoformat())
        message = envelope(
            self.plan.site, delivery.stream, delivery.window.committed.epoch, sent.seq or 0, line.data
        )
        mid = connection.publish(self.topics.history(delivery.stream), message, qos=1)
        if mid is not None:
            self._sent[mid] = (delivery, sent)
        if anomaly is not None:
            self.episodes.update(anomaly)
        live = self.plan.settings.discovery and not self._cautious
        if live and is_fresh(timestamp, self._now(), self.plan.live_max_age_s):
            for topic, payload in self.live.messages(delivery.stream, record, message):
                connection.publish(topic, payload, qos=0)
            if self.advising and delivery.stream in ("actions", "device_status"):
                for topic, payload in self.advice.messages(timestamp):
                    connection.publish(topic, payload, qos=0, retain=True)
        return 1

    def _take_acks(self, connection: BrokerConnection) -> None:
        acked, connection.acked = connection.acked, []
        for mid in acked:
            entry = self._sent.pop(mid, None)
            if entry is not None:
                entry[0].window.ack(entry[1])
        refused, connection.refused = connection.refused, []
        for refusal in refused:
            entry = self._sent.get(refusal.mid)
            log.error(
                "uplink_publish_refused",
                topic=refusal.topic,
                reason=refusal.reason,
                reason_code=refusal.code,
                stream=entry[0].stream if entry else None,
                seq=entry[1].seq if entry else None,
                consequence="not delivered: sent again after the back-off until the broker takes it "
                "(check the broker's ACL for this topic and its message size limit)",
            )
        if refused and self._connection is connection:
            connection.lost_reason = f"the broker refused a message ({refused[0].reason})"
            self._lost(connection)

    def _commit(self, *, force: bool = False) -> None:
        for delivery in self.deliveries:
            delivery.delivered += delivery.window.advance()
            if delivery.stream == "anomalies" and self.plan.settings.discovery:
                delivery.window.committed.state = {_EPISODES: self.episodes.to_state()}
            delivery.store.save(delivery.window.committed, force=force)

    def _give_up_due(self) -> bool:
        """True (:attr:`gave_up` set) once ``give_up_after_s`` passed with no broker since start or loss."""
        limit = self.give_up_after_s
        if limit is None or not self._last_failure:
            return False
        if self._monotonic() - self._unreachable_since < limit:
            return False
        self.gave_up = self._last_failure
        return True

    def _all_delivered(self) -> bool:
        return all(d.drained and d.window.empty for d in self.deliveries)

    def _after_full_listing(self) -> None:
        for delivery in self.deliveries:
            lost = delivery.after_full_listing(self.index)
            if lost:
                self._new_epoch_after_loss(delivery, lost)

    def _new_epoch_after_loss(self, delivery: StreamDelivery, lost: list[tuple[str, int | None]]) -> None:
        """Retention deleted records before they were delivered: count, log, and begin a new epoch.

        Why a new epoch and not a jump in ``seq``: how many records a deleted part held is not
        known (its bytes are, while the uplink saw it), and a wrong jump would be worse than
        none; a new epoch tells every consumer that records may be missing between the last
        message of the old epoch and the first of the new (docs/fleet.md, "Sequence numbers").
        """
        committed = delivery.window.committed
        known = [size for _, size in lost if size is not None]
        lines = sum(p.lines for p in committed.files.values())
        mean_line = sum(p.offset for p in committed.files.values()) / lines if lines else 300.0
        old_epoch = committed.epoch
        for mid in [mid for mid, (owner, _) in self._sent.items() if owner is delivery]:
            del self._sent[mid]
        committed.epoch, committed.next_seq = new_epoch(), 0
        committed.lost_parts += len(lost)
        committed.lost_bytes += sum(known)
        delivery.rewind()
        delivery.store.save(committed, force=True)
        log.error(
            "uplink_records_lost_to_retention",
            stream=delivery.stream,
            parts=[key for key, _ in lost][:10],
            parts_count=len(lost),
            bytes=sum(known) if len(known) == len(lost) else None,
            records_estimated=round(sum(known) / mean_line) if len(known) == len(lost) else None,
            reason="retention deleted runs that were not delivered yet"
            if len(known) == len(lost)
            else "the last delivered part is gone: runs after it may have been deleted undelivered",
            old_epoch=old_epoch,
            new_epoch=committed.epoch,
            consequence="sequence numbers start again at 0 under the new epoch",
        )

    # connecting

    def _connect(self, stop: threading.Event) -> BrokerConnection | None:
        wait = self._next_attempt - self._monotonic()
        if wait > 0:
            stop.wait(min(wait, 1.0))
            return None
        connection = BrokerConnection(
            self.plan.settings,
            self.credentials,
            client_id=self.plan.client_id,
            will_topic=self.topics.availability,
            on_message=self._message,
            mqtt5=self._mqtt5,
        )
        try:
            connection.connect()
        except ConnectError as exc:
            self._last_failure = str(exc)
            log.error(
                "uplink_connect_failed", reason=str(exc), refused=exc.refused, retry_in_s=self._backoff_s
            )
            if self._mqtt5 and "protocol" in str(exc).lower():
                self._mqtt5 = False  # a broker of MQTT 3.1.1 only: refusals then go unseen (docs/fleet.md)
                log.warning("uplink_mqtt5_unsupported", action="trying MQTT 3.1.1 at the next attempt")
            self._next_attempt = self._monotonic() + self._backoff_s
            self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)
            return None
        self._connected_at = self._monotonic()
        self.connections += 1
        for delivery in self.deliveries:
            delivery.rewind()
        self._sent.clear()
        if self.plan.settings.discovery:
            connection.subscribe(self.ha_status_topic)
        self._announce(connection)
        log.info(
            "uplink_connected",
            broker=f"{self.plan.settings.host}:{self.plan.settings.port}",
            resume={d.stream: d.window.next_seq for d in self.deliveries},
        )
        self._connection = connection
        return connection

    def _announce(self, connection: BrokerConnection) -> None:
        """Availability ``online`` and every discovery config, retained (one at a time when cautious)."""
        messages = [(self.topics.availability, AVAILABILITY_ONLINE.encode()), *self.discovery]
        if self.plan.settings.discovery and self._digest.payload is not None:
            messages.append((self.topics.digest, self._digest.payload))  # a broker may forget retained ones
        for topic, payload in messages:
            mid = connection.publish(topic, payload, qos=1, retain=True)
            if self._cautious and mid is not None:
                deadline = self._monotonic() + 5.0
                while connection.topic_of(mid) is not None and self._monotonic() < deadline:
                    if not connection.loop(0.05):
                        return
                if connection.refused:
                    return  # logged and answered by _take_acks

    def _message(self, topic: str, payload: bytes) -> None:
        """Home Assistant's birth message: publish the configs again (once a minute at most)."""
        if (
            topic == self.ha_status_topic
            and len(payload) <= _BIRTH_MAX_BYTES
            and payload.strip() == b"online"
        ):
            self._republish = True

    def _lost(self, connection: BrokerConnection) -> None:
        """The connection died: reconnect after the back-off, which keeps growing unless it had lasted."""
        lasted = self._monotonic() - self._connected_at
        if lasted >= STABLE_S:
            self._backoff_s = 1.0
        else:
            self._cautious = True
        oldest = min(self._sent, default=None)
        log.warning(
            "uplink_connection_lost",
            reason=connection.lost_reason,
            lasted_s=round(lasted, 1),
            unacknowledged=sum(d.window.in_flight for d in self.deliveries),
            oldest_unacknowledged_topic=connection.topic_of(oldest) if oldest is not None else None,
            retry_in_s=self._backoff_s,
            consequence="reconnecting; what was not acknowledged is sent again",
        )
        connection.close()
        self._connection = None
        self._next_attempt = self._monotonic() + self._backoff_s
        self._unreachable_since = self._monotonic()
        self._last_failure = f"the connection was lost: {connection.lost_reason}"
        self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)

    def _stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.connected:
            deadline = self._monotonic() + 2.0
            while connection.connected and self._sent and self._monotonic() < deadline:
                connection.loop(0.05)
                self._take_acks(connection)
            self._take_acks(connection)
            self._commit(force=True)
            connection.close(goodbye=(self.topics.availability, AVAILABILITY_OFFLINE.encode()), drain_s=1.0)
        for delivery in self.deliveries:
            delivery.delivered += delivery.window.advance()
            delivery.seal(self.index)
        self._commit(force=True)
        for delivery in self.deliveries:
            delivery.follower.close()
        log.info(
            "uplink_stopped",
            delivered={d.stream: d.delivered for d in self.deliveries},
            next_seq={d.stream: d.window.committed.next_seq for d in self.deliveries},
            malformed_lines_skipped={d.stream: d.skipped for d in self.deliveries},
        )
