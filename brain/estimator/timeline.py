"""Observation time turned into the estimator's own, always-increasing time.

Why a separate clock: every window in the estimator is in seconds, and they
must keep working when the Pi's wall clock misbehaves.

- Same timestamp again: :class:`DuplicateObservationError`.
- Older by less than ``clock_step_back_s``: :class:`OutOfOrderObservationError`
  (a replayed log out of order); the estimator does not take it.
- Older by more: the wall clock was stepped back (NTP on a Pi that booted
  with a wrong clock steps it by an hour or more). The observation is taken,
  and estimator time continues from where it was, one typical poll interval
  later, so no data is refused afterwards and no window sees time run backwards.
- Newer by more than ``gap_s``: a gap (the daemon was down or the clock jumped
  forward). Callers restart step and flatness tracking rather than reading the
  change across the gap as a jump.

DST is not a case here: only aware timestamps arrive, and a correctly
converted fall-back hour simply increases in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from brain.estimator.errors import DuplicateObservationError, OutOfOrderObservationError

_DEFAULT_POLL_S = 60.0


@dataclass(slots=True)
class TimeStep:
    """Where one observation falls on estimator time."""

    t: float
    """Estimator time, seconds (epoch seconds of the timestamp plus the accumulated clock-step offset)."""
    dt: float | None
    """Seconds since the previous observation; ``None`` for the first."""
    gap: bool
    """The previous observation is older than ``gap_s``."""
    stepped_back_s: float
    """How far the wall clock was stepped back before this observation (0 when it was not)."""


class Timeline:
    """Maps observation timestamps to estimator time and rejects duplicates and disorder."""

    def __init__(self, *, clock_step_back_s: float, gap_s: float) -> None:
        self._clock_step_back_s = clock_step_back_s
        self._gap_s = gap_s
        self._offset = 0.0
        self._last_ext: float | None = None
        self._last_t = 0.0
        self._last_dt = _DEFAULT_POLL_S
        self.last_timestamp: datetime | None = None
        """Timestamp of the last observation taken."""

    def advance(self, timestamp: datetime) -> TimeStep:
        """Place ``timestamp`` on estimator time, or raise if it must not be taken."""
        ext = timestamp.timestamp()
        previous = self.last_timestamp
        if self._last_ext is None or previous is None:
            self._take(ext, ext, timestamp)
            return TimeStep(ext, None, False, 0.0)
        stepped_back = 0.0
        if ext == self._last_ext:
            raise DuplicateObservationError("duplicate observation", timestamp=timestamp, previous=previous)
        if ext < self._last_ext:
            stepped_back = self._last_ext - ext
            if stepped_back < self._clock_step_back_s:
                raise OutOfOrderObservationError(
                    "observation older than the previous one", timestamp=timestamp, previous=previous
                )
            self._offset += stepped_back + self._last_dt
        t = ext + self._offset
        dt = t - self._last_t
        self._take(ext, t, timestamp)
        if dt > 0 and not stepped_back:
            self._last_dt = min(dt, self._gap_s)
        return TimeStep(t, dt, dt > self._gap_s, stepped_back)

    def _take(self, ext: float, t: float, timestamp: datetime) -> None:
        self._last_ext = ext
        self._last_t = t
        self.last_timestamp = timestamp
