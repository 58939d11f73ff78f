"""brain-daemon: source -> estimator -> advisor -> storage, on the scheduler: the jobs and the run.

The same loop runs on the Pi (hardware source, real clock), on a laptop
(``--simulate``: synthetic source, simulated clock) and for analysts
(``--replay PATH``: replay source, simulated clock, each observation processed
at its own timestamp). See docs/operations.md for modes, signals and exit codes.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import asdict
from datetime import datetime, timedelta

import structlog
from apscheduler.triggers.cron import CronTrigger

from brain.advisor import Advice, Advisor
from brain.clock.clocks import Clock
from brain.config import LoadedSettings, SourceKind
from brain.contracts import ActionV1, DeviceStatusV1, ObservationV1
from brain.daemon.builder import Parts, build_parts
from brain.daemon.identity import claim_data_root
from brain.daemon.notify import Notifier
from brain.daemon.poll_log import PollLog
from brain.daemon.poll_rule import StreamRecord, base_cycle_records, poll_records
from brain.daemon.progress import Counters, Progress
from brain.daemon.recovery import resume
from brain.daemon.signals import REQUEST_CHECK_S, RequestSignals, StopSignals
from brain.daemon.sink import BacklogSink
from brain.daemon.site_zone import with_input_devices, with_input_place, with_input_zone, with_site_zone
from brain.daemon.watchdog import AfterEachRun, WallClockCheck
from brain.errors import BrainError
from brain.estimator import Estimate, Estimator, ObservationOrderError
from brain.exit_codes import ExitCode
from brain.logging import clear_before_log_lines
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import TimestampTrigger, every
from brain.sources.base import Source, TimedSource
from brain.storage import DataRootBusyError, DiskError

log = structlog.get_logger(__name__)

MAX_CONSECUTIVE_POLL_FAILURES = 5
"""After this many polls in a row fail unexpectedly the daemon stops with exit 1 (systemd restarts it)."""


class MainLoop:
    """The daemon's scheduled jobs, and what they share."""

    def __init__(self, parts: Parts, scheduler: Scheduler, progress: Progress) -> None:
        self.source: Source = parts.source
        self.estimator: Estimator = parts.estimator
        self.advisor: Advisor | None = parts.advisor
        follow = (
            getattr(parts.source, "follow", None) if parts.settings.simulation.control == "advice" else None
        )
        self._follow: Callable[[Mapping[str, float]], None] | None = follow
        """The closed loop: a simulated greenhouse whose devices follow the advice (docs/advisor.md)."""
        self._degraded: dict[str, str] = {}
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
        self._poll_log = PollLog()
        self.requests = RequestSignals(
            {signal.SIGHUP: self.flush_on_request, signal.SIGUSR1: self.log_status}
        )
        """SIGHUP and SIGUSR1, answered at the end of every poll and by the Pi's ``supervise`` job."""
        self.wall_clock = WallClockCheck()

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
            self.requests.answer()
            if self.sink.gave_up is not None:  # read-only, not permitted, taken: polling on fills memory
                log.error("storage_gave_up", error=str(self.sink.gave_up), fire_time=fire_time.isoformat())
                self.fatal = self.sink.gave_up
                self.scheduler.stop()
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
        actions: list[ActionV1] = []
        try:
            estimate = self._estimate(observation, device_status)
            if estimate is not None and self.advisor is not None:
                actions = self._advise(self.advisor, estimate)
        finally:  # raw data first: even if the estimator fails, the reading itself is kept
            self._store(poll_records(observation, device_status, estimate, actions=actions))
        if estimate is not None:
            self._poll_log.revealed(estimate)
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

    def _advise(self, advisor: Advisor, estimate: Estimate) -> list[ActionV1]:
        """The advice on this estimate; a kind or device that cannot be advised on is logged as it starts."""
        advice: Advice = advisor.step(estimate)
        if advice.degraded != self._degraded:
            for what, why in advice.degraded.items():
                if self._degraded.get(what) != why:
                    log.info(  # the failing sensor itself is the warning (journalctl -p warning)
                        "advice_degraded", about=what, reason=why, timestamp=estimate.timestamp.isoformat()
                    )
            for what in self._degraded.keys() - advice.degraded.keys():
                log.info("advice_restored", about=what, timestamp=estimate.timestamp.isoformat())
            self._degraded = advice.degraded
        self.counters.actions += len(advice.actions)
        if self._follow is not None:
            self._follow(advisor.device_positions(advice))
        return advice.actions

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

    def flush_on_request(self) -> None:
        """SIGHUP: flush and fsync every stream now (the backlog retried first), and say so."""
        self.sink.flush()
        log.info("sighup_flushed", storage_written=self.sink.written, storage_backlog=self.sink.backlog)

    def log_status(self) -> None:
        """SIGUSR1: the status line systemd shows, in the log."""
        log.info("status", status=self.status_line(), notify_dropped=self.notifier.dropped)

    def supervise(self, now: datetime) -> None:
        """The Pi's every-second job: answer SIGHUP/SIGUSR1 between polls, check the wall clock's ``now``.

        ``now``, not the job's fire time: after NTP steps the clock forward, the job
        runs late at a fire time from before the step.
        """
        self.requests.answer()
        self.wall_clock.check(now)


def run(loaded: LoadedSettings, *, progress: bool = False, continue_different_run: bool = False) -> int:
    """Run the daemon until the stream ends or a signal arrives; return the exit status.

    Before recovery the data root's manifest is checked against this run and this
    start recorded (:func:`brain.daemon.identity.claim_data_root`): another run's
    folder is refused unless ``continue_different_run``.
    """
    parts = build_parts(with_site_zone(with_input_devices(with_input_place(with_input_zone(loaded)))))
    try:
        claim_data_root(parts.settings, continue_different_run=continue_different_run)
    except BaseException:
        parts.close()
        raise
    return serve(parts, progress=progress)


def serve(parts: Parts, *, progress: bool = False) -> int:
    """Resume, schedule the jobs and run them on ``parts``; return the exit status (:func:`exit_status`)."""
    settings = parts.settings
    try:
        recovery = resume(parts)
    except BaseException:  # nothing to replay, say: release the files before the error is reported
        parts.close()
        raise
    clock = parts.clock.make(recovery.next_poll)
    scheduler = Scheduler(clock)
    loop = MainLoop(parts, scheduler, Progress(progress))
    first_poll = _add_poll(scheduler, loop, settings.poll_interval_s, clock.now())
    if first_poll is None:
        last_stored = recovery.last_stored
        log.info(
            "nothing_to_do",
            source=str(settings.source),
            data_root=str(settings.data_root),
            last_stored=last_stored.isoformat() if last_stored else None,
        )
        parts.close()
        return ExitCode.OK
    # Registration order is execution order at one instant: the poll, then the base cycle.
    scheduler.add_job(loop.base_cycle, every(timedelta(seconds=settings.base_cycle_s)), name="base_cycle")
    if settings.source is SourceKind.HARDWARE:
        _add_live_jobs(scheduler, parts, loop, clock)
        loop.wall_clock.check(clock.now())
    stop_signals = StopSignals(scheduler, parts.notifier)
    scheduler.add_shutdown_hook(stop_signals.report)
    scheduler.add_shutdown_hook(parts.close)
    stop_signals.install()
    loop.requests.install()
    log.info(
        "daemon_started",
        source=str(settings.source),
        site_id=settings.site_id,
        data_root=str(settings.data_root),
        first_poll=first_poll.isoformat(),
    )
    parts.notifier.ready(loop.status_line())
    try:
        with ExitStack() as terminal:
            if loop.progress.enabled:  # a log line first clears the progress line: never glued together
                terminal.enter_context(clear_before_log_lines(loop.progress.clear))
            terminal.callback(loop.progress.update, loop.counters, final=True)
            scheduler.run()
    finally:
        loop.requests.restore()
        stop_signals.restore()
        parts.notifier.close()
    counters = asdict(loop.counters)
    counters["last_poll"] = loop.counters.last_poll.isoformat() if loop.counters.last_poll else None
    losses = parts.sink.losses()
    log.info(
        "daemon_stopped",
        **counters,
        storage_written=parts.sink.written,
        storage_dropped=parts.sink.dropped,
        storage_backlog=parts.sink.backlog,
        notify_dropped=parts.notifier.dropped,
    )
    if losses:
        log.error("storage_records_lost", records=sum(losses.values()), **losses)
    return exit_status(loop.fatal, losses)


def exit_status(fatal: BaseException | None, losses: dict[str, int]) -> ExitCode:
    """What the run's end means for systemd and a shell: loss of records is never success.

    A data root taken by another writer is busy (75, try later); a permanent storage
    refusal is 73 (the unit does not restart into it); records lost to a disk that
    refused for a while is 74 (a restart may well succeed); any other fatal error 1.
    """
    if isinstance(fatal, DataRootBusyError):
        return ExitCode.TEMP_FAILURE
    if isinstance(fatal, DiskError) and fatal.permanent:
        return ExitCode.CANNOT_CREATE
    if losses:
        return ExitCode.IO_ERROR
    return ExitCode.FAILURE if fatal is not None else ExitCode.OK


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


def _add_live_jobs(scheduler: Scheduler, parts: Parts, loop: MainLoop, clock: Clock) -> None:
    """On the Pi only: the systemd watchdog, signal requests and wall-clock check, daily retention.

    The watchdog and ``supervise`` jobs count from now, never from a wall date
    (:mod:`brain.daemon.watchdog`): a clock that reads 1970 cannot starve them.
    """
    settings = parts.settings
    interval = parts.notifier.watchdog_interval_s
    if interval:
        scheduler.add_job(
            lambda _t: parts.notifier.watchdog(), AfterEachRun(timedelta(seconds=interval)), name="watchdog"
        )
    scheduler.add_job(
        lambda _t: loop.supervise(clock.now()),
        AfterEachRun(timedelta(seconds=REQUEST_CHECK_S)),
        name="supervise",
    )
    retention = CronTrigger(hour=3, minute=17, timezone=settings.timezone)
    scheduler.add_job(parts.apply_retention, retention, name="retention")
