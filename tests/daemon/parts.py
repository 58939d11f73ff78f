"""The parts of a daemon run around a scripted source, for in-process tests of the main loop."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from brain.advisor import Advisor
from brain.config import load_settings
from brain.daemon.builder import ClockPlan, Parts
from brain.daemon.notify import Notifier
from brain.daemon.sink import BacklogSink
from brain.estimator import Estimator
from brain.sources.base import Source
from brain.storage import DatasetWriter, StorageSettings


def scripted_parts(
    data_root: Path, source: Source, start: datetime, writer: DatasetWriter | None = None
) -> Parts:
    """A simulated run of ``source`` into ``data_root`` from ``start``, as fast as it goes, no systemd."""
    settings = load_settings(flags={"source": "synthetic", "data_root": data_root}).settings
    writer = writer if writer is not None else DatasetWriter(data_root, StorageSettings())
    return Parts(
        settings=settings,
        source=source,
        clock=ClockPlan(None, simulated_start=start, time_scale=0.0),
        estimator=Estimator(),
        sink=BacklogSink(writer, max_backlog=10),
        storage_lock=writer.lock,
        notifier=Notifier(environ={}),
        flush_every_poll=False,
        advisor=Advisor(settings.advisor),
    )
