"""Restart recovery: continue where an earlier run on the same data root stopped.

Why: the Pi restarts after power cuts, and ``make simulate`` may be run twice.
Before the first poll, :func:`resume`

1. repairs the tails a power cut tore in the last run directories;
2. feeds the estimator back the observations stored there (its 48-hour history,
   open anomaly episodes and sensor health come back as they were: an episode
   open at the cut gets its end record later, not a second start), and the advisor
   the estimates (its held advice, pending disagreements and fault runs come back,
   so an action written before the cut is not written again). The newest estimate
   is advised on last, with the device status a timed source gives again for it: a
   kill may have cut that poll's status from the disk;
3. skips a timed source (simulate, replay) past what is already stored, so nothing
   is written twice;
4. completes the last stored poll if a kill cut it short between its writes.

It returns what ``serve`` needs to go on (:class:`Recovery`), among it where a
simulated clock starts: at the next observation the source will give.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from pydantic import BaseModel

from brain.advisor import Advisor
from brain.contracts import SCHEDULABLE, STREAMS, ActionV1, AnomalyV1, DeviceStatusV1, SensorHealthV1
from brain.daemon.builder import Parts
from brain.daemon.poll_rule import StreamRecord, poll_records
from brain.daemon.sink import BacklogSink
from brain.errors import StorageError
from brain.estimator import Estimate, Estimator, ObservationOrderError
from brain.scheduler.triggers import every
from brain.sources.base import TimedSource
from brain.sources.replay import ReplaySource
from brain.storage import DatasetManager, iter_records, repair_run_tails

log = structlog.get_logger(__name__)

WARM_UP_RUNS = 3
"""Run directories read back at a restart: the estimator's 48-hour history spans at most three days."""


@dataclass(frozen=True)
class Recovery:
    """What a restart found and did; ``serve`` starts the clock and the jobs from it."""

    last_stored: datetime | None
    """The newest observation an earlier run stored on this data root; ``None`` on a fresh one."""
    next_poll: datetime | None
    """A timed source's next timestamp, past what is stored; ``None`` for a live source or an ended stream."""
    skipped: int
    """Observations of a timed source skipped because an earlier run stored them."""
    completed: int
    """Records of a poll cut short by a kill, written now."""


@dataclass(frozen=True)
class _LastPoll:
    """The last stored observation as the warm-up estimated it again, and the run directory it is in."""

    estimate: Estimate
    run_dir: Path


def resume(parts: Parts) -> Recovery:
    """Bring the estimator, the source and the data root to where the last run stopped (module docstring)."""
    data_root = parts.settings.data_root
    last, last_poll, unadvised = _warm_up(
        parts.estimator, parts.advisor, data_root, durable=parts.settings.storage.fsync != "never"
    )
    source = parts.source
    skipped = 0
    status: DeviceStatusV1 | None = None
    next_poll: datetime | None = None
    if isinstance(source, TimedSource):
        skipped = _skip_through(source, last) if last is not None else 0
        status = source.device_status() if skipped else None  # the cut poll's own, for a timed stream
        next_poll = source.next_timestamp()
    if last is not None:
        timed = {"skipped": skipped} if isinstance(source, TimedSource) else {}
        log.info(
            "resuming_after_stored_data", data_root=str(data_root), last_stored=last.isoformat(), **timed
        )
    actions = _advise_last(parts.advisor, unadvised, status)
    completed = 0
    if last_poll is not None:
        due = _cut_poll_records(
            last_poll,
            status=status,
            actions=actions if unadvised is last_poll.estimate else [],
            base_cycle_s=parts.settings.base_cycle_s,
            next_poll=next_poll,
        )
        completed = _write_missing(parts.sink, due, last_poll)
    return Recovery(last_stored=last, next_poll=next_poll, skipped=skipped, completed=completed)


def _advise_last(
    advisor: Advisor | None, estimate: Estimate | None, status: DeviceStatusV1 | None
) -> list[ActionV1]:
    """Advise on the newest stored estimate, with its poll's own device status if the source gave it again."""
    if advisor is None or estimate is None:
        return []
    if status is not None and status.timestamp == estimate.timestamp and status != estimate.device_status:
        estimate = dataclasses.replace(estimate, device_status=status)
    return advisor.step(estimate).actions


def _warm_up(
    estimator: Estimator, advisor: Advisor | None, data_root: Path, *, durable: bool
) -> tuple[datetime | None, _LastPoll | None, Estimate | None]:
    """Repair and feed the estimator what the last run directories hold.

    Returns the last stored observation time, that observation's estimate with its
    run directory (``None`` if the estimator refused it: no records were due), and the
    newest estimate, which the advisor has not seen yet (:func:`_advise_last`).
    """
    last: datetime | None = None
    last_poll: _LastPoll | None = None
    unadvised: Estimate | None = None
    run_dirs = _warm_up_runs(data_root)
    for run_dir in run_dirs:
        try:
            repair_run_tails(run_dir, durable=durable)
        except (StorageError, OSError) as exc:  # a refusing disk must not stop the start: the writer retries
            log.error("storage_repair_failed", run_dir=str(run_dir), error=str(exc))
    # One stream over the days, so that a stored record the days around it contradict (a lone
    # far-future one) is left out and reported like a replayed one, not taken as where the run was.
    stored = ReplaySource(run_dirs, check_input=False)
    try:
        while (observation := stored.next_observation()) is not None:
            last = observation.timestamp  # strictly increasing: the replay source drops the rest
            try:
                estimate = estimator.step(observation, stored.device_status())
            except ObservationOrderError:
                continue  # the live run did not estimate it either, and logged it then
            if advisor is not None and unadvised is not None:
                advisor.step(unadvised)  # one step behind: the newest poll's status may be cut
            unadvised = estimate
            # A part lies directly in its run directory.
            last_poll = _LastPoll(estimate, stored.location[0].parent if stored.location else run_dirs[-1])
    finally:
        stored.close()
    if last_poll is not None and last_poll.estimate.timestamp != last:
        last_poll = None  # the newest observation was not estimated: no events were due for it
    return last, last_poll, unadvised


def _warm_up_runs(data_root: Path) -> list[Path]:
    """The last :data:`WARM_UP_RUNS` run directories whose date can hold schedulable records.

    A ``run_99991231`` (a record of year 9999 an older brain stored) is left out and
    reported: reading it back would be reading a time nothing can be scheduled at.
    """
    runs = []
    for day, run_dir in DatasetManager(data_root).dated_runs():
        if SCHEDULABLE.holds_day(day):
            runs.append(run_dir)
        else:
            log.warning("stored_run_ignored", run_dir=str(run_dir), reason="outside_schedulable_range")
    return runs[-WARM_UP_RUNS:]


def _cut_poll_records(
    last_poll: _LastPoll,
    *,
    status: DeviceStatusV1 | None,
    actions: list[ActionV1],
    base_cycle_s: float,
    next_poll: datetime | None,
) -> list[StreamRecord]:
    """What the last stored poll stored, or should have, besides its observation (the poll rule).

    Why: a kill between a poll's writes leaves the observation and loses the rest, and
    resuming after the observation would never write them. The warm-up estimated that
    poll again from the same stored inputs (the estimator is deterministic).

    ``status`` is the poll's device status when the source can give it again (a
    simulated or replayed stream, at the poll's own timestamp); a live sensor cannot be
    read in the past, so on the Pi a lost status stays lost.

    The state is due at a base cycle too: one at the poll's own instant, or, for a
    timed stream, one before ``next_poll`` (a replayed log with a gap: the uncut run
    would have stored the poll's state at that cycle, and the resumed run's clock
    starts at ``next_poll``, past it). A live source's base cycles during the
    downtime never ran, so only the poll's own instant counts there.
    """
    estimate = last_poll.estimate
    at = estimate.timestamp
    if status is not None and status.timestamp != at:
        status = None
    cycle: datetime | None = every(timedelta(seconds=base_cycle_s)).get_next_fire_time(None, at)
    on_base_cycle = cycle is not None and (cycle == at or (next_poll is not None and cycle < next_poll))
    records = poll_records(
        estimate.observation, status, estimate, actions=actions, base_cycle_due=on_base_cycle
    )
    # The observation is stored: the warm-up found the poll there.
    return [(stream, record) for stream, record in records if stream != "observations"]


def _write_missing(sink: BacklogSink, due: list[StreamRecord], last_poll: _LastPoll) -> int:
    """Write what is due at the poll's instant and not in its run directory; return how many records."""
    at = last_poll.estimate.timestamp
    written = 0
    for stream in dict.fromkeys(stream for stream, _ in due):
        records = iter_records(last_poll.run_dir, stream, STREAMS[stream])
        stored = {_identity(r) for r in records if getattr(r, "timestamp", None) == at}
        records.close()
        for wanted_stream, record in due:
            if wanted_stream == stream and _identity(record) not in stored:
                sink.write(stream, record)
                written += 1
    if written:
        log.warning("cut_poll_completed", timestamp=at.isoformat(), records=written)
    return written


def _identity(record: BaseModel) -> tuple[object, ...]:
    """What tells a poll's records apart: an anomaly's kind and start or end, a health record's sensor.

    A state is one per poll. Whole records are not compared: a recomputed ``since``
    may differ after a restart.
    """
    if isinstance(record, AnomalyV1):
        return (record.kind, record.ended_at is not None)
    if isinstance(record, SensorHealthV1):
        return (record.sensor,)
    if isinstance(record, ActionV1):
        return (record.target_device, record.action_type)
    return ()


def _skip_through(source: TimedSource, resume_after: datetime) -> int:
    """Advance a timed source past what an earlier run of the same data root already stored."""
    skipped = 0
    while (upcoming := source.next_timestamp()) is not None and upcoming <= resume_after:
        source.next_observation()
        skipped += 1
    return skipped
