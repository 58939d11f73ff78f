"""brain-daemon: source -> estimator -> storage, on the scheduler. The whole program in one place.

The same loop runs on the Pi (hardware source, real clock), on a laptop
(``--simulate``: synthetic source, simulated clock) and for analysts
(``--replay PATH``: replay source, simulated clock, each observation processed
at its own timestamp). See docs/operations.md for modes, signals and exit codes.
"""

from __future__ import annotations

import os
import signal
from dataclasses import asdict
from datetime import datetime, timedelta
from types import FrameType

import structlog
from apscheduler.triggers.cron import CronTrigger

from brain.config import LoadedSettings, SourceKind
from brain.contracts import ObservationV1
from brain.daemon.builder import Parts, build_parts, resume
from brain.daemon.notify import Notifier
from brain.daemon.progress import Counters, Progress
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

    # The main loop. Every poll:  observation -> store raw -> estimate -> store events;
    # a state (with its sensor-health records) is stored at once when an anomaly starts or
    # ends or a sensor's health changes, so each detection carries the timestamp of the
    # observation that revealed it. Every base cycle: the latest state, unless already stored.
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
        # Raw data first: whatever the estimator makes of it, the reading itself is kept. A status
        # naming no relay (a replayed log that recorded none) says nothing and is not stored: a
        # replay of this output gives the same empty status again, so round trips are unchanged.
        self.sink.write("observations", observation)
        if device_status.devices:
            self.sink.write("device_status", device_status)
        self.counters.observations += 1
        self.counters.last_poll = observation.timestamp
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
            estimate = None
        if estimate is not None:
            self._store_events(estimate)
        if self._flush_every_poll:
            self.sink.flush()
        else:
            self.sink.flush_if_due()
        if self.notifier.enabled:
            self.notifier.watchdog()
            self.notifier.status(self.status_line())
        self.progress.update(self.counters)

    def _store_events(self, estimate: Estimate) -> None:
        for anomaly in estimate.anomalies:
            self.sink.write("anomalies", anomaly)
            log.info(
                "anomaly_ended" if anomaly.ended_at is not None else "anomaly_started",
                stream="anomalies",
                timestamp=anomaly.timestamp.isoformat(),
                kind=anomaly.kind.value,
                severity=anomaly.severity.value,
                message=anomaly.message,
            )
        self.counters.anomalies += len(estimate.anomalies)
        self._latest, self._latest_written = estimate, False
        if estimate.anomalies or estimate.health_changed:
            if estimate.health_changed:
                self._log_health(estimate)
            self._write_state()

    def base_cycle(self, fire_time: datetime) -> None:
        """Every base cycle: the latest state with its sensor-health records, unless already stored."""
        if self._latest is not None and not self._latest_written:
            self._write_state()

    def _write_state(self) -> None:
        assert self._latest is not None
        self.sink.write("state", self._latest.state)
        for record in self._latest.sensor_health:
            self.sink.write("sensor_health", record)
        self._latest_written = True
        self.counters.states += 1

    def _log_health(self, estimate: Estimate) -> None:
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

    def status_line(self) -> str:
        """One line for ``systemctl status``: last poll, counts, storage backlog."""
        c = self.counters
        last = c.last_poll.isoformat() if c.last_poll else "never"
        backlog = f", storage backlog {self.sink.backlog} (disk refusing writes)" if self.sink.backlog else ""
        counts = f"{c.observations} observations, {c.states} states, {c.anomalies} anomalies"
        return f"last poll {last}; {counts}{backlog}"


def _install_signal_handlers(scheduler: Scheduler, received: list[int]) -> dict[int, object]:
    """First SIGTERM/SIGINT: finish the poll, flush, exit 0. A second one: exit at once (status 1).

    The handler only records the signal and asks the scheduler to stop: logging or
    writing from a handler could re-enter a write it interrupted.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        if received:
            os._exit(1)
        received.append(signum)
        scheduler.stop()

    return {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}


def run(loaded: LoadedSettings, *, progress: bool = False) -> int:
    """Run the daemon until the stream ends or a signal arrives; return the exit status."""
    return serve(build_parts(loaded), progress=progress)


def serve(parts: Parts, *, progress: bool = False) -> int:
    """Resume, schedule the jobs and run them on ``parts``; return the exit status (0 or 1)."""
    settings = parts.settings
    resumed_after = resume(parts, settings.data_root)
    scheduler = Scheduler(parts.clock)
    loop = MainLoop(parts, scheduler, Progress(progress))
    first_poll = _add_poll(scheduler, loop, settings.poll_interval_s, parts.clock.now())
    if first_poll is None:
        log.info(
            "nothing_to_do",
            source=settings.source.value,
            data_root=str(settings.data_root),
            last_stored=resumed_after.isoformat() if resumed_after else None,
        )
        parts.close()
        return 0
    # Registration order is execution order at one instant: the poll, then the base cycle.
    scheduler.add_job(loop.base_cycle, every(timedelta(seconds=settings.base_cycle_s)), name="base_cycle")
    if settings.source is SourceKind.HARDWARE:
        _add_live_jobs(scheduler, parts)
    received: list[int] = []
    scheduler.add_shutdown_hook(lambda: _report_stop(received, parts.notifier))
    scheduler.add_shutdown_hook(parts.close)
    previous = _install_signal_handlers(scheduler, received)
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
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


def _report_stop(received: list[int], notifier: Notifier) -> None:
    """First shutdown hook: say why the loop stopped, before storage is flushed."""
    if received:
        log.info("stop_requested", signal=signal.Signals(received[0]).name)
    notifier.stopping()
