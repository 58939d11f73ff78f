"""brain-daemon: source -> estimator -> storage, on the scheduler: the jobs and the run.

The same loop runs on the Pi (hardware source, real clock), on a laptop
(``--simulate``: synthetic source, simulated clock) and for analysts
(``--replay PATH``: replay source, simulated clock, each observation processed
at its own timestamp). See docs/operations.md for modes, signals and exit codes.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import structlog
from apscheduler.triggers.cron import CronTrigger

from brain.config import LoadedSettings, SourceKind
from brain.contracts import DeviceStatusV1, ObservationV1
from brain.daemon.builder import Parts, build_parts
from brain.daemon.notify import Notifier
from brain.daemon.poll_rule import StreamRecord, base_cycle_records, poll_records
from brain.daemon.progress import Counters, Progress
from brain.daemon.recovery import resume
from brain.daemon.signals import StopSignals
from brain.daemon.sink import BacklogSink
from brain.errors import BrainError
from brain.estimator import Estimate, Estimator, ObservationOrderError
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import TimestampTrigger, every
from brain.sources.base import Source, TimedSource

log = structlog.get_logger(__name__)

MAX_CONSECUTIVE_POLL_FAILURES = 5
"""After this many polls in a row fail unexpectedly the daemon stops with exit 1 (systemd restarts it)."""


class MainLoop:
    """The daemon's scheduled jobs, and what they share."""

    def __init__(self, parts: Parts, scheduler: Scheduler, progress: Progress) -> None:
        self.source: Source = parts.source
        self.estimator: Estimator = parts.estimator
        self.sink: BacklogSink = parts.sink
        self.notifier: Notifier = parts.notifier
        self.scheduler = scheduler
        self.progress = progress
        self.counters = Counters()
        self.fatal: BaseException | None = None
        self._flush_every_poll = parts.flush_every_poll
        self._latest: Estimate | None = None
        self._latest_written = False
        self._consecutive_failures = 0

    # The main loop. Every poll: observation -> estimate -> store what the poll rule says is due
    # (brain/daemon/poll_rule.py). Every base cycle: the latest state, unless already stored.
    def poll(self, fire_time: datetime) -> None:
        """Every poll: read the source once, store what it gave, estimate, store what changed."""
        try:
            observation = self.source.next_observation()
            if observation is None:  # the end of a simulated or replayed stream
                self.scheduler.stop()
                return
            self._process(observation)
            self._consecutive_failures = 0
        except BrainError as exc:  # fail-fast replay, a source that cannot go on: nothing to retry
            log.error(
                "poll_fatal", error=str(exc), error_type=type(exc).__name__, fire_time=fire_time.isoformat()
            )
            self.fatal = exc
            self.scheduler.stop()
        except Exception as exc:  # one bad poll must not kill a daemon that runs for years
            self.counters.failed_polls += 1
            self._consecutive_failures += 1
            log.exception(
                "poll_failed", fire_time=fire_time.isoformat(), consecutive=self._consecutive_failures
            )
            if self._consecutive_failures >= MAX_CONSECUTIVE_POLL_FAILURES:
                self.fatal = exc
                self.scheduler.stop()

    def _process(self, observation: ObservationV1) -> None:
        device_status = self.source.device_status()
        self.counters.observations += 1
        self.counters.last_poll = observation.timestamp
        estimate: Estimate | None = None
        try:
            estimate = self._estimate(observation, device_status)
        finally:  # raw data first: even if the estimator fails, the reading itself is kept
            self._store(poll_records(observation, device_status, estimate))
        if estimate is not None:
            _log_findings(estimate)
        if self._flush_every_poll:
            self.sink.flush()
        else:
            self.sink.flush_if_due()
        if self.notifier.enabled:
            self.notifier.watchdog()
            self.notifier.status(self.status_line())
        self.progress.update(self.counters)

    def _estimate(self, observation: ObservationV1, device_status: DeviceStatusV1) -> Estimate | None:
        """The poll's estimate, kept as the latest; ``None`` for a duplicate or out-of-order observation."""
        try:
            estimate = self.estimator.step(observation, device_status)
        except ObservationOrderError as exc:
            self.counters.rejected += 1
            log.warning(
                "observation_not_estimated",
                stream="observations",
                timestamp=exc.timestamp.isoformat(),
                previous=exc.previous.isoformat(),
                reason=str(exc),
            )
            return None
        self._latest, self._latest_written = estimate, False
        self.counters.anomalies += estimate.episodes_started  # episodes, not their records
        return estimate

    def base_cycle(self, fire_time: datetime) -> None:
        """Every base cycle: the latest state with its sensor-health records, unless already stored."""
        self._store(base_cycle_records(self._latest, state_stored=self._latest_written))

    def _store(self, records: list[StreamRecord]) -> None:
        for stream, record in records:
            self.sink.write(stream, record)
            if stream == "state":
                self._latest_written = True
                self.counters.states += 1

    def status_line(self) -> str:
        """One line for ``systemctl status``: last poll, counts, storage backlog."""
        c = self.counters
        last = c.last_poll.isoformat() if c.last_poll else "never"
        backlog = f", storage backlog {self.sink.backlog} (disk refusing writes)" if self.sink.backlog else ""
        counts = f"{c.observations} observations, {c.states} states, {c.anomalies} anomalies"
        return f"last poll {last}; {counts}{backlog}"


def _log_findings(estimate: Estimate) -> None:
    """Log what a poll revealed: the anomaly starts and ends, and a change of sensor health."""
    for anomaly in estimate.anomalies:
        log.info(
            "anomaly_ended" if anomaly.ended_at is not None else "anomaly_started",
            stream="anomalies",
            timestamp=anomaly.timestamp.isoformat(),
            kind=anomaly.kind.value,
            severity=anomaly.severity.value,
            message=anomaly.message,
        )
    if estimate.health_changed:
        _log_health(estimate)


def _log_health(estimate: Estimate) -> None:
    troubled = {
        record.sensor.value: f"{record.status.value}/{record.fault.value}"
        for record in estimate.sensor_health
        if record.status.value != "ok"
    }
    log.info(
        "sensor_health_changed",
        stream="sensor_health",
        timestamp=estimate.timestamp.isoformat(),
        not_ok=troubled,
    )


def run(loaded: LoadedSettings, *, progress: bool = False) -> int:
    """Run the daemon until the stream ends or a signal arrives; return the exit status."""
    return serve(build_parts(loaded), progress=progress)


def serve(parts: Parts, *, progress: bool = False) -> int:
    """Resume, schedule the jobs and run them on ``parts``; return the exit status (0 or 1)."""
    settings = parts.settings
    recovery = resume(parts)
    clock = parts.clock.make(recovery.next_poll)
    scheduler = Scheduler(clock)
    loop = MainLoop(parts, scheduler, Progress(progress))
    first_poll = _add_poll(scheduler, loop, settings.poll_interval_s, clock.now())
    if first_poll is None:
        last_stored = recovery.last_stored
        log.info(
            "nothing_to_do",
            source=settings.source.value,
            data_root=str(settings.data_root),
            last_stored=last_stored.isoformat() if last_stored else None,
        )
        parts.close()
        return 0
    # Registration order is execution order at one instant: the poll, then the base cycle.
    scheduler.add_job(loop.base_cycle, every(timedelta(seconds=settings.base_cycle_s)), name="base_cycle")
    if settings.source is SourceKind.HARDWARE:
        _add_live_jobs(scheduler, parts)
    stop_signals = StopSignals(scheduler, parts.notifier)
    scheduler.add_shutdown_hook(stop_signals.report)
    scheduler.add_shutdown_hook(parts.close)
    stop_signals.install()
    log.info(
        "daemon_started",
        source=settings.source.value,
        site_id=settings.site_id,
        data_root=str(settings.data_root),
        first_poll=first_poll.isoformat(),
    )
    parts.notifier.ready(loop.status_line())
    try:
        scheduler.run()
    finally:
        stop_signals.restore()
        loop.progress.update(loop.counters, final=True)
        parts.notifier.close()
    counters = asdict(loop.counters)
    counters["last_poll"] = loop.counters.last_poll.isoformat() if loop.counters.last_poll else None
    log.info(
        "daemon_stopped",
        **counters,
        storage_written=parts.sink.written,
        storage_dropped=parts.sink.dropped,
        storage_backlog=parts.sink.backlog,
    )
    return 1 if loop.fatal is not None else 0


def _add_poll(scheduler: Scheduler, loop: MainLoop, interval_s: float, now: datetime) -> datetime | None:
    """Timed sources are polled at each observation's own timestamp; live ones on the interval grid."""
    source = loop.source
    if isinstance(source, TimedSource):
        upcoming = source.next_timestamp()
        if upcoming is not None:
            scheduler.add_job(loop.poll, TimestampTrigger(source.next_timestamp), name="poll", ends_run=True)
        return upcoming
    trigger = every(timedelta(seconds=interval_s))
    first: datetime | None = trigger.get_next_fire_time(None, now)
    scheduler.add_job(loop.poll, trigger, name="poll")
    return first


def _add_live_jobs(scheduler: Scheduler, parts: Parts) -> None:
    """On the Pi only: the systemd watchdog and the daily data retention."""
    settings = parts.settings
    interval = parts.notifier.watchdog_interval_s
    if interval:
        scheduler.add_job(
            lambda _t: parts.notifier.watchdog(), every(timedelta(seconds=interval)), name="watchdog"
        )
    retention = CronTrigger(hour=3, minute=17, timezone=settings.timezone)
    scheduler.add_job(parts.apply_retention, retention, name="retention")
