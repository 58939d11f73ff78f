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
from datetime import date, datetime
from typing import Protocol

from brain.names import SEVERITY_RANK, AnomalyKind, Metric, SensorKey, Severity

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
    # Only a start or a strict escalation carries the trigger threshold: a record at a level
    # already reached (eased, then escalated again) or an end record (the release threshold) does not.
    escalated = record.ended_at is None and SEVERITY_RANK[record.severity] > SEVERITY_RANK[known.severity]
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


class StateReading(Protocol):
    """The fields of a state record the daily digest reads (a ``StateV1`` has them)."""

    @property
    def timestamp(self) -> datetime:
        """When."""
        ...

    @property
    def air_temperature_c(self) -> float | None:
        """The trusted air temperature, or ``None``."""
        ...

    @property
    def par_umol_m2_s(self) -> float | None:
        """The trusted PAR, or ``None``."""
        ...


class HealthReading(Protocol):
    """The fields of a sensor-health record the daily digest reads (a ``SensorHealthV1`` has them)."""

    @property
    def timestamp(self) -> datetime:
        """When."""
        ...

    @property
    def sensor(self) -> SensorKey:
        """Which sensor."""
        ...

    @property
    def fault(self) -> str:
        """Its fault (``none`` when healthy)."""
        ...


DIGEST_GAP_S = 900.0
"""Time between two states counts up to this long (a longer gap is a gap, not climate)."""


@dataclass(frozen=True)
class DailyDigest:
    """One local day told in one message (issue 28, item 3): built by :func:`daily_digest`.

    Why here, beside the episodes: the digest is the day's episodes with the day's figures, and
    the uplink (which sends it on ntfy, the webhook and Home Assistant) may not import the report.
    """

    day: date
    mean_c: float | None
    """Mean air temperature over the day's states (each weighted by the time it stood for)."""
    min_c: float | None
    max_c: float | None
    hours_outside: float
    """Hours the air temperature was outside ``band``."""
    band: tuple[float, float]
    light_mol_m2: float | None
    """The day's light integral from PAR, mol/m2 (``None`` without PAR)."""
    open_episodes: list[Episode]
    """Episodes still open at the day's end."""
    closed_episodes: list[Episode]
    """Episodes that ended during the day."""
    sensors_to_check: dict[SensorKey, str]
    """Sensors that had a fault during the day, with the last fault seen."""

    def text(self, site: str) -> str:
        """The one message a grower reads (ASCII units, as the alerts' titles)."""
        low, high = self.band
        parts = [f"{site} {self.day.isoformat()}:"]
        if self.mean_c is None:
            parts.append("no trusted air temperature;")
        else:
            parts.append(
                f"24 h mean {self.mean_c:.1f} C (min {self.min_c:.1f}, max {self.max_c:.1f}), "
                f"{self.hours_outside:.1f} h outside {low:g}-{high:g} C;"
            )
        if self.light_mol_m2 is not None:
            parts.append(f"light {self.light_mol_m2:.1f} mol/m2;")
        opened = ", ".join(
            f"{e.kind.value} ({e.severity.value}) since {e.started_at:%m-%d %H:%M}"
            for e in self.open_episodes
        )
        closed = ", ".join(f"{e.kind.value} ({e.severity.value})" for e in self.closed_episodes)
        parts.append(f"open: {opened or 'none'};")
        parts.append(f"closed today: {closed or 'none'};")
        check = ", ".join(f"{sensor.value} ({fault})" for sensor, fault in self.sensors_to_check.items())
        parts.append(f"sensors to check: {check or 'none'}.")
        return " ".join(parts)


def daily_digest(
    day: date,
    bounds: tuple[datetime, datetime],
    states: Iterable[StateReading],
    anomalies: Iterable[AnomalyRecord],
    health: Iterable[HealthReading],
    *,
    band: tuple[float, float],
) -> DailyDigest:
    """The digest of the local ``day`` whose ``bounds`` are ``[start, end)``, from its records.

    ``anomalies`` may hold earlier records too (an episode open since yesterday is paired from
    its start); ``band``: the air temperature band the hours outside are counted against (the
    ``temperature_low`` and ``temperature_high`` warnings).
    """
    start, end = bounds
    total = covered = outside = light = 0.0
    low_c = high_c = None
    saw_par = False
    last: StateReading | None = None
    for state in states:
        if not start <= state.timestamp < end:
            continue
        temp = state.air_temperature_c
        if temp is not None:
            low_c = temp if low_c is None else min(low_c, temp)
            high_c = temp if high_c is None else max(high_c, temp)
        if last is not None:
            dt = min((state.timestamp - last.timestamp).total_seconds(), DIGEST_GAP_S)
            before = last.air_temperature_c
            if before is not None:
                total += before * dt
                covered += dt
                if not band[0] <= before <= band[1]:
                    outside += dt
            if last.par_umol_m2_s is not None:
                saw_par = True
                light += last.par_umol_m2_s * dt / 1e6
        last = state
    episodes = [e for e in episodes_from(anomalies) if e.overlaps(start, end)]
    faults: dict[SensorKey, str] = {}
    for record in health:
        if start <= record.timestamp < end and str(record.fault) != "none":
            faults[record.sensor] = str(record.fault)
    return DailyDigest(
        day=day,
        mean_c=total / covered if covered else None,
        min_c=low_c,
        max_c=high_c,
        hours_outside=outside / 3600.0,
        band=band,
        light_mol_m2=light if saw_par else None,
        open_episodes=[e for e in episodes if e.ended_at is None or e.ended_at >= end],
        closed_episodes=[e for e in episodes if e.ended_at is not None and e.ended_at < end],
        sensors_to_check=dict(sorted(faults.items())),
    )
