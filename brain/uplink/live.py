"""The live side: which fresh records go to which live topic, and which anomaly episodes are open.

Only records read fresh reach these topics (:func:`brain.uplink.messages.is_fresh`).
The open episodes are the exception that proves the rule: they are not an old
value but the current truth, derived from the whole anomaly stream (records paired
into episodes by :mod:`brain.episodes`, as ``brain status`` and the report pair them:
a start opens an episode, its end with the same ``kind`` and ``started_at`` closes it),
so they are known after a restart too and sent with every live observation,
which keeps the Home Assistant problem sensor within its ``expire_after``.

Why they are kept in the ``anomalies`` cursor (``state.open_episodes``): finding them
again from the log at each start decompressed the whole compressed anomaly history
(issue 24: a start must not decompress history). The log is read only when the cursor
has no such state yet (a format 1 cursor, or anomalies not delivered over MQTT).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from brain.episodes import Episode, EpisodeKey, episode_key, with_record
from brain.names import AnomalyKind, Metric, SensorKey, Severity
from brain.uplink.follow import PartIndex, StreamFollower
from brain.uplink.messages import Topics
from brain.uplink.records import AnomalyLine, Record

_READ_BATCH = 1000
SAVED_EPISODES = 8
"""Open episodes kept in the cursor: the newest; more at once means a log no daemon writes (each
episode of one kind and metric ends before the next begins), and the cursor must stay under 4 KB."""
_MESSAGE_CHARS = 120


class OpenEpisodes:
    """The anomaly episodes started and not yet ended, by ``(kind, started_at)``."""

    def __init__(self) -> None:
        self._open: dict[EpisodeKey, Episode] = {}

    @classmethod
    def from_log(cls, data_root: Path) -> OpenEpisodes:
        """The episodes open at the end of the stored anomaly stream (a damaged line is passed by)."""
        episodes = cls()
        index = PartIndex(data_root)
        index.refresh(full=True)
        follower = StreamFollower(index, "anomalies", {})
        try:
            while lines := follower.read(_READ_BATCH):
                for line in lines:
                    try:
                        anomaly = AnomalyLine.of(line.data)
                    except ValueError:
                        continue  # logged when the uplink delivers it
                    episodes.update(anomaly)
        finally:
            follower.close()
        return episodes

    @classmethod
    def from_state(cls, saved: list[dict[str, Any]]) -> OpenEpisodes:
        """The episodes :meth:`to_state` saved; :class:`ValueError` (or ``KeyError``) if damaged."""
        episodes = cls()
        for item in saved:
            episode = Episode(
                kind=AnomalyKind(item["kind"]),
                metric=Metric(item["metric"]),
                severity=Severity(item["severity"]),
                started_at=datetime.fromisoformat(item["started_at"]),
                ended_at=None,
                threshold=float(item["threshold"]),
                first_value=float(item["first_value"]),
                last_value=float(item["last_value"]),
                message=str(item["message"]),
            )
            episodes._open[episode.key] = episode
        return episodes

    def to_state(self) -> list[dict[str, Any]]:
        """The newest :data:`SAVED_EPISODES` open episodes as JSON values, for the cursor (kept small)."""
        newest = sorted(self._open.values(), key=lambda e: e.started_at)[-SAVED_EPISODES:]
        return [
            {
                "kind": e.kind.value,
                "metric": e.metric.value,
                "severity": e.severity.value,
                "started_at": e.started_at.isoformat(),
                "threshold": e.threshold,
                "first_value": e.first_value,
                "last_value": e.last_value,
                "message": e.message[:_MESSAGE_CHARS],
            }
            for e in newest
        ]

    def update(self, anomaly: AnomalyLine) -> None:
        """One more record: a start opens its episode, an end closes it (a repeat changes nothing)."""
        key = episode_key(anomaly)
        episode = with_record(self._open.get(key), anomaly)
        if episode.is_open:
            self._open[key] = episode
        else:
            self._open.pop(key, None)

    def payload(self, site: str, as_of: datetime) -> bytes:
        """``{"site", "active", "episodes": [...], "as_of"}`` for the ``anomaly_active`` topic.

        Each episode as ``brain status`` shows it: the worst severity so far and its
        threshold, the latest value.
        """
        episodes = [
            {
                "kind": episode.kind.value,
                "severity": episode.severity.value,
                "metric": episode.metric.value,
                "started_at": episode.started_at.isoformat(),
                "observed_value": episode.last_value,
                "threshold": episode.threshold,
            }
            for episode in sorted(self._open.values(), key=lambda item: (item.started_at, item.kind.value))
        ]
        body = {"site": site, "active": bool(episodes), "episodes": episodes, "as_of": as_of.isoformat()}
        return json.dumps(body).encode()


class LiveFeed:
    """Turns a fresh record into its live messages ``(topic, payload)``."""

    def __init__(self, site: str, topics: Topics, sensors: list[SensorKey], episodes: OpenEpisodes) -> None:
        self.site = site
        self.topics = topics
        self.sensors = {sensor.value for sensor in sensors}
        self.episodes = episodes

    def messages(self, stream: str, record: Record, message: bytes) -> list[tuple[str, bytes]]:
        """The live messages of one fresh record of ``stream`` (``message`` is its history message)."""
        if stream in ("observations", "anomalies"):
            return [
                (self.topics.live(stream), message),
                (self.topics.anomaly_active, self.episodes.payload(self.site, record.timestamp)),
            ]
        if stream == "sensor_health":
            sensor = record.data.get("sensor")
            if isinstance(sensor, str) and sensor in self.sensors:
                return [(self.topics.live_health(sensor), message)]
            return []
        if stream in ("state", "actions"):
            return [(self.topics.live(stream), message)]
        return []
