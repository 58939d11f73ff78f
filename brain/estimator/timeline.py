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

import math
from datetime import UTC, datetime, timedelta, tzinfo

from brain.contracts import FIXED_OFFSET_ZONES
from brain.estimator.errors import DuplicateObservationError, OutOfOrderObservationError

_DEFAULT_POLL_S = 60.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Timeline:
    """Maps observation timestamps to estimator time and rejects duplicates and disorder.

    Why :meth:`advance` returns a bare float and leaves the rest in attributes: it runs
    at every poll, and the common case (a newer observation) then costs a few float
    operations and no allocation.

    Why epoch seconds are counted in whole microseconds: ``datetime.timestamp()``
    asks the zone for its offset, which costs a third of a microsecond with
    pydantic's zones. When the observation is in the same fixed-offset zone
    object as the last one, Python subtracts the two without asking (documented
    for equal ``tzinfo``), and the exact microseconds since the epoch divided by a
    million give the very float ``timestamp()`` would (it divides the same integers).
    """

    __slots__ = (
        "_clock_step_back_s",
        "_fixed_zone",
        "_gap_s",
        "_last_dt",
        "_last_micros",
        "_last_t",
        "_offset",
        "epoch_s",
        "gap",
        "last_timestamp",
        "stepped_back_s",
    )

    def __init__(self, *, clock_step_back_s: float, gap_s: float) -> None:
        self._clock_step_back_s = clock_step_back_s
        self._gap_s = gap_s
        self._offset = 0.0
        self.epoch_s = 0.0
        """Epoch seconds of the last observation taken: wall time, for the site's local day (a plain
        attribute, not a property: the estimator reads it at every step)."""
        self._last_micros = 0
        self._fixed_zone: tzinfo | None = None
        """The last observation's zone if its offset is fixed (see the class docstring)."""
        self._last_t = 0.0
        self._last_dt = _DEFAULT_POLL_S
        self.last_timestamp: datetime | None = None
        """Timestamp of the last observation taken (``None`` before the first)."""
        self.gap = False
        """The last observation taken came more than ``gap_s`` after the one before it."""
        self.stepped_back_s = 0.0
        """How far the wall clock was stepped back before the last observation taken (0 when it was not)."""

    def advance(self, timestamp: datetime) -> float:
        """Place ``timestamp`` on estimator time and return that time, or raise if it must not be taken.

        Afterwards ``gap`` and ``stepped_back_s`` describe this observation; an
        observation that raised changed nothing.
        """
        zone = timestamp.tzinfo
        previous = self.last_timestamp
        if zone is self._fixed_zone and previous is not None:
            micros = self._last_micros + (timestamp - previous) // _MICROSECOND
        else:
            micros = (timestamp - _EPOCH) // _MICROSECOND
            zone = zone if type(zone) in FIXED_OFFSET_ZONES else None
        ext = micros / 1_000_000  # == timestamp.timestamp(), bit for bit
        if previous is None:  # the first observation: estimator time starts at its epoch seconds
            self._take(timestamp, micros, zone, ext, ext)
            return ext
        last_ext = self.epoch_s
        stepped_back = 0.0
        if ext <= last_ext:
            if ext == last_ext:
                raise DuplicateObservationError(
                    "duplicate observation", timestamp=timestamp, previous=previous
                )
            stepped_back = last_ext - ext
            if stepped_back < self._clock_step_back_s:
                raise OutOfOrderObservationError(
                    "observation older than the previous one", timestamp=timestamp, previous=previous
                )
            self._offset += stepped_back + self._last_dt
        t = ext + self._offset
        dt = t - self._last_t
        self.last_timestamp = timestamp  # as _take does, inline: this is every poll
        self._last_micros = micros
        self._fixed_zone = zone
        self.epoch_s = ext
        self._last_t = t
        if dt > 0 and not stepped_back:
            self._last_dt = dt if dt < self._gap_s else self._gap_s
        self.gap = dt > self._gap_s
        self.stepped_back_s = stepped_back
        return t

    def _take(self, timestamp: datetime, micros: int, zone: tzinfo | None, ext: float, t: float) -> None:
        """Remember the observation just taken (its epoch micros, and its zone if fixed) at time ``t``."""
        self.last_timestamp = timestamp
        self._last_micros = micros
        self._fixed_zone = zone
        self.epoch_s = ext
        self._last_t = t


def bucket_end(bucket: int, bucket_s: float) -> float:
    """Where time bucket ``bucket`` (``int(t // bucket_s)``) ends, for a one-comparison "still in it?".

    Why only for whole seconds: then the product and the floor division of
    such floats are exact (below 2**53), so ``t < bucket_end(b, s)`` agrees
    with ``int(t // s) == b`` for any ``t`` not before the bucket, to the bit.
    Otherwise the product may round, and ``-inf`` sends every ``t`` to the
    floor division.
    """
    return (bucket + 1) * bucket_s if bucket_s.is_integer() else -math.inf
