"""The loop that runs the daemon's jobs on an injected clock, with APScheduler triggers deciding when.

Why not an APScheduler scheduler: APScheduler 3's schedulers read ``datetime.now``
and sleep on real time inside, so they cannot run a simulated day in a fraction of a
second nor be tested against a stepped wall clock. This loop keeps what APScheduler
is good at (its triggers, their time zones and DST rules, its coalescing rule) and
owns only the waiting, on :class:`brain.clock.clocks.Clock`. Real and simulated time
go through the same code; only the clock differs. ``docs/scheduling.md`` has the
whole design.

Rules the loop keeps, every time:

- jobs due at the same instant run in registration order;
- a job that missed runs (suspend, wall clock stepped forward) runs once, at its
  latest due fire time, and a log line says how many runs were missed
  (APScheduler's ``coalesce=True``);
- after the wall clock steps back, each job is re-anchored at the new now instead
  of waiting out the step;
- a job that raises is logged and the loop goes on;
- after ``stop()`` no job starts; the running one finishes, then the shutdown hooks
  run in order and ``run()`` returns;
- a fire time that date arithmetic cannot reach (a trigger overflowing near year 9999,
  or a time that has no UTC equivalent) is no fire time: logged at error
  (``job_fire_time_out_of_range``), the job is done. Never an ``OverflowError``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from brain.clock.clocks import Clock
from brain.clock.stop import StopSignal
from brain.contracts import UnschedulableTimeError
from brain.scheduler.triggers import Trigger

log = structlog.get_logger(__name__)

JobFunc = Callable[[datetime], None]
"""A job receives its scheduled fire time (not the time it happens to start)."""
ShutdownHook = Callable[[], None]

STEP_TOLERANCE_S = 1.0
"""A wall-clock jump smaller than this is not reported as a step.

NTP slews small errors (it changes the clock's rate, which moves wall and monotonic
time alike) and steps only large ones: ntpd above 128 ms, chrony when told to
(``makestep``). Wall and monotonic elapsed times therefore differ only by steps (and
by a suspend); 1 s is far above the jitter of reading the two clocks one after the
other, and any smaller step is absorbed by the next wait anyway.
"""

MAX_COALESCE_WALK = 100_000
"""Most missed fire times counted one by one before a late job is re-anchored instead.

Coalescing walks the trigger from the missed fire time to now, as APScheduler's
``Job._get_run_times`` does: exact, but one trigger call per missed run. 100,000
calls take about 0.1 s on a laptop (a minute poll late by 69 days); a Pi that boots
without a real-time clock can jump decades at its first NTP sync, and walking
that would stall the loop for minutes. Beyond the cap the job is re-anchored at
now and runs at its next fire time, at most one interval away.
"""


@dataclass(slots=True, eq=False)
class _Job:
    name: str
    func: JobFunc
    trigger: Trigger
    index: int
    ends_run: bool


def _next_fire(job: _Job, previous: datetime | None, now: datetime) -> tuple[datetime, datetime] | None:
    """``job``'s next fire time as its trigger gives it and in UTC; ``None`` when it has none.

    Why the guard: APScheduler's triggers add intervals and convert zones with plain
    ``datetime`` arithmetic, which raises ``OverflowError`` (or ``ValueError: year
    10000 is out of range`` from ``fromtimestamp``) within a day of year 1 or 9999,
    and so does ``astimezone(UTC)`` of a time such as ``9999-12-31T23:59:00-05:00``.
    Such a fire time would never come: the job is done, and the log says why. Any
    other error of a trigger reaches the caller; a stream trigger refuses a time
    outside the range earlier, with :class:`brain.contracts.UnschedulableTimeError`.
    """
    try:
        fire_time = job.trigger.get_next_fire_time(previous, now)
        return None if fire_time is None else (fire_time, fire_time.astimezone(UTC))
    except (OverflowError, ValueError) as exc:
        if not _out_of_datetime_range(exc):
            raise
        log.error(
            "job_fire_time_out_of_range",
            job=job.name,
            previous=previous.isoformat() if previous is not None else None,
            error=str(exc),
        )
        return None


def _out_of_datetime_range(exc: Exception) -> bool:
    """Whether ``exc`` is ``datetime`` saying a date is past year 1 or 9999 (its two ways of saying so)."""
    if isinstance(exc, UnschedulableTimeError):
        return False
    return isinstance(exc, OverflowError) or "out of range" in str(exc)


# Heap entry: (fire time in UTC, registration index, fire time as the trigger gave it, job).
# The UTC copy is the sort key: two aware datetimes with the same tzinfo compare by their
# local fields alone, so 02:30 before and after a fall-back would compare equal.
_Entry = tuple[datetime, int, datetime, _Job]


class Scheduler:
    """Runs periodic jobs on ``clock`` until ``stop()`` or until no job has a next fire time.

    Add jobs and hooks before ``run()`` (or from inside a job); ``stop()`` may be
    called from anywhere, a signal handler included. A scheduler runs once.
    """

    def __init__(self, clock: Clock, *, step_tolerance_s: float = STEP_TOLERANCE_S) -> None:
        self._clock = clock
        self._step_tolerance_s = step_tolerance_s
        self._stop = StopSignal()
        self._heap: list[_Entry] = []
        self._names: set[str] = set()
        self._indexes = itertools.count()
        self._hooks: list[ShutdownHook] = []
        self._started = False
        self._horizon: datetime | None = None  # set when a job that ends the run is done

    def add_job(self, func: JobFunc, trigger: Trigger, *, name: str, ends_run: bool = False) -> None:
        """Schedule ``func(fire_time)`` at every fire time of ``trigger``; ``name`` labels its log lines.

        ``ends_run=True`` makes this job's end the end of the run: once its trigger
        has no fire time left, the jobs due up to its last fire time still run, then
        ``run()`` returns. A replay's poll job is one: the 2-hour cycle beside it has
        no end of its own.
        """
        if name in self._names:
            raise ValueError(f"a job named {name!r} is already scheduled")
        self._names.add(name)
        job = _Job(name, func, trigger, next(self._indexes), ends_run)
        first = _next_fire(job, None, self._clock.now())
        if first is None:
            log.info("job_has_no_fire_time", job=name)
            self._job_done(job, None)
            return
        heapq.heappush(self._heap, (first[1], job.index, first[0], job))

    def add_shutdown_hook(self, hook: ShutdownHook) -> None:
        """Run ``hook()`` when the loop ends, after the last job, in the order hooks were added."""
        self._hooks.append(hook)

    def stop(self) -> None:
        """Ask the loop to end; returns at once, takes no lock and logs nothing (signal-handler safe)."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stop.is_set()

    def run(self) -> None:
        """Run jobs until stopped or until no job has a fire time, then the shutdown hooks.

        Exceptions from jobs are logged and do not end the loop; an exception from a
        trigger (a stream that cannot say when its next item is) ends it, after the
        hooks ran, and reaches the caller.
        """
        if self._started:
            raise RuntimeError("a Scheduler runs once; build a new one")
        self._started = True
        log.info("scheduler_started", jobs=[entry[3].name for entry in sorted(self._heap)])
        try:
            reason = self._loop()
            log.info("scheduler_stopping", reason=reason)
        finally:
            self._run_shutdown_hooks()

    def _loop(self) -> str:
        clock, heap, stop = self._clock, self._heap, self._stop
        tolerance = self._step_tolerance_s
        last_wall, last_mono = clock.now(), clock.monotonic()
        while True:
            if stop.is_set():
                return "stop requested"
            if not heap:
                return "no job has a next fire time"
            if self._horizon is not None and heap[0][0] > self._horizon:
                return "a job that ends the run is done"
            now, mono = clock.now(), clock.monotonic()
            step_s = (now - last_wall).total_seconds() - (mono - last_mono)
            last_wall, last_mono = now, mono
            if step_s > tolerance or step_s < -tolerance:
                self._wall_clock_stepped(step_s, now)
            fire_utc = heap[0][0]
            if fire_utc > now:
                clock.wait_until(fire_utc, stop)
                continue
            _, _, fire_time, job = heapq.heappop(heap)
            if fire_utc < now:
                latest = self._latest_due(job, fire_time, fire_utc, now)
                if latest is None:
                    continue
                fire_time, fire_utc = latest
            if stop.is_set():
                return "stop requested"
            self._run_once(job, fire_time, fire_utc)

    def _latest_due(
        self, job: _Job, fire_time: datetime, fire_utc: datetime, now: datetime
    ) -> tuple[datetime, datetime] | None:
        """The latest fire time due at ``now`` (APScheduler's ``coalesce=True``); log the missed runs.

        Walking the trigger stops as soon as it does not move forward: a stream
        trigger keeps answering its unconsumed item, so late stream items each still
        run once, in order. ``None`` when the job was too far behind to walk and was
        re-anchored instead (it then runs at its next fire time after ``now``).
        """
        first_missed, missed = fire_time, 0
        while missed < MAX_COALESCE_WALK:
            upcoming = _next_fire(job, fire_time, now)
            if upcoming is None:
                break
            following, following_utc = upcoming
            if following_utc <= fire_utc or following_utc > now:
                break
            fire_time, fire_utc, missed = following, following_utc, missed + 1
        else:
            self._reanchor_far_behind(job, first_missed, now)
            return None
        if missed:
            log.warning(
                "job_runs_coalesced",
                job=job.name,
                missed=missed,
                first_missed=first_missed.isoformat(),
                fire_time=fire_time.isoformat(),
            )
        return fire_time, fire_utc

    def _reanchor_far_behind(self, job: _Job, first_missed: datetime, now: datetime) -> None:
        anchored = _next_fire(job, None, now)
        log.warning(
            "job_runs_coalesced",
            job=job.name,
            missed_at_least=MAX_COALESCE_WALK,
            first_missed=first_missed.isoformat(),
            next_fire_time=anchored[0].isoformat() if anchored is not None else None,
        )
        if anchored is None:
            self._job_done(job, None)
        else:
            heapq.heappush(self._heap, (anchored[1], job.index, anchored[0], job))

    def _run_once(self, job: _Job, fire_time: datetime, fire_utc: datetime) -> None:
        failed = False
        try:
            job.func(fire_time)
        except Exception:
            failed = True
            log.exception("job_failed", job=job.name, fire_time=fire_time.isoformat())
        upcoming = _next_fire(job, fire_time, self._clock.now())
        if upcoming is None:
            log.info("job_done", job=job.name, last_fire_time=fire_time.isoformat())
            self._job_done(job, fire_utc)
            return
        following, following_utc = upcoming
        if failed and following_utc <= fire_utc:
            # A stream job that raised before consuming its item would get the same
            # item back forever: drop the job rather than spin.
            log.error("job_dropped_not_advancing", job=job.name, fire_time=fire_time.isoformat())
            self._job_done(job, fire_utc)
            return
        heapq.heappush(self._heap, (following_utc, job.index, following, job))

    def _job_done(self, job: _Job, last_fire_utc: datetime | None) -> None:
        """Record where the run ends if ``job`` ends it (``None``: no last fire time to honour, end now)."""
        if not job.ends_run:
            return
        horizon = last_fire_utc if last_fire_utc is not None else datetime.min.replace(tzinfo=UTC)
        self._horizon = horizon if self._horizon is None else min(self._horizon, horizon)

    def _wall_clock_stepped(self, step_s: float, now: datetime) -> None:
        """Report a step; after a step back, re-anchor every job at ``now`` so none waits the step out."""
        log.warning("wall_clock_stepped", step_s=round(step_s, 3), now=now.isoformat())
        if step_s > 0:
            return  # the jobs now due are coalesced by the loop
        entries = []
        for fire_utc, index, fire_time, job in self._heap:
            anchored = _next_fire(job, None, now)
            if anchored is not None and anchored[1] < fire_utc:
                log.info(
                    "job_reanchored",
                    job=job.name,
                    was=fire_time.isoformat(),
                    fire_time=anchored[0].isoformat(),
                )
                entries.append((anchored[1], index, anchored[0], job))
            else:
                entries.append((fire_utc, index, fire_time, job))
        heapq.heapify(entries)
        self._heap[:] = entries

    def _run_shutdown_hooks(self) -> None:
        for hook in self._hooks:
            try:
                hook()
            except Exception:
                log.exception("shutdown_hook_failed", hook=getattr(hook, "__qualname__", repr(hook)))
