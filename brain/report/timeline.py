"""Periods of a day: sensor health, relay runs, positions, episode levels and gaps, as spans of time.

Why spans: a record says what was true *from* a moment (a health record from its ``since``,
a relay status until the next poll), and a chart or a sentence needs "from when to when".
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from brain.contracts import AnomalyV1, DeviceStatusV1, HealthStatus, RelayState, SensorHealthV1, SensorKey
from brain.episodes import Episode, episode_key
from brain.names import SEVERITY_RANK


@dataclass(frozen=True)
class Span:
    """``[start, end)`` with a label: a health status, a relay name, ``gap``."""

    start: datetime
    end: datetime
    label: str

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end - self.start).total_seconds() / 3600.0


def health_spans(
    records: Sequence[SensorHealthV1], start: datetime, end: datetime
) -> dict[SensorKey, list[Span]]:
    """Each sensor's status over ``[start, end)``: one span per status (``ok`` or ``faulty: stuck_at``).

    A record's status holds from its ``since``; the last one holds to ``end`` (the end of
    the data), so a sensor faulty all day is one span from the day's start to its end.
    """
    spans: dict[SensorKey, list[Span]] = {}
    for record in records:
        label = record.status.value
        if record.status is not HealthStatus.OK and record.fault.value != "none":
            label = f"{record.status.value}: {record.fault.value}"
        own = spans.setdefault(record.sensor, [])
        if own and own[-1].label == label:
            continue
        begin = max(record.since, start, own[-1].start if own else start)
        if own:
            own[-1] = Span(own[-1].start, begin, own[-1].label)
        own.append(Span(begin, end, label))
    return {sensor: [s for s in own if s.end > s.start] for sensor, own in spans.items()}


def faulty_spans(health: dict[SensorKey, list[Span]]) -> dict[SensorKey, list[Span]]:
    """The spans in which a sensor was faulty: its readings then are left out of the figures."""
    return {
        sensor: [s for s in spans if s.label.startswith(HealthStatus.FAULTY.value)]
        for sensor, spans in health.items()
    }


def device_spans(
    records: Sequence[DeviceStatusV1], longest_step: timedelta, end: datetime
) -> dict[str, list[Span]]:
    """Each relay's runs of ``on`` (label ``on``) and of ``unknown`` (label ``unknown``), by relay name.

    A status holds until the next one, at most ``longest_step`` (a relay read once and then
    never again is not drawn on for the rest of the day). Relays never on still get a key,
    with no span: the chart shows them off all day.
    """
    spans: dict[str, list[Span]] = {}
    for index, record in enumerate(records):
        following = records[index + 1].timestamp if index + 1 < len(records) else end
        stop = min(following, record.timestamp + longest_step, end)
        for name, state in record.devices.items():
            own = spans.setdefault(name, [])
            if state is RelayState.OFF or stop <= record.timestamp:
                continue
            label = state.value
            if own and own[-1].label == label and own[-1].end >= record.timestamp:
                own[-1] = Span(own[-1].start, stop, label)
            else:
                own.append(Span(record.timestamp, stop, label))
    return spans


def device_positions(records: Sequence[DeviceStatusV1]) -> dict[str, tuple[list[datetime], list[float]]]:
    """Each positioned device's opening (0-100 %) at every status that reports it, by device name.

    Positions arrive in ``DeviceStatusV1`` 1.1 (the advisor's ``positions`` field); a 1.0
    record has none, so an old log simply has no position lines. Read with ``getattr`` so
    this reader works on either version of the model.
    """
    steps: dict[str, tuple[list[datetime], list[float]]] = {}
    for record in records:
        positions: Mapping[str, float] = getattr(record, "positions", None) or {}
        for name, value in positions.items():
            times, values = steps.setdefault(name, ([], []))
            times.append(record.timestamp)
            values.append(float(value))
    return steps


def episode_records(records: Sequence[AnomalyV1], episode: Episode) -> list[AnomalyV1]:
    """The records of one episode (its start, severity changes and end), in file order."""
    return [record for record in records if episode_key(record) == episode.key]


def severity_spans(records: Sequence[AnomalyV1], episode: Episode, end: datetime) -> list[Span]:
    """The episode's severity as it happened: one span per level, labelled with the severity.

    The first level holds from ``started_at``; an escalation or an easing record starts the
    next level at its time; the episode's end (or ``end`` while it is open) closes the last.
    Without its records (a start older than the folders read), the worst level throughout.
    """
    stop = min(episode.ended_at or end, end)
    spans: list[Span] = []
    for record in episode_records(records, episode):
        if record.ended_at is not None:
            break
        begin = episode.started_at if not spans else record.timestamp
        label = record.severity.value
        if spans and spans[-1].label == label:
            continue
        if spans:
            spans[-1] = Span(spans[-1].start, begin, spans[-1].label)
        spans.append(Span(begin, stop, label))
    spans = [span for span in spans if span.end > span.start]
    return spans or [Span(episode.started_at, stop, episode.severity.value)]


def trigger_threshold(records: Sequence[AnomalyV1], episode: Episode) -> float:
    """The threshold crossed to reach the episode's worst level (e.g. 35 degC for a critical heat episode).

    Only a start or an escalation record carries a trigger threshold; an easing or an end
    record carries the release one (the threshold less the hysteresis, e.g. 29 degC), which
    :class:`brain.episodes.Episode` keeps when the end record is the worst one.
    """
    best: AnomalyV1 | None = None
    best_rank = current = -1
    for record in episode_records(records, episode):
        if record.ended_at is not None:
            break
        rank = SEVERITY_RANK[record.severity]
        if rank > current and rank > best_rank:  # a start or an escalation to a new worst level
            best, best_rank = record, rank
        current = rank
    return best.threshold if best is not None else episode.threshold


def gap_spans(
    times: Sequence[datetime], start: datetime, end: datetime, longest_step: timedelta, poll: timedelta
) -> list[Span]:
    """Stretches longer than ``longest_step`` without an observation, the day's edges included.

    A gap begins one ``poll`` after the last observation (which stood for that poll), e.g.
    observations at 01:59 and 05:30 every minute leave a gap from 02:00 to 05:30.
    """
    edges = [start, *times, end]
    gaps = []
    for index, (before, after) in enumerate(itertools.pairwise(edges)):
        if after - before > longest_step:
            gaps.append(Span(before + poll if index else before, after, "gap"))
    return gaps


def poll_interval_s(times: Sequence[datetime]) -> float | None:
    """The usual step between observations (the median, so gaps and restarts do not skew it)."""
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    steps = [s for s in steps if s > 0]
    return statistics.median(steps) if steps else None
