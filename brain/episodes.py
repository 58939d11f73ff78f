"""Anomaly episodes from the ``anomalies`` stream: a start record, severity changes, an end record.

An episode is identified by ``(kind, started_at)`` (docs/schemas/AnomalyV1, schema 1.1): a
severity change (an escalation or an easing) and the end record repeat both. An episode
without an end record is still open (or the daemon stopped while it lasted: the last
record time tells them apart for the reader).

Why here, below the report and the uplink: both pair the records (``brain report`` and
``brain status`` list the episodes, ``brain uplink`` publishes the open ones), and the
import layers keep the uplink from importing the report. The records are anything with
an anomaly record's fields (:class:`AnomalyRecord`): the report reads
:class:`brain.contracts.AnomalyV1`, the uplink its own light reading of the JSON line,
without the record models (its memory budget, docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from brain.names import SEVERITY_RANK, AnomalyKind, Metric, Severity

LOW_KINDS = frozenset(
    {
        AnomalyKind.TEMPERATURE_LOW,
        AnomalyKind.VPD_LOW,
        AnomalyKind.CONDENSATION_RISK,
        AnomalyKind.CO2_LOW,
        AnomalyKind.SUBSTRATE_DRY,
        AnomalyKind.LIGHT_INTEGRAL_LOW,
        AnomalyKind.TEMPERATURE_MEAN_LOW,
    }
)
"""Kinds judged on a value falling below a threshold: their peak is the lowest value."""


class AnomalyRecord(Protocol):
    """The fields of one anomaly record that pairing reads (an ``AnomalyV1`` has them all)."""

    @property
    def kind(self) -> AnomalyKind:
        """What went wrong."""
        ...

    @property
    def metric(self) -> Metric:
        """The quantity judged."""
        ...

    @property
    def severity(self) -> Severity:
        """How urgent this record says it is."""
        ...

    @property
    def started_at(self) -> datetime:
        """When the episode began: with ``kind``, the episode's identity."""
        ...

    @property
    def ended_at(self) -> datetime | None:
        """When it ended; ``None`` on a start or a severity change."""
        ...

    @property
    def threshold(self) -> float:
        """The threshold crossed, at this record's severity."""
        ...

    @property
    def observed_value(self) -> float:
        """The metric's value at the record's time."""
        ...

    @property
    def message(self) -> str:
        """The sentence for the grower."""
        ...


EpisodeKey = tuple[AnomalyKind, datetime]
"""``(kind, started_at)``: what every record of one episode repeats."""


@dataclass(frozen=True)
class Episode:
    """One anomaly episode with what its records say."""

    kind: AnomalyKind
    metric: Metric
    """The metric of the record that made the worst severity: in a family episode (AnomalyV1 1.2)
    an escalation may come from another rule than the one that opened it (``vpd_high`` in a
    ``temperature_high`` episode), and its threshold is in that metric's unit."""
    severity: Severity
    """The worst severity its records reached."""
    started_at: datetime
    ended_at: datetime | None
    threshold: float
    """The threshold that triggered the severity shown (an escalation record carries the critical
    one; an end record's own ``threshold`` is the release one and does not replace it)."""
    first_value: float
    last_value: float
    message: str

    @property
    def key(self) -> EpisodeKey:
        """``(kind, started_at)``."""
        return (self.kind, self.started_at)

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


def episode_key(record: AnomalyRecord) -> EpisodeKey:
    """The episode ``record`` belongs to."""
    return (record.kind, record.started_at)


def with_record(known: Episode | None, record: AnomalyRecord) -> Episode:
    """The episode after one more of its records (``known``: the episode so far, ``None`` for its first)."""
    if known is None:
        return Episode(
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
    worse = max(known.severity, record.severity, key=SEVERITY_RANK.__getitem__)
    escalated = record.severity is worse and record.ended_at is None
    return Episode(
        kind=known.kind,
        metric=record.metric if escalated else known.metric,
        severity=worse,
        started_at=known.started_at,
        ended_at=record.ended_at or known.ended_at,
        threshold=record.threshold if escalated else known.threshold,
        first_value=known.first_value,
        last_value=record.observed_value,
        message=known.message,
    )


def episodes_from(records: Iterable[AnomalyRecord]) -> list[Episode]:
    """Pair start, severity change and end records into episodes, ordered by start time."""
    found: dict[EpisodeKey, Episode] = {}
    for record in records:
        key = episode_key(record)
        found[key] = with_record(found.get(key), record)
    return sorted(found.values(), key=lambda episode: (episode.started_at, episode.kind.value))
