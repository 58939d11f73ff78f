"""The live side: which fresh records go to which live topic, and which anomaly episodes are open.

Only records read fresh reach these topics (:func:`brain.uplink.messages.is_fresh`).
The open episodes are the exception that proves the rule: they are not an old
value but the current truth, derived from the whole anomaly stream (a start
opens an episode, its end with the same ``kind`` and ``started_at`` closes it),
so they are known after a restart too and sent with every live observation,
which keeps the Home Assistant problem sensor within its ``expire_after``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from brain.contracts import AnomalyV1, ObservationV1, SensorHealthV1, SensorKey
from brain.storage import iter_records
from brain.uplink.messages import Topics


class OpenEpisodes:
    """The anomaly episodes started and not yet ended, by ``(kind, started_at)``."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, datetime], AnomalyV1] = {}

    @classmethod
    def from_log(cls, data_root: Path) -> OpenEpisodes:
        """The episodes open at the end of the stored anomaly stream."""
        episodes = cls()
        if data_root.is_dir():
            for anomaly in iter_records(data_root, "anomalies", AnomalyV1):
                episodes.update(anomaly)
        return episodes

    def update(self, anomaly: AnomalyV1) -> None:
        """A start opens its episode, an end closes it (a repeat of either changes nothing)."""
        key = (anomaly.kind.value, anomaly.started_at)
        if anomaly.ended_at is None:
            self._open[key] = anomaly
        else:
            self._open.pop(key, None)

    def payload(self, site: str, as_of: datetime) -> bytes:
        """``{"site", "active", "episodes": [...], "as_of"}`` for the ``anomaly_active`` topic."""
        episodes = [
            {
                "kind": anomaly.kind.value,
                "severity": anomaly.severity.value,
                "metric": anomaly.metric.value,
                "started_at": anomaly.started_at.isoformat(),
                "observed_value": anomaly.observed_value,
                "threshold": anomaly.threshold,
            }
            for anomaly in sorted(self._open.values(), key=lambda item: (item.started_at, item.kind.value))
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

    def messages(self, stream: str, record: BaseModel, message: bytes) -> list[tuple[str, bytes]]:
        """The live messages of one fresh record (``message`` is its history message)."""
        if isinstance(record, ObservationV1):
            return [
                (self.topics.live(stream), message),
                (self.topics.anomaly_active, self.episodes.payload(self.site, record.timestamp)),
            ]
        if isinstance(record, AnomalyV1):
            return [
                (self.topics.live(stream), message),
                (self.topics.anomaly_active, self.episodes.payload(self.site, record.timestamp)),
            ]
        if isinstance(record, SensorHealthV1):
            if record.sensor.value in self.sensors:
                return [(self.topics.live_health(record.sensor.value), message)]
            return []
        if stream == "state":
            return [(self.topics.live(stream), message)]
        return []
