"""A stored line as the uplink reads it: JSON and the few fields it acts on, not the record models.

Why not :mod:`brain.contracts`: importing it builds all six pydantic record models, and
with them ``brain uplink`` missed its 40 MB memory budget (docs/performance.md). The
uplink publishes each line exactly as stored, so what it must know of a line is
little: that it is a record at all (a JSON object with an aware ISO 8601
``timestamp``: what freshness and the cursor's "last delivered" need), and for the
anomaly and sensor health streams the fields that open and close episodes and raise
alerts (:class:`AnomalyLine`, :class:`HealthLine`). Every record was validated
against its contract before the daemon wrote it, so a line that fails these checks
is damage on disk, which they catch; a line that passes them is what the daemon
wrote. A check failing raises :class:`ValueError` with the reason, and the line is
logged and skipped (``uplink_malformed_line``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brain.json_fields import aware_time, number, text
from brain.names import AnomalyKind, HealthStatus, Metric, SensorKey, Severity


@dataclass(frozen=True)
class Record:
    """One stored line, parsed: its fields and its own time."""

    data: dict[str, Any]
    timestamp: datetime


def read_record(line: bytes) -> Record:
    """The record of one stored line; :class:`ValueError` if it is not a JSON object with a ``timestamp``."""
    try:
        data = json.loads(line)
    except RecursionError:
        raise ValueError("nested too deeply to be a record") from None
    if not isinstance(data, dict):
        raise ValueError(f"a record is a JSON object, not {type(data).__name__}")
    return Record(data, aware_time(data, "timestamp"))


@dataclass(frozen=True)
class AnomalyLine:
    """What an ``anomalies`` line says about its episode (a :class:`brain.episodes.AnomalyRecord`)."""

    kind: AnomalyKind
    metric: Metric
    severity: Severity
    started_at: datetime
    ended_at: datetime | None
    threshold: float
    observed_value: float
    message: str

    @classmethod
    def of(cls, record: Record) -> AnomalyLine:
        """Read the fields; :class:`ValueError` naming the first that is missing or wrong."""
        data = record.data
        return cls(
            kind=AnomalyKind(text(data, "kind")),
            metric=Metric(text(data, "metric")),
            severity=Severity(text(data, "severity")),
            started_at=aware_time(data, "started_at"),
            ended_at=None if data.get("ended_at") is None else aware_time(data, "ended_at"),
            threshold=number(data, "threshold"),
            observed_value=number(data, "observed_value"),
            message=text(data, "message"),
        )


@dataclass(frozen=True)
class HealthLine:
    """What a ``sensor_health`` line says: which sensor, how far it is trusted, since when."""

    sensor: SensorKey
    status: HealthStatus
    fault: str
    since: datetime
    timestamp: datetime

    @classmethod
    def of(cls, record: Record) -> HealthLine:
        """Read the fields; :class:`ValueError` naming the first that is missing or wrong."""
        data = record.data
        return cls(
            sensor=SensorKey(text(data, "sensor")),
            status=HealthStatus(text(data, "status")),
            fault=text(data, "fault"),
            since=aware_time(data, "since"),
            timestamp=record.timestamp,
        )
