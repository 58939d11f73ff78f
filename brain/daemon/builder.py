"""Builds the parts the daemon runs from the settings: source, clock, estimator, storage.

Kept apart from ``daemon.py`` so the main loop stays one screen long; every
choice that depends on the mode (hardware, synthetic, replay) is made here, and
so is the restart logic (:func:`resume`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel

from brain.clock.clocks import Clock, RealClock, SimClock
from brain.config import BrainSettings, LoadedSettings, SourceKind
from brain.contracts import STREAMS, AnomalyV1, DeviceStatusV1, SensorHealthV1
from brain.daemon.notify import Notifier
from brain.daemon.sink import BacklogSink
from brain.errors import ConfigError, SourceError, StorageError
from brain.estimator import Estimate, Estimator, EstimatorSettings, ObservationOrderError
from brain.scheduler.triggers import every
from brain.sources.base import ENTRY_POINT_GROUP, Source, SourcePlugin, TimedSource
from brain.storage.dataset import DatasetManager
from brain.storage.repair import repair_run_tails
from brain.storage.retention import apply_retention
from brain.storage.settings import FsyncPolicy
from brain.storage.writer import DatasetWriter

log = structlog.get_logger(__name__)

WARM_UP_RUNS = 3
"""Run directories read back at a restart: the estimator's 48-hour history spans at most three days."""


@dataclass
class Parts:
    """Everything one daemon run is made of, built in an order that fails before touching the disk."""

    settings: BrainSettings
    source: Source
    clock: Clock
    estimator: Estimator
    sink: BacklogSink
    notifier: Notifier
    flush_every_poll: bool
    """Group-commit at the end of every poll: the loop sleeps longer than ``storage.batch_seconds``."""

    def close(self) -> None:
        """Flush and fsync every stream, then release the source (a shutdown hook)."""
        self.sink.close()
        self.source.close()

    def apply_retention(self, fire_time: datetime) -> None:
        """The daily retention job: compress old run directories, delete expired ones."""
        storage = self.settings.storage
        today = fire_time.astimezone(ZoneInfo(self.settings.timezone)).date()
        apply_retention(
            self.settings.data_root,
            today,
            retention_days=storage.retention_days,
            compress_after_days=storage.compress_after_days,
        )


def build_parts(loaded: LoadedSettings) -> Parts:
    """Make every part; configuration errors surface here, before anything is written."""
    settings = loaded.settings
    estimator = Estimator(_load_thresholds(settings.estimator.thresholds_file))
    storage = settings.storage
    if settings.source is SourceKind.HARDWARE:
        clock: Clock = RealClock()
        source = build_source(settings, loaded.config_file, now=clock.now)
    else:
        source = build_source(settings, loaded.config_file, now=_no_wall_clock)
        clock = SimClock(start=settings.simulation.start, time_scale=settings.time_scale)
    writer = DatasetWriter(settings.data_root, storage, timezone=settings.timezone)
    return Parts(
        settings=settings,
        source=source,
        clock=clock,
        estimator=estimator,
        sink=BacklogSink(writer, max_backlog=settings.storage.backlog_max_records),
        notifier=Notifier(),
        flush_every_poll=storage.fsync is FsyncPolicy.BATCH
        and _wall_seconds_between_polls(settings) >= storage.batch_seconds,
    )


def _load_thresholds(path: Path | None) -> EstimatorSettings:
    """The estimator's thresholds; a file that cannot be read blames ``estimator.thresholds_file``."""
    try:
        return EstimatorSettings.load(path)
    except ConfigError as exc:
        if exc.key is not None:  # a bad value inside the thresholds file names its own key and file
            raise
        raise ConfigError(
            f"invalid setting estimator.thresholds_file: {exc}", key="estimator.thresholds_file"
        ) from exc


def _wall_seconds_between_polls(settings: BrainSettings) -> float:
    if settings.source is SourceKind.HARDWARE:
        return settings.poll_interval_s
    if settings.time_scale == 0:
        return 0.0
    return settings.poll_interval_s / settings.time_scale


def load_plugin(name: str) -> SourcePlugin:
    """Find the source plugin ``name`` among the installed ``brain.sources`` entry points."""
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        raise ConfigError(
            f"no installed source plugin {name!r} (install brain with the 'pi' extra on the Pi, "
            "or use --simulate / --replay PATH)",
            key="source",
        )
    plugin: SourcePlugin = found[0].load()
    return plugin


def build_source(settings: BrainSettings, config_file: Path | None, now: Callable[[], datetime]) -> Source:
    """Make the source the settings ask for."""
    if settings.source is SourceKind.SYNTHETIC:
        from brain.sources.synthetic.scenarios import parse_scenario
        from brain.sources.synthetic.source import SyntheticSource

        sim = settings.simulation
        return SyntheticSource(
            seed=sim.seed,
            start=sim.start,
            poll_interval_s=settings.poll_interval_s,
            duration_s=sim.duration_hours * 3600.0,
            site_id=settings.site_id,
            scenarios=[parse_scenario(text) for text in sim.scenarios],
            devices=settings.devices,
        )
    if settings.source is SourceKind.REPLAY:
        from brain.sources.replay import ReplaySource
        from brain.storage.reader import MalformedLinePolicy

        if settings.replay.path is None:
            raise ConfigError("replay needs a path (--replay PATH)", key="replay.path")
        if not settings.replay.path.exists():
            raise ConfigError(f"nothing to replay at {settings.replay.path}: no such file", key="replay.path")
        return ReplaySource(settings.replay.path, policy=MalformedLinePolicy(settings.replay.on_malformed))
    plugin = load_plugin("hardware")
    return plugin.build(settings.hardware, site_id=settings.site_id, config_file=config_file, now=now)


def _no_wall_clock() -> datetime:
    """Simulated and replayed streams carry their own time; asking for the wall clock is a bug."""
    raise SourceError("a timed source must not read the clock")


def resume(parts: Parts, data_root: Path) -> datetime | None:
    """Continue where an earlier run on this data root stopped; return its last stored observation time.

    Why: the Pi restarts after power cuts, and ``make simulate`` may be run twice.
    The estimator is fed back the stored observations of the last days (its
    48-hour history, open anomaly episodes and sensor health come back as they
    were), and a timed source skips what is already stored, so nothing is written
    twice and an episode open at the cut is ended later, not started again.
    A simulated clock then starts at the next observation the source will give.
    """
    last, cut_poll = _warm_up(parts.estimator, data_root, durable=parts.settings.storage.fsync != "never")
    source = parts.source
    status: DeviceStatusV1 | None = None
    upcoming: datetime | None = None
    if isinstance(source, TimedSource):
        skipped = _skip_through(source, last) if last is not None else 0
        status = source.device_status() if skipped else None  # the cut poll's own, for a timed stream
        upcoming = source.next_timestamp()
        if isinstance(parts.clock, SimClock) and upcoming is not None:
            parts.clock = SimClock(start=upcoming, time_scale=parts.clock.time_scale)
        if last is not None:
            log.info(
                "resuming_after_stored_data",
                data_root=str(data_root),
                last_stored=last.isoformat(),
                skipped=skipped,
            )
    elif last is not None:
        log.info("resuming_after_stored_data", data_root=str(data_root), last_stored=last.isoformat())
    if cut_poll is not None:
        _complete_cut_poll(
            parts.sink, *cut_poll, base_cycle_s=parts.settings.base_cycle_s, status=status, next_poll=upcoming
        )
    return last


def _warm_up(
    estimator: Estimator, data_root: Path, *, durable: bool
) -> tuple[datetime | None, tuple[Estimate, Path] | None]:
    """Repair and feed the estimator what the last run directories hold.

    Returns the last stored observation time, and the estimate recomputed for that
    observation with the run directory it is in (for :func:`_complete_cut_poll`).
    """
    from brain.sources.replay import ReplaySource

    last: datetime | None = None
    last_poll: tuple[Estimate, Path] | None = None
    for _day, run_dir in DatasetManager(data_root).dated_runs()[-WARM_UP_RUNS:]:
        try:
            repair_run_tails(run_dir, durable=durable)
        except (StorageError, OSError) as exc:  # a refusing disk must not stop the start: the writer retries
            log.error("storage_repair_failed", run_dir=str(run_dir), error=str(exc))
        stored = ReplaySource(run_dir)
        try:
            while (observation := stored.next_observation()) is not None:
                if last is None or observation.timestamp > last:
                    last = observation.timestamp
                try:
                    estimate = estimator.step(observation, stored.device_status())
                except ObservationOrderError:
                    continue  # the live run did not estimate it either, and logged it then
                last_poll = (estimate, run_dir)
        finally:
            stored.close()
    if last_poll is not None and last_poll[0].timestamp != last:
        last_poll = None  # the newest observation was not estimated: no events were due for it
    return last, last_poll


def _complete_cut_poll(
    sink: BacklogSink,
    estimate: Estimate,
    run_dir: Path,
    *,
    base_cycle_s: float,
    status: DeviceStatusV1 | None,
    next_poll: datetime | None,
) -> None:
    """Write the records of the last stored poll that a kill cut off before they were written.

    Why: a poll stores its observation first, then its device status, its anomaly
    starts and ends and, on an event or at a base cycle, the state with its
    sensor-health records; a kill in between leaves the observation and loses the
    rest, and resuming after the observation would never write them. The warm-up
    recomputed that poll's estimate from the same stored inputs (the estimator is
    deterministic), so what was due and is not on disk is written now, before any
    new poll: nothing twice, nothing left out. ``status`` is the poll's device
    status when the source can give it again (a simulated or replayed stream); a
    live sensor cannot be read in the past, so on the Pi a lost status stays lost.

    The state is due at a base cycle too: one at the poll's own instant, or, for a
    timed stream, one before ``next_poll`` (a replayed log with a gap: the uncut run
    would have stored the poll's state at that cycle, and the resumed run's clock
    starts at ``next_poll``, past it). A live source's base cycles during the
    downtime never ran, so only the poll's own instant counts there.
    """
    from brain.storage.reader import iter_records

    at = estimate.timestamp
    if status is not None and status.timestamp != at:
        status = None
    state = estimate.state
    if status is not None and state.device_status != status:
        state = state.model_copy(update={"device_status": status})
    cycle: datetime | None = every(timedelta(seconds=base_cycle_s)).get_next_fire_time(None, at)
    on_base_cycle = cycle is not None and (cycle == at or (next_poll is not None and cycle < next_poll))
    due: list[tuple[str, BaseModel]] = []
    if status is not None and status.devices:
        due.append(("device_status", status))
    due.extend(("anomalies", anomaly) for anomaly in estimate.anomalies)
    if estimate.anomalies or estimate.health_changed or on_base_cycle:
        due.append(("state", state))
        due.extend(("sensor_health", record) for record in estimate.sensor_health)
    written = 0
    for stream in dict.fromkeys(stream for stream, _ in due):
        records = iter_records(run_dir, stream, STREAMS[stream])
        stored = {_identity(r) for r in records if getattr(r, "timestamp", None) == at}
        records.close()
        for wanted_stream, record in due:
            if wanted_stream == stream and _identity(record) not in stored:
                sink.write(stream, record)
                written += 1
    if written:
        log.warning("cut_poll_completed", timestamp=at.isoformat(), records=written)


def _identity(record: BaseModel) -> tuple[object, ...]:
    """What tells a poll's records apart: an anomaly's kind and start or end, a health record's sensor.

    A state is one per poll. Whole records are not compared: a recomputed ``since``
    may differ after a restart.
    """
    if isinstance(record, AnomalyV1):
        return (record.kind, record.ended_at is not None)
    if isinstance(record, SensorHealthV1):
        return (record.sensor,)
    return ()


def _skip_through(source: TimedSource, resume_after: datetime) -> int:
    """Advance a timed source past what an earlier run of the same data root already stored."""
    skipped = 0
    while (upcoming := source.next_timestamp()) is not None and upcoming <= resume_after:
        source.next_observation()
        skipped += 1
    return skipped
