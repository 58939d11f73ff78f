"""Spans of a day from records: an episode's levels and trigger threshold, relay runs, held positions."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from brain.contracts import AnomalyV1
from brain.episodes import episodes_from
from brain.report.day_plots import held_steps
from brain.report.plots import num
from brain.report.timeline import Span, device_spans, severity_spans, trigger_threshold
from tests.factories import T0, anomaly_payload, device_status


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def record(minute: int, severity: str, threshold: float, *, ended: int | None = None) -> AnomalyV1:
    """A 1.1 heat record of the episode that started at minute 0."""
    payload = anomaly_payload() | {"schema_version": "1.1", "severity": severity, "threshold": threshold}
    payload |= {"timestamp": at(minute).isoformat(), "started_at": T0.isoformat()}
    payload["ended_at"] = at(ended).isoformat() if ended is not None else None
    return AnomalyV1.model_validate(payload)


def test_escalated_eased_and_escalated_again_keeps_the_first_critical_trigger() -> None:
    records = [
        record(30, "warning", 30.0),
        record(60, "critical", 35.0),
        record(90, "warning", 34.0),  # eased: back below 35 less the hysteresis
        record(100, "critical", 35.5),  # a second escalation does not replace the first trigger
        record(200, "critical", 29.0, ended=180),
    ]
    (episode,) = episodes_from(records)

    assert episode.threshold == 35.0  # the first critical trigger: neither 35.5 nor the release 29
    assert trigger_threshold(records, episode) == 35.0
    assert severity_spans(records, episode, at(24 * 60)) == [
        Span(T0, at(60), "warning"),
        Span(at(60), at(90), "critical"),
        Span(at(90), at(100), "warning"),
        Span(at(100), at(180), "critical"),
    ]


def test_an_episode_whose_start_was_not_read_is_shaded_at_its_worst_throughout() -> None:
    records = [record(200, "critical", 29.0, ended=180)]  # only the end is in the folders read
    (episode,) = episodes_from(records)

    assert severity_spans(records, episode, at(24 * 60)) == [Span(T0, at(180), "critical")]
    assert trigger_threshold(records, episode) == 29.0  # nothing better to show


def test_an_open_episode_lasts_to_the_end_given() -> None:
    records = [record(30, "warning", 30.0), record(30, "warning", 30.0)]  # a repeated record is one level
    (episode,) = episodes_from(records)

    assert severity_spans(records, episode, at(600)) == [Span(T0, at(600), "warning")]


def test_a_relay_read_once_is_not_on_for_the_rest_of_the_day() -> None:
    records = [device_status(at(0), devices={"heater": "on", "vent": "off"})]

    spans = device_spans(records, timedelta(minutes=2), at(24 * 60))

    assert spans == {"heater": [Span(at(0), at(2), "on")], "vent": []}


def test_a_position_is_held_to_the_next_reading_and_broken_across_a_gap() -> None:
    times = [at(0), at(1), at(30)]

    xs, ys = held_steps(times, [10.0, 20.0, 30.0], timedelta(minutes=2), at(31))

    assert xs[:2] == [num(at(0)), num(at(1))]
    assert ys[2] == 20.0 and xs[2] == num(at(3)) and math.isnan(ys[3])  # held 2 min, then nothing
    assert xs[-2] == num(at(31)) and ys[-2] == 30.0  # the last one held to the end, not beyond
