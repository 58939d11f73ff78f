"""Periods of a day: sensor health, relay runs and gaps in the data, as spans of time.

Why spans: a record says what was true *from* a moment (a health record from its ``since``,
a relay status until the next poll), and a chart or a sentence needs "from when to when".
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from brain.contracts import DeviceStatusV1, HealthStatus, RelayState, SensorHealthV1, SensorKey

IRRIGATION_WORD = "irrigation"
"""A relay whose name holds this word waters the crop (``irrigation_pump`` by default)."""


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


def relay_spans(
    records: Sequence[DeviceStatusV1], word: str, longest_step: timedelta, end: datetime
) -> list[Span]:
    """When a relay named with ``word`` was on; a status holds until the next, at most ``longest_step``."""
    spans: list[Span] = []
    for index, record in enumerate(records):
        on = [name for name, state in record.devices.items() if word in name and state is RelayState.ON]
        if not on:
            continue
        following = records[index + 1].timestamp if index + 1 < len(records) else end
        stop = min(following, record.timestamp + longest_step, end)
        if spans and spans[-1].end >= record.timestamp:
            spans[-1] = Span(spans[-1].start, stop, spans[-1].label)
        else:
            spans.append(Span(record.timestamp, stop, ", ".join(on)))
    return spans


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
