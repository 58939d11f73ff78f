"""A local day's records, read from the data root through brain.storage's public reader.

Why the neighbouring folders too: a folder holds a local day of the zone its writer was given;
when that zone is not the report's (a replay written in UTC, reported in Ohio time), the
day's records are spread over two folders. Reading the folder of the day before and after
and keeping the records whose time falls in the window finds them all, whatever the zones.
Anomalies are read three more days back, so an episode that began before the day and is
still running shows as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from brain.contracts import ActionV1, AnomalyV1, DeviceStatusV1, ObservationV1, SensorHealthV1, StateV1
from brain.episodes import Episode, episode_key, episodes_from
from brain.report.days import DayWindow
from brain.storage import DatasetManager, MalformedLinePolicy, iter_records

R = TypeVar("R", ObservationV1, DeviceStatusV1, StateV1, SensorHealthV1, AnomalyV1, ActionV1)

EPISODE_LOOKBACK_DAYS = 3
"""Folders read before the day for episodes open at its start (the estimator's 48 h window, plus one)."""


@dataclass
class DayRecords:
    """Every record of one local day, in time order, and how many bad lines were skipped reading them."""

    window: DayWindow
    observations: list[ObservationV1] = field(default_factory=list)
    device_status: list[DeviceStatusV1] = field(default_factory=list)
    states: list[StateV1] = field(default_factory=list)
    health: list[SensorHealthV1] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    anomalies: list[AnomalyV1] = field(default_factory=list)
    """The records of ``episodes`` (their severity changes and trigger thresholds are read from them)."""
    actions: list[ActionV1] = field(default_factory=list)
    """The advisor's advice in the day (an ``actions`` stream; none in a folder without one)."""
    malformed_lines: int = 0


def load_day(data_root: Path, window: DayWindow) -> DayRecords:
    """Read the records of ``window`` from ``data_root`` (any zone the folders were cut in)."""
    runs = DatasetManager(data_root).dated_runs()
    near = _runs_between(runs, window.start.date() - timedelta(days=1), window.end.date() + timedelta(days=1))
    back = _runs_between(
        runs,
        window.start.date() - timedelta(days=EPISODE_LOOKBACK_DAYS),
        window.end.date() + timedelta(days=1),
    )
    day = DayRecords(window)
    day.observations = list(_read(near, "observations", ObservationV1, window, day))
    day.device_status = list(_read(near, "device_status", DeviceStatusV1, window, day))
    day.states = list(_read(near, "state", StateV1, window, day))
    day.health = list(_read(near, "sensor_health", SensorHealthV1, window, day))
    anomalies = list(_read(back, "anomalies", AnomalyV1, None, day))
    day.episodes = [e for e in episodes_from(anomalies) if e.overlaps(window.start, window.end)]
    keys = {episode.key for episode in day.episodes}
    day.anomalies = [record for record in anomalies if episode_key(record) in keys]
    day.actions = list(_read(near, "actions", ActionV1, window, day))
    return day


def _runs_between(runs: list[tuple[date, Path]], first: date, last: date) -> list[Path]:
    return [path for day, path in runs if first <= day <= last]


def _read(
    run_dirs: list[Path], stream: str, model: type[R], window: DayWindow | None, day: DayRecords
) -> Iterator[R]:
    for run_dir in run_dirs:
        records = iter_records(run_dir, stream, model, policy=MalformedLinePolicy.SKIP)
        for record in records:
            if window is None or window.contains(record.timestamp):
                yield record
        day.malformed_lines += records.malformed
