"""The anomaly and sensor-health lines of a data root, read as JSON without the record models.

Why one definition: ``brain status`` (:mod:`brain.report.lines`) and ``brain uplink``
(:mod:`brain.uplink.records`) both read these two streams without importing
:mod:`brain.contracts` (their start-up and memory budgets, issues 19 and 29), and each
needs the same fields checked the same way: the ones that pair anomaly records into
episodes (:class:`brain.episodes.AnomalyRecord`) and say how far a sensor is trusted.
Every record was validated against its contract before the daemon wrote it, so a line
that fails here is damage on disk: :class:`ValueError` names the first field that is
missing or wrong, and each reader skips the line in its own way.

Named tuples rather than dataclasses: creating a dataclass costs about 0.4 ms at import,
a visible share of ``brain status``'s budget.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from brain.json_fields import aware_time, number, text
from brain.names import AnomalyKind, HealthStatus, Metric, SensorKey, Severity


def json_object(line: bytes) -> dict[str, Any]:
    """One line as a JSON object; :class:`ValueError` if it is not one or is nested too deep to parse."""
    try:
        data = json.loads(line)
    except RecursionError:
        raise ValueError("nested too deeply to be a record") from None
    if not isinstance(data, dict):
        raise ValueError(f"a record is a JSON object, not {type(data).__name__}")
    return data


class AnomalyLine(NamedTuple):
    """What an ``anomalies`` line says about its episode."""

    timestamp: datetime
    kind: AnomalyKind
    metric: Metric
    severity: Severity
    started_at: datetime
    ended_at: datetime | None
    threshold: float
    observed_value: float
    message: str

    @classmethod
    def from_fields(cls, data: Mapping[str, Any]) -> AnomalyLine:
        """Read the fields; :class:`ValueError` naming the first that is missing or wrong."""
        return cls(
            timestamp=aware_time(data, "timestamp"),
            kind=AnomalyKind(text(data, "kind")),
            metric=Metric(text(data, "metric")),
            severity=Severity(text(data, "severity")),
            started_at=aware_time(data, "started_at"),
            ended_at=None if data.get("ended_at") is None else aware_time(data, "ended_at"),
            threshold=number(data, "threshold"),
            observed_value=number(data, "observed_value"),
            message=text(data, "message"),
        )

    @classmethod
    def of(cls, line: bytes) -> AnomalyLine:
        """Parse one stored line; :class:`ValueError` if it is not one."""
        return cls.from_fields(json_object(line))


class HealthLine(NamedTuple):
    """What a ``sensor_health`` line says: which sensor, how far it is trusted, since when."""

    timestamp: datetime
    sensor: SensorKey
    status: HealthStatus
    fault: str
    since: datetime

    @classmethod
    def from_fields(cls, data: Mapping[str, Any]) -> HealthLine:
        """Read the fields; :class:`ValueError` naming the first that is missing or wrong."""
        return cls(
            timestamp=aware_time(data, "timestamp"),
            sensor=SensorKey(text(data, "sensor")),
            status=HealthStatus(text(data, "status")),
            fault=text(data, "fault"),
            since=aware_time(data, "since"),
        )

    @classmethod
    def of(cls, line: bytes) -> HealthLine:
        """Parse one stored line; :class:`ValueError` if it is not one."""
        return cls.from_fields(json_object(line))
