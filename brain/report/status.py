"""``brain status``'s facts about a data root, gathered cheaply enough for a monitoring plugin.

Reads only the run folders of the newest days (``RECENT_DAYS``) and the tails of their newest parts
(:mod:`brain.report.tails`), lists the folder's files for their sizes (a stat, not a read),
and the manifest and uplink cursors as plain JSON. Nothing here reads the clock: ``now``
comes in, so a folder can be judged as of any instant (``--at``) and tests are exact.

A sensor counts as installed when it gave a value in the observations read (the tail: about
a day at 1-minute polling); one that gave none is listed as "no readings" and raises no
alarm (a replayed log without a PAR column is not a broken PAR sensor). The daemon's own
sensor inventory replaces this rule once it records one.
"""

from __future__ import annotations

import os
import shutil
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from brain.contracts import AnomalyV1, ObservationV1, SensorHealthV1, SensorKey, StateV1
from brain.episodes import Episode, episodes_from
from brain.report.days import SiteZone, day_window, local_today
from brain.report.folder import read_manifest
from brain.report.tails import count_lines, tail_records
from brain.report.timeline import poll_interval_s
from brain.storage import DatasetManager, MalformedLinePolicy, iter_records
from brain.uplink import CURSOR_DIR, uplink_lag

RECENT_DAYS = 3
"""Days of run folders, back from the newest, read for open anomalies and peaks (the estimator's 48 h + 1)."""
RATE_RUNS = 7
"""Complete run folders (today's excluded) whose mean size is the disk's daily rate."""


@dataclass(frozen=True)
class SensorLine:
    """One sensor's latest health, and whether it gave a value recently."""

    sensor: SensorKey
    installed: bool
    health: SensorHealthV1 | None


@dataclass(frozen=True)
class OpenEpisode:
    """An anomaly still open, with its worst value so far (from the stored states and its records)."""

    episode: Episode
    peak: float


@dataclass(frozen=True)
class Disk:
    """What the data root takes, what is free, and how long the free space lasts at the recent rate."""

    used_bytes: int
    free_bytes: int
    bytes_per_day: float | None

    @property
    def days_left(self) -> float | None:
        """Free space over the recent daily rate (ignores compression and retention: a floor)."""
        if not self.bytes_per_day:
            return None
        return self.free_bytes / self.bytes_per_day


@dataclass(frozen=True)
class UplinkLag:
    """How far the uplink is behind the newest record of one stream (:func:`brain.uplink.uplink_lag`)."""

    stream: str
    lag: timedelta | None
    """``None`` when it cannot be told (nothing delivered yet, or the cursor unreadable)."""
    error: str | None = None


@dataclass
class Status:
    """Everything ``brain status`` shows."""

    data_root: Path
    now: datetime
    zone: SiteZone
    runs: int = 0
    latest_observation: ObservationV1 | None = None
    poll_interval_s: float | None = None
    latest_state: StateV1 | None = None
    open_episodes: list[OpenEpisode] = field(default_factory=list)
    sensors: list[SensorLine] = field(default_factory=list)
    observations_today: int = 0
    expected_today: int | None = None
    day_elapsed: timedelta = timedelta(0)
    disk: Disk | None = None
    uplink: list[UplinkLag] = field(default_factory=list)
    manifest: dict[str, object] | None = None


def gather_status(data_root: Path, now: datetime, zone: SiteZone) -> Status:
    """Read what ``brain status`` shows about ``data_root`` as of ``now``."""
    status = Status(data_root, now, zone, manifest=read_manifest(data_root))
    dated = DatasetManager(data_root).dated_runs()
    status.runs = len(dated)
    if not dated:
        return status
    oldest_recent = dated[-1][0] - timedelta(days=RECENT_DAYS - 1)
    recent = [path for day, path in reversed(dated) if day >= oldest_recent]
    observations = tail_records(recent, "observations", ObservationV1)
    if observations:
        status.latest_observation = observations[-1]
        status.poll_interval_s = poll_interval_s([obs.timestamp for obs in observations])
    states = tail_records(recent, "state", StateV1, max_bytes=16 * 1024)
    status.latest_state = states[-1] if states else None
    status.sensors = _sensors(recent, observations)
    status.open_episodes = _open_episodes(list(reversed(recent)))
    _completeness(status, dated)
    status.disk = _disk(data_root, dated, local_today(now, zone.zone))
    status.uplink = _uplink(data_root)
    return status


def _sensors(recent: list[Path], observations: list[ObservationV1]) -> list[SensorLine]:
    health = tail_records(recent, "sensor_health", SensorHealthV1, max_bytes=32 * 1024)
    latest = {record.sensor: record for record in health}
    lines = []
    for key in SensorKey:
        installed = any(obs.sensors.get(key) is not None for obs in observations)
        lines.append(SensorLine(key, installed, latest.get(key)))
    return lines


def _open_episodes(runs_oldest_first: list[Path]) -> list[OpenEpisode]:
    anomalies: list[AnomalyV1] = []
    for run in runs_oldest_first:
        anomalies += iter_records(run, "anomalies", AnomalyV1, policy=MalformedLinePolicy.SKIP)
    open_ones = [episode for episode in episodes_from(anomalies) if episode.is_open]
    if not open_ones:
        return []
    states: list[StateV1] = []
    for run in runs_oldest_first:
        states += iter_records(run, "state", StateV1, policy=MalformedLinePolicy.SKIP)
    return [OpenEpisode(episode, _peak(episode, states)) for episode in open_ones]


def metric_value(state: StateV1, metric: str) -> float | None:
    """A state's value of an anomaly metric (the dew-point margin is air temperature minus dew point)."""
    if metric == "dew_point_margin_c":
        if state.air_temperature_c is None or state.dew_point_c is None:
            return None
        return state.air_temperature_c - state.dew_point_c
    value = getattr(state, metric, None)
    return value if isinstance(value, float) else None


def _peak(episode: Episode, states: list[StateV1]) -> float:
    values = [episode.first_value, episode.last_value]
    for state in states:
        if state.timestamp >= episode.started_at:
            value = metric_value(state, episode.metric.value)
            if value is not None:
                values.append(value)
    return min(values) if episode.peak_is_low else max(values)


def _completeness(status: Status, dated: list[tuple[date, Path]]) -> None:
    """Observations in today's folder against the polls since local midnight at the poll interval."""
    today = local_today(status.now, status.zone.zone)
    window = day_window(today, status.zone.zone)
    folder = next((path for day, path in dated if day == today), None)
    status.observations_today = count_lines(folder, "observations") if folder else 0
    status.day_elapsed = min(status.now, window.end) - window.start
    if status.poll_interval_s:
        status.expected_today = max(1, int(status.day_elapsed.total_seconds() // status.poll_interval_s))


def _disk(data_root: Path, dated: list[tuple[date, Path]], today: date) -> Disk:
    sizes = {path: _tree_bytes(path) for _, path in dated}
    used = sum(sizes.values()) + sum(
        entry.stat().st_size for entry in os.scandir(data_root) if entry.is_file(follow_symlinks=False)
    )
    complete = [sizes[path] for day, path in dated if day != today][-RATE_RUNS:]
    rate = statistics.fmean(complete) if complete else None
    return Disk(used, shutil.disk_usage(data_root).free, rate)


def _tree_bytes(path: Path) -> int:
    total = 0
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        return total
    return total


def _uplink(data_root: Path) -> list[UplinkLag]:
    """Per stream, the uplink's lag from its cursor files; none where no uplink ever ran.

    Only the cursors and the parts' sizes are read (``brain.uplink.lag``), never a broker.
    """
    if not (data_root / CURSOR_DIR).is_dir():
        return []
    return [
        UplinkLag(stream, timedelta(seconds=lag.lag_s) if lag.lag_s is not None else None, lag.error)
        for stream, lag in uplink_lag(data_root).items()
    ]
