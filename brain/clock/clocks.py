"""The clock the daemon runs on: real on the Pi, simulated in CI, the same interface for both.

Why a clock of our own: APScheduler 3's schedulers read ``datetime.now`` inside and
cannot be given another time; the loop in :mod:`brain.scheduler.event_loop` asks this
clock instead, so a simulated day and a year on the Pi go through the same code.

Every clock gives three things:

- ``now()``: the current aware time in UTC, which becomes the timestamps of records;
- ``monotonic()``: seconds on a clock that never steps, to measure durations and to
  notice when the wall clock jumped (compare elapsed ``now()`` with elapsed ``monotonic()``);
- ``wait_until(deadline, stop)``: wait for ``deadline`` (a ``now()`` value), returning
  at once when ``stop`` is set. It may also return earlier than the deadline: callers
  read ``now()`` again and decide, as the scheduler's loop does.

Both clocks that wait on real time take that time as injected callables (``monotonic``,
and ``sleep``: ``sleep(stop, seconds)`` sleeps up to ``seconds`` and returns ``True`` as
soon as ``stop`` is set; by default :meth:`StopSignal.sleep`), so that tests can run
their waits on a fake time instead of the wall clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from brain.clock.stop import StopSignal
from brain.contracts import SCHEDULABLE, UnschedulableTimeError

Sleep = Callable[[StopSignal, float], bool]
"""``sleep(stop, seconds) -> stopped``: how a clock spends real time; :meth:`StopSignal.sleep` by default."""

REAL_MAX_WAIT_S = 5.0
"""Longest single wait of :class:`RealClock`: a wall-clock step is noticed within this many seconds.

Waking every 5 s costs a Pi nothing and bounds how long a step of NTP (or the first
sync of a Pi without a real-time clock) can go unnoticed while the loop sleeps.
"""


@runtime_checkable
class Clock(Protocol):
    """What the scheduler needs from time; see the module docstring for the contract."""

    def now(self) -> datetime:
        """The current aware time, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences between readings mean anything."""
        ...

    def wait_until(self, deadline: datetime, stop: StopSignal) -> None:
        """Wait until ``now() >= deadline`` or ``stop`` is set; may return earlier (callers loop)."""
        ...


class RealClock:
    """Wall time for timestamps, monotonic time for waiting.

    Why both: the wall clock of a Pi can step (NTP correcting it, or the first sync
    after a boot without a real-time clock, which can jump years). Waiting is done on
    the monotonic clock in slices of at most ``max_wait_s``, after which the caller
    reads the wall clock again: a step forward is noticed within a slice (the
    scheduler then coalesces the runs it missed) and a step back never turns into a
    wait of the size of the step.

    ``wall``, ``monotonic`` and ``sleep`` are injectable so that tests can step the wall
    clock and wait on a fake time; by default they are the system's.
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = StopSignal.sleep,
        max_wait_s: float = REAL_MAX_WAIT_S,
    ) -> None:
        if not 0 < max_wait_s <= 3600:
            raise ValueError(f"max_wait_s must be in (0, 3600], got {max_wait_s!r}")
        self._wall = wall
        self._monotonic = monotonic
        self._sleep = sleep
        self._max_wait_s = max_wait_s

    def now(self) -> datetime:
        """The wall-clock time, in UTC."""
        return datetime.fromtimestamp(self._wall(), UTC)

    def monotonic(self) -> float:
        """The monotonic reading (``time.monotonic`` unless injected)."""
        return self._monotonic()

    def wait_until(self, deadline: datetime, stop: StopSignal) -> None:
        """Sleep towards ``deadline`` for at most one slice; return at once on ``stop``."""
        remaining = (deadline - self.now()).total_seconds()
        if remaining > 0:
            self._sleep(stop, min(remaining, self._max_wait_s))


class SimClock:
    """Logical time that moves only when the loop waits, paced by ``time_scale``.

    Why logical time stands still between waits: a job then sees ``now()`` equal to
    its own fire time, however long it takes on this machine, so the records of a
    simulation do not depend on the machine's speed nor on ``time_scale``:

    - ``time_scale = 0``: ``wait_until`` jumps straight to the deadline (discrete-event
      time, as fast as the machine can);
    - ``time_scale > 0``: ``wait_until`` first sleeps until the wall clock (monotonic)
      reaches the matching point on a pacing line, so logical time runs ``time_scale``
      times faster than real time. Time spent in jobs is absorbed when there is slack;
      when the machine falls behind, the line is moved to now rather than sprinting
      to catch up.

    Example: ``SimClock(start, 3600)`` waits one real second per logical hour.

    Logical time stays inside :data:`brain.contracts.SCHEDULABLE` (2000 to 2100 UTC):
    a start or a deadline outside it raises
    :class:`~brain.contracts.UnschedulableTimeError` naming the time, rather than an
    ``OverflowError`` from date arithmetic near year 1 or 9999.

    The pacing's real time is ``monotonic`` and ``sleep`` (the system's by default),
    injectable so that tests of the pacing do not wait on the wall clock.
    """

    def __init__(
        self,
        start: datetime,
        time_scale: float = 0.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = StopSignal.sleep,
    ) -> None:
        if start.utcoffset() is None:
            raise ValueError(f"SimClock start must be an aware datetime, got {start!r}")
        if start not in SCHEDULABLE:
            raise UnschedulableTimeError("SimClock start", start)
        if not (math.isfinite(time_scale) and time_scale >= 0):
            raise ValueError(f"time_scale must be a finite number >= 0, got {time_scale!r}")
        self._start = start.astimezone(UTC)
        self._now = self._start
        self._elapsed_s = 0.0  # (now - start) in seconds, kept with now: the loop reads it every tick
        self._time_scale = float(time_scale)
        self._pacing: tuple[datetime, float] | None = None  # (logical time, real monotonic) on the line
        self._real_monotonic = monotonic
        self._sleep = sleep

    @property
    def time_scale(self) -> float:
        """Logical seconds per real second; 0 = as fast as possible."""
        return self._time_scale

    def now(self) -> datetime:
        """The logical time, in UTC."""
        return self._now

    def monotonic(self) -> float:
        """Logical seconds since ``start``: never steps, so the scheduler sees no wall-clock jump."""
        return self._elapsed_s

    def wait_until(self, deadline: datetime, stop: StopSignal) -> None:
        """Move logical time to ``deadline`` (after the paced real wait); on ``stop``, leave it be."""
        if stop.is_set() or deadline <= self._now:
            return
        if deadline not in SCHEDULABLE:
            raise UnschedulableTimeError("SimClock deadline", deadline)
        if self._time_scale > 0 and not self._paced_wait(deadline, stop):
            return
        self._now = deadline.astimezone(UTC)
        self._elapsed_s = (self._now - self._start).total_seconds()

    def _paced_wait(self, deadline: datetime, stop: StopSignal) -> bool:
        """Sleep until the pacing line reaches ``deadline``; ``False`` when stopped first."""
        real_now = self._real_monotonic()
        if self._pacing is None:
            self._pacing = (self._now, real_now)
        logical_origin, real_origin = self._pacing
        real_target = real_origin + (deadline - logical_origin).total_seconds() / self._time_scale
        if real_target < real_now:
            # Behind the line (slow jobs, a paused laptop): restart the line here.
            self._pacing = (deadline.astimezone(UTC), real_now)
            return True
        while (remaining := real_target - self._real_monotonic()) > 0:
            if self._sleep(stop, remaining):
                return False
        return True
