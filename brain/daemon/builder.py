"""Builds the parts the daemon runs from the settings: source, clock, estimator, advisor, storage.

Kept apart from the main loop so it stays one screen long; every choice that
depends on the mode (hardware, synthetic, replay) is made here. The builder only
builds: what a restart changes (the estimator's history, the source's position,
where a simulated clock starts) is done by :mod:`brain.daemon.recovery` and
``serve``, never by replacing a part after it was built. The checks made before
anything is built (:func:`check_settings`) are the ones ``brain config check`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from brain.advisor import Advisor, AdvisorSettings
from brain.clock.clocks import Clock, RealClock, SimClock
from brain.config import BrainSettings, LoadedSettings, SourceKind
from brain.daemon.notify import Notifier
from brain.daemon.sink import BacklogSink
from brain.errors import ConfigError, SourceError
from brain.estimator import Estimator, EstimatorSettings
from brain.sources.base import Source, TimedSource
from brain.sources.plugins import load_plugin
from brain.sources.synthetic.scenarios import Scenario, parse_scenario
from brain.storage import DataRootLock, DatasetWriter, FsyncPolicy, apply_retention

log = structlog.get_logger(__name__)

NO_SOURCE = (
    "no source chosen: pass --simulate, --replay PATH or --hardware, "
    'or set source = "synthetic", "replay" or "hardware" in the configuration file (or BRAIN_SOURCE)'
)
"""What the daemon says when nothing chose a source: it never guesses one (hardware least of all)."""


@dataclass(frozen=True)
class ClockPlan:
    """Which clock a run gets; ``serve`` makes it once recovery knows where a timed stream resumes.

    Why a plan and not a clock: a simulated clock starts at the next observation the
    source will give, and that is known only after a restart skipped what is stored.
    """

    wall_clock: RealClock | None
    """The Pi's clock, already stamping the hardware source's polls; ``None`` in simulate and replay."""
    simulated_start: datetime
    """Where a simulated clock starts when the stream has nothing left (``simulation.start``)."""
    time_scale: float

    def make(self, next_poll: datetime | None) -> Clock:
        """The run's clock: the wall clock, or a simulated one starting at ``next_poll``."""
        if self.wall_clock is not None:
            return self.wall_clock
        start = next_poll if next_poll is not None else self.simulated_start
        return SimClock(start=start, time_scale=self.time_scale)


@dataclass(frozen=True)
class Parts:
    """Everything one daemon run is made of, built in an order that fails before touching the disk."""

    settings: BrainSettings
    source: Source
    clock: ClockPlan
    estimator: Estimator
    sink: BacklogSink
    storage_lock: DataRootLock
    """The data root's lock the writer holds; the retention job works under it."""
    notifier: Notifier
    flush_every_poll: bool
    """Group-commit at the end of every poll: the loop sleeps longer than ``storage.batch_seconds``."""
    advisor: Advisor | None = None
    """Advice after every estimate, for the ``actions`` stream; ``None`` with ``advisor.enabled = false``."""

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
            lock=self.storage_lock,
        )


@dataclass(frozen=True)
class CheckedSettings:
    """What the start-up checks read beyond the settings, so that the parts are built from the same."""

    thresholds: EstimatorSettings
    """The estimator's thresholds, from ``estimator.thresholds_file`` or the packaged file."""
    scenarios: list[Scenario]
    """``simulation.scenarios``, parsed."""


def check_settings(loaded: LoadedSettings) -> CheckedSettings:
    """Every check the daemon makes at start, beyond the settings' own validation.

    ``brain config check`` runs this same function, so it can never say OK to a file
    the daemon refuses: the thresholds file loads, every scenario parses, a replay
    path exists, and the hardware plugin accepts its section (without touching a
    device). Raises :class:`ConfigError` naming the key; the CLI adds where the
    value came from (``loaded.origin_of(key)``).
    """
    settings = loaded.settings
    thresholds = _load_thresholds(settings.estimator.thresholds_file)
    scenarios = [parse_scenario(text) for text in settings.simulation.scenarios]
    if settings.source is SourceKind.REPLAY:
        _check_replay_path(settings.replay.path)
    if settings.simulation.control == "advice" and not settings.advisor.enabled:
        raise ConfigError(
            'simulation.control = "advice" needs the advisor: advisor.enabled is false',
            key="simulation.control",
        )
    if settings.source is SourceKind.HARDWARE or settings.hardware:
        # No file for the plugin to name: the section may mix the file and BRAIN_HARDWARE* variables,
        # so the caller adds the bad key's own origin (``loaded.origin_of``).
        load_plugin("hardware").check(settings.hardware, config_file=None)
    return CheckedSettings(thresholds=thresholds, scenarios=scenarios)


def build_parts(loaded: LoadedSettings) -> Parts:
    """Make every part; configuration errors surface first (:func:`check_settings`), before any write."""
    checked = check_settings(loaded)
    settings = loaded.settings
    estimator = Estimator(
        checked.thresholds,
        installed_sensors=settings.estimator.inventory(hardware=settings.source is SourceKind.HARDWARE),
        timezone=settings.timezone,
        latitude=settings.latitude,
        longitude=settings.longitude,
        device_kinds=settings.advisor.devices,
    )
    storage = settings.storage
    wall_clock = RealClock() if settings.source is SourceKind.HARDWARE else None
    now = wall_clock.now if wall_clock is not None else _no_wall_clock
    source = build_source(settings, checked, loaded.config_file, now=now)
    if isinstance(source, TimedSource):
        try:  # input with nothing to replay is refused now, before the data root is made (exit 65)
            source.next_timestamp()
        except BaseException:
            source.close()
            raise
    clock = ClockPlan(wall_clock, simulated_start=settings.simulation.start, time_scale=settings.time_scale)
    writer = DatasetWriter(settings.data_root, storage, timezone=settings.timezone)
    return Parts(
        settings=settings,
        source=source,
        clock=clock,
        estimator=estimator,
        sink=BacklogSink(writer, max_backlog=settings.storage.backlog_max_records),
        storage_lock=writer.lock,
        notifier=Notifier(),
        flush_every_poll=storage.fsync is FsyncPolicy.BATCH
        and _wall_seconds_between_polls(settings) >= storage.batch_seconds,
        advisor=_advisor(settings, source),
    )


def _advisor(settings: BrainSettings, source: Source) -> Advisor | None:
    """The advisor, or ``None`` when it is disabled or the input cannot be advised on.

    Why a replay without device status has none: an action answers devices that differ from
    the advice, and no device is known there (every poll's status is empty), so the advisor
    could never write a record; running it anyway cost a third of each replayed observation's
    instructions (docs/performance.md). The daemon logs ``advisor_idle`` once instead.
    """
    if not settings.advisor.enabled:
        return None
    if settings.source is SourceKind.REPLAY and not _replay_has_device_status(source):
        log.info("advisor_idle", reason="the replayed input holds no device status: no device to advise on")
        return None
    return Advisor(_placed(settings.advisor, settings), timezone=settings.timezone)


def _replay_has_device_status(source: Source) -> bool:
    from brain.sources.replay import ReplaySource  # imported where a replay is built, as in build_source

    return not isinstance(source, ReplaySource) or source.has_device_status


def _placed(advisor: AdvisorSettings, settings: BrainSettings) -> AdvisorSettings:
    """The ``[advisor]`` settings with the site's place: the top-level ``latitude``/``longitude``."""
    return advisor.model_copy(update={"latitude": settings.latitude, "longitude": settings.longitude})


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


def build_source(
    settings: BrainSettings, checked: CheckedSettings, config_file: Path | None, now: Callable[[], datetime]
) -> Source:
    """Make the source the settings ask for (checked by :func:`check_settings`)."""
    if settings.source is SourceKind.SYNTHETIC:
        from brain.sources.synthetic.source import SyntheticSource

        sim = settings.simulation
        return SyntheticSource(
            seed=sim.seed,
            start=sim.start,
            poll_interval_s=settings.poll_interval_s,
            duration_s=sim.duration_hours * 3600.0,
            site_id=settings.site_id,
            scenarios=checked.scenarios,
            devices=settings.devices,
            control=sim.control,
        )
    if settings.source is SourceKind.REPLAY:
        from brain.sources.replay import ReplaySource
        from brain.storage import MalformedLinePolicy

        path = _check_replay_path(settings.replay.path)
        return ReplaySource(path, policy=MalformedLinePolicy(settings.replay.on_malformed))
    if settings.source is SourceKind.HARDWARE:
        plugin = load_plugin("hardware")
        return plugin.build(settings.hardware, site_id=settings.site_id, config_file=config_file, now=now)
    raise ConfigError(NO_SOURCE, key="source")


def _check_replay_path(path: Path | None) -> Path:
    if path is None:
        raise ConfigError("replay needs a path (--replay PATH)", key="replay.path")
    if not path.exists():
        raise ConfigError(f"nothing to replay at {path}: no such file", key="replay.path")
    return path


def _no_wall_clock() -> datetime:
    """Simulated and replayed streams carry their own time; asking for the wall clock is a bug."""
    raise SourceError("a timed source must not read the clock")
