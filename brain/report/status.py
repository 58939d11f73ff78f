"""``brain status``'s facts about a data root, gathered cheaply enough for a monitoring plugin.

Reads only the run folders of the newest days (``RECENT_DAYS``) and the tails of their newest parts
(:mod:`brain.report.lines`: bounded reads of regular files, lines as JSON, no record models),
lists the folder's files for their sizes (a stat, not a read), and the manifest and uplink
cursors as plain JSON. Nothing here reads the clock: ``now`` comes in, and every record after
it is left out, so a folder is judged as of any instant (``--at``) exactly as a copy of it
cut at that instant would be, and tests are exact.

A sensor counts as installed when it gave a value in the observations read (the tail: about
a day at 1-minute polling); one that gave none is listed as "no readings" and raises no
alarm (a replayed log without a PAR column is not a broken PAR sensor). The daemon's own
sensor inventory replaces this rule once it records one.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from brain.advice import ActionLine, AdviceBook, DeviceLine
from brain.layout import stream_parts
from brain.names import SensorKey
from brain.report.days import SiteZone, day_window, local_today
from brain.report.folder import dated_runs, read_manifest
from brain.report.lines import (
    MAX_PART_BYTES,
    L,
    ObservationLine,
    StateLine,
    count_lines,
    parse_lines,
    tail_lines,
)
from brain.report.uplink_cursors import UplinkLag, uplink_lags
from brain.stored_lines import AnomalyLine, HealthLine

if TYPE_CHECKING:
    from brain.episodes import Episode

RECENT_DAYS = 3
"""Days of run folders, back from the newest, read for open anomalies and peaks (the estimator's 48 h + 1)."""
RATE_RUNS = 7
"""Complete run folders (today's excluded) whose mean size is the disk's daily rate."""
FINISHED_SOURCES = {"synthetic": "simulation", "replay": "replay"}
"""Manifest sources whose run ends by itself: a folder they made and left is finished, not stale."""


class SensorLine(NamedTuple):
    """One sensor's latest health, and whether it gave a value recently."""

    sensor: SensorKey
    installed: bool
    health: HealthLine | None


class OpenEpisode(NamedTuple):
    """An anomaly still open, with its worst value so far (from the stored states and its records)."""

    episode: Episode
    peak: float


class Disk(NamedTuple):
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


class Status(NamedTuple):
    """Everything ``brain status`` shows (a named tuple, as every record of this module: see lines.py)."""

    data_root: Path
    now: datetime
    zone: SiteZone
    runs: int = 0
    latest_observation: ObservationLine | None = None
    poll_interval_s: float | None = None
    latest_state: StateLine | None = None
    open_episodes: list[OpenEpisode] = []  # noqa: RUF012  (a tuple field's default is never mutated)
    sensors: list[SensorLine] = []  # noqa: RUF012
    observations_today: int = 0
    expected_today: int | None = None
    day_elapsed: timedelta = timedelta(0)
    disk: Disk | None = None
    uplink: list[UplinkLag] = []  # noqa: RUF012
    manifest: dict[str, object] | None = None
    finished_run: str | None = None
    """``simulation`` or ``replay`` when the folder is a finished one, judged as of its end."""
    advice: list[ActionLine] = []  # noqa: RUF012
    """The advisor's actions in force, one per device, oldest first (:mod:`brain.advice`)."""


def gather_status(data_root: Path, now: datetime, zone: SiteZone) -> Status:
    """Read what ``brain status`` shows about ``data_root`` as of ``now`` (records after it left out)."""
    manifest = read_manifest(data_root)
    today = local_today(now, zone.zone)
    every = dated_runs(data_root)
    dated = [(day, path) for day, path in every if day <= today + timedelta(days=1)]  # the writer's zone
    if not dated:
        return Status(data_root, now, zone, runs=len(every), manifest=manifest)
    oldest_recent = min(dated[-1][0], today) - timedelta(days=RECENT_DAYS - 1)
    recent = [path for day, path in reversed(dated) if day >= oldest_recent]
    observations = newest_records(recent, "observations", ObservationLine.of, now)
    interval = _median_step([obs.timestamp for obs in observations])
    states = newest_records(recent, "state", StateLine.of, now, max_bytes=16 * 1024)
    window = day_window(today, zone.zone)
    elapsed = min(now, window.end) - window.start
    folder = next((path for day, path in dated if day == today), None)
    return Status(
        data_root,
        now,
        zone,
        runs=len(every),
        latest_observation=observations[-1] if observations else None,
        poll_interval_s=interval,
        latest_state=states[-1] if states else None,
        open_episodes=_open_episodes(list(reversed(recent)), now),
        advice=advice_in_force(recent, now),
        sensors=_sensors(recent, observations, now),
        observations_today=_observations_until(folder, now) if folder else 0,
        expected_today=max(1, int(elapsed.total_seconds() // interval)) if interval else None,
        day_elapsed=elapsed,
        disk=_disk(data_root, every, today),
        uplink=uplink_lags(data_root, recent, now),
        manifest=manifest,
    )


def finished_run_end(status: Status, stale_after: timedelta) -> datetime | None:
    """The end of a finished simulation or replay (its newest observation), else ``None``.

    A folder is a finished run when its manifest says a simulation or a replay made it and its
    newest observation is older than ``stale_after``: such a run stopped by itself, and judging
    it against the wall clock ("186 days old") says nothing. A live source is never one.
    """
    identity = status.manifest.get("identity") if status.manifest else None
    source = identity.get("source") if isinstance(identity, dict) else None
    latest = status.latest_observation
    if source not in FINISHED_SOURCES or latest is None or status.now - latest.timestamp <= stale_after:
        return None
    return latest.timestamp


def status_now(data_root: Path, now: datetime, zone: SiteZone, *, stale_after: timedelta) -> Status:
    """:func:`gather_status` as of ``now``, or as of the end of a finished simulation or replay."""
    status = gather_status(data_root, now, zone)
    end = finished_run_end(status, stale_after)
    if end is None:
        return status
    identity = status.manifest.get("identity") if status.manifest else None
    source = FINISHED_SOURCES[str(identity.get("source") if isinstance(identity, dict) else "")]
    return gather_status(data_root, end, zone)._replace(finished_run=source)


def newest_records(
    run_dirs: list[Path],
    stream: str,
    parse: Callable[[bytes], L],
    until: datetime,
    max_bytes: int = 512 * 1024,
) -> list[L]:
    """The newest records of ``stream`` up to ``until``, oldest first, from the newest part holding any.

    ``run_dirs`` newest first. A part's tail is read first; when every record in it is after
    ``until`` (``--at`` an earlier time), the whole part is (bounded by ``MAX_PART_BYTES``).
    """
    for run_dir in run_dirs:
        for part in reversed(stream_parts(run_dir, stream)):
            lines = tail_lines(part.path, max_bytes)
            records = parse_lines(lines, parse)
            if records and records[0].timestamp > until:
                records = parse_lines(tail_lines(part.path, MAX_PART_BYTES), parse)
            kept = [record for record in records if record.timestamp <= until]
            if kept:
                return kept
    return []


def _whole_stream(
    runs_oldest_first: list[Path], stream: str, parse: Callable[[bytes], L], until: datetime
) -> list[L]:
    records: list[L] = []
    for run in runs_oldest_first:
        for part in stream_parts(run, stream):
            records += parse_lines(tail_lines(part.path, MAX_PART_BYTES), parse, until)
    return records


def _median_step(times: list[datetime]) -> float | None:
    """The usual step between observations (the median, so gaps and restarts do not skew it)."""
    steps = sorted(s for a, b in itertools.pairwise(times) if (s := (b - a).total_seconds()) > 0)
    if not steps:
        return None
    middle = len(steps) // 2
    return steps[middle] if len(steps) % 2 else (steps[middle - 1] + steps[middle]) / 2


def _sensors(recent: list[Path], observations: list[ObservationLine], until: datetime) -> list[SensorLine]:
    health = newest_records(recent, "sensor_health", HealthLine.of, until, max_bytes=32 * 1024)
    latest = {record.sensor: record for record in health}
    given = {name for obs in observations for name, value in obs.sensors.items() if value is not None}
    return [SensorLine(key, key.value in given, latest.get(key)) for key in SensorKey]


def _open_episodes(runs_oldest_first: list[Path], until: datetime) -> list[OpenEpisode]:
    anomalies = _whole_stream(runs_oldest_first, "anomalies", AnomalyLine.of, until)
    if not anomalies:
        return []
    # Imported only now: it loads `dataclasses` (and `inspect`), a tenth of the start-up of a
    # status check on a calm greenhouse, which has no anomaly records to pair.
    from brain.episodes import episodes_from

    open_ones = [episode for episode in episodes_from(anomalies) if episode.is_open]
    if not open_ones:
        return []
    states = _whole_stream(runs_oldest_first, "state", StateLine.of, until)
    return [OpenEpisode(episode, _peak(episode, states)) for episode in open_ones]


def advice_in_force(recent: list[Path], until: datetime) -> list[ActionLine]:
    """The actions in force at ``until`` (:mod:`brain.advice`); none in a folder without an actions stream.

    ``recent`` newest first. The device status is read only when there are actions to judge: its
    tail (about 200 statuses) holds the newest position of every device.
    """
    actions = _whole_stream(list(reversed(recent)), "actions", ActionLine.of_line, until)
    if not actions:
        return []
    statuses = newest_records(recent, "device_status", DeviceLine.of_line, until, max_bytes=64 * 1024)
    return AdviceBook().feed(actions, statuses).in_force(until)


def metric_value(state: StateLine, metric: str) -> float | None:
    """A state's value of an anomaly metric (the dew-point margin is air temperature minus dew point)."""
    if metric == "dew_point_margin_c":
        air = state.get(SensorKey.AIR_TEMPERATURE_C)
        if air is None or state.dew_point_c is None:
            return None
        return air - state.dew_point_c
    if metric == "vpd_kpa":
        return state.vpd_kpa
    return state.values.get(metric)


def _peak(episode: Episode, states: list[StateLine]) -> float:
    values = [episode.first_value, episode.last_value]
    for state in states:
        if state.timestamp >= episode.started_at:
            value = metric_value(state, episode.metric.value)
            if value is not None:
                values.append(value)
    return min(values) if episode.peak_is_low else max(values)


def _observations_until(folder: Path, until: datetime) -> int:
    """Lines of the folder's plain observation parts; records after ``until`` not counted (``--at``).

    Counting newlines is enough, and cheap, unless the newest record is after ``until``.
    """
    parts = [part for part in stream_parts(folder, "observations") if not part.compressed]
    newest = parse_lines(tail_lines(parts[-1].path, 4096), ObservationLine.of) if parts else []
    if not newest or newest[-1].timestamp <= until:
        return sum(count_lines(part.path) for part in parts)
    return sum(len(parse_lines(tail_lines(p.path, MAX_PART_BYTES), ObservationLine.of, until)) for p in parts)


def _disk(data_root: Path, dated: list[tuple[date, Path]], today: date) -> Disk:
    sizes = {path: _tree_bytes(path) for _, path in dated}
    used = sum(sizes.values()) + _tree_bytes(data_root)
    complete = [sizes[path] for day, path in dated if day < today][-RATE_RUNS:]
    rate = sum(complete) / len(complete) if complete else None
    try:
        fs = os.statvfs(data_root)
        free = fs.f_bavail * fs.f_frsize
    except OSError:
        free = 0
    return Disk(used, free, rate)


def _tree_bytes(path: Path) -> int:
    """The sizes of the regular files directly in ``path`` (``lstat``: a link is not followed)."""
    total = 0
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        return total
    return total
