"""What the uplink's drills share: records written by a real writer, what reached the broker, counted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from tests.factories import T0, minutes, record
from tests.uplink.broker import Subscriber


def write(
    data_root: Path, first_minute: int, count: int, stream: str = "observations", step_minutes: int = 1
) -> None:
    """``count`` records of ``stream``, ``step_minutes`` apart from ``T0 + first_minute``: a real writer."""
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    try:
        step = timedelta(minutes=step_minutes)
        for moment in minutes(count, start=T0 + timedelta(minutes=first_minute), step=step):
            writer.write(stream, record(stream, moment))
    finally:
        writer.close()


def delivered_times(subscriber: Subscriber, stream: str = "observations") -> set[str]:
    """The record timestamps that reached the broker on ``stream``'s history topic."""
    return {m.json()["record"]["timestamp"] for m in subscriber.on(f"/history/{stream}")}


def expected_times(first_minute: int, count: int) -> set[str]:
    """The timestamps :func:`write` gave its records, as stored (UTC with ``Z``)."""
    return {
        moment.isoformat().replace("+00:00", "Z")
        for moment in minutes(count, start=T0 + timedelta(minutes=first_minute))
    }
