"""Anomaly episodes from the ``anomalies`` stream: a start record, severity changes, an end record.

An episode is identified by ``(kind, started_at)`` (docs/schemas/AnomalyV1, schema 1.1): a
severity change (an escalation or an easing) and the end record repeat both. An episode
without an end record is still open (or the daemon stopped while it lasted: the last
record time tells them apart for the reader).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from brain.contracts import AnomalyKind, AnomalyV1, Metric, Severity

SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
"""Order of severities: the worse of an episode's records is its severity."""

LOW_KINDS = frozenset(
    {
        AnomalyKind.TEMPERATURE_LOW,
        AnomalyKind.VPD_LOW,
        AnomalyKind.CONDENSATION_RISK,
        AnomalyKind.CO2_LOW,
        AnomalyKind.SUBSTRATE_DRY,
    }
)
"""Kinds judged on a value falling below a threshold: their peak is the lowest value."""


@dataclass(frozen=True)
class Episode:
    """One anomaly episode with what its records say."""

    kind: AnomalyKind
    metric: Metric
    severity: Severity
    started_at: datetime
    ended_at: datetime | None
    threshold: float
    first_value: float
    last_value: float
    message: str

    @property
    def is_open(self) -> bool:
        """No end record (yet)."""
        return self.ended_at is None

    @property
    def peak_is_low(self) -> bool:
        """Whether the worst value is the lowest one (``temperature_low``, ``vpd_low``, ...)."""
        return self.kind in LOW_KINDS

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the episode lasted into ``[start, end)``."""
        return self.started_at < end and (self.ended_at is None or self.ended_at > start)


def episodes_from(records: Iterable[AnomalyV1]) -> list[Episode]:
    """Pair start and end records into episodes, ordered by start time."""
    found: dict[tuple[AnomalyKind, datetime], Episode] = {}
    for record in records:
        key = (record.kind, record.started_at)
        known = found.get(key)
        if known is None:
            found[key] = Episode(
                kind=record.kind,
                metric=record.metric,
                severity=record.severity,
                started_at=record.started_at,
                ended_at=record.ended_at,
                threshold=record.threshold,
                first_value=record.observed_value,
                last_value=record.observed_value,
                message=record.message,
            )
            continue
        worse = max(known.severity, record.severity, key=SEVERITY_RANK.__getitem__)
        found[key] = Episode(
            kind=known.kind,
            metric=known.metric,
            severity=worse,
            started_at=known.started_at,
            ended_at=record.ended_at or known.ended_at,
            # the threshold of the severity shown: an escalation record carries the critical one
            threshold=record.threshold if record.severity is worse else known.threshold,
            first_value=known.first_value,
            last_value=record.observed_value,
            message=known.message,
        )
    return sorted(found.values(), key=lambda episode: (episode.started_at, episode.kind.value))
