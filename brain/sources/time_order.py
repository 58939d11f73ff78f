"""One replayed stream's records in strictly increasing, schedulable time; what breaks it is reported.

The rules (why each: :mod:`brain.sources.replay`), in the order a record meets them:

1. outside :data:`brain.contracts.SCHEDULABLE`: rejected, ``outside_schedulable_range``;
2. not after the record taken before it: dropped, ``duplicate`` or ``out_of_order``;
3. more than :data:`MAX_UNCONFIRMED_JUMP` after the record taken before it, and the
   record after it is not later still (or there is none): rejected,
   ``unconfirmed_jump``; the first record of a stream, when the record after it is more
   than that much earlier: rejected the same way.

Every record left out is logged (``replay_observation_dropped`` or
``replay_device_status_dropped``, with ``file``, ``line``, ``reason``, ``timestamp``
and ``previous``) until :data:`brain.storage.MAX_LOGGED_MALFORMED` of them; the rest
are counted, and a summary line at the end of the stream says how many were not logged.

Example: minutes 0, 1, (2031), 2, 3 give 0, 1, 2, 3, and one ``unconfirmed_jump``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import structlog

from brain.contracts import SCHEDULABLE, DeviceStatusV1, ObservationV1
from brain.errors import StorageError
from brain.storage import MAX_LOGGED_MALFORMED, RecordStream
from brain.storage.reader import Located

log = structlog.get_logger(__name__)

T = TypeVar("T", ObservationV1, DeviceStatusV1)

MAX_UNCONFIRMED_JUMP = timedelta(days=30)
"""The largest step forward a record may take without the record after it confirming it.

Why 30 days: a logger or a Pi may be off for days or a season, and the record
after the gap confirms the new time; a month-long jump followed by a step back
is one bad timestamp. The rule decides only when a record and the one after it
contradict each other, so the figure can be generous.
"""

OUTSIDE_RANGE = "outside_schedulable_range"
UNCONFIRMED_JUMP = "unconfirmed_jump"
LEFT_OUT_REASONS = ("duplicate", "out_of_order", OUTSIDE_RANGE, UNCONFIRMED_JUMP)
"""Every ``reason`` a record is left out for."""


@dataclass
class InTimeOrder(Generic[T]):
    """Reads ``records`` and returns the ones that keep time (module docstring), one at a time.

    Each record left out is also told to the reader (:meth:`RecordStream.reject`), so
    that a reader made with ``give_up_after`` counts it with the malformed lines and
    gives up when nothing was kept.
    """

    records: RecordStream[T]
    event: str
    """The log event of a record left out: ``replay_observation_dropped`` for observations."""
    last: datetime | None = None
    """The time of the record taken last."""
    left_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_OUT_REASONS, 0))
    """Records left out, by reason."""
    _ahead: Located[T] | None = None
    _deferred: StorageError | None = None  # an error met while reading ahead, raised at the next read
    _ended: bool = False

    def next(self) -> Located[T] | None:
        """The next record in time, or ``None`` at the end; a reader's error under ``FAIL`` passes through."""
        while (item := self._take()) is not None:
            reason = self._judge(item)
            if reason is None:
                self.last = item.record.timestamp
                return item
            self._leave_out(item, reason)
        if not self._ended:
            self._ended = True
            self._summarise()
        return None

    @property
    def total_left_out(self) -> int:
        """Records left out for any reason."""
        return sum(self.left_out.values())

    def _take(self) -> Located[T] | None:
        if self._ahead is not None:
            item, self._ahead = self._ahead, None
            return item
        if self._deferred is not None:
            error, self._deferred = self._deferred, None
            raise error
        return self._read_in_range()

    def _read_in_range(self) -> Located[T] | None:
        while (item := self.records.next_located()) is not None:
            if item.record.timestamp in SCHEDULABLE:
                return item
            self._leave_out(item, OUTSIDE_RANGE)
        return None

    def _judge(self, item: Located[T]) -> str | None:
        """Why ``item`` is left out, or ``None`` to take it."""
        timestamp, last = item.record.timestamp, self.last
        if last is not None and timestamp <= last:
            return "duplicate" if timestamp == last else "out_of_order"
        if last is not None and timestamp - last <= MAX_UNCONFIRMED_JUMP:
            return None
        following = self._look_ahead()  # a jump, or the first record: the record after it decides
        if self._deferred is not None:
            return None  # the next line stops a fail-policy replay: nothing to decide with
        if last is None:
            late = following is not None and timestamp - following.record.timestamp > MAX_UNCONFIRMED_JUMP
            return UNCONFIRMED_JUMP if late else None
        confirmed = following is not None and following.record.timestamp > timestamp
        return None if confirmed else UNCONFIRMED_JUMP

    def _look_ahead(self) -> Located[T] | None:
        if self._ahead is None and self._deferred is None:
            try:
                self._ahead = self._read_in_range()
            except StorageError as exc:
                self._deferred = exc
        return self._ahead

    def _leave_out(self, item: Located[T], reason: str) -> None:
        self.left_out[reason] += 1
        total = self.total_left_out
        if total <= MAX_LOGGED_MALFORMED:
            log.warning(
                self.event,
                file=str(item.path),
                line=item.line,
                reason=reason,
                timestamp=item.record.timestamp.isoformat(),
                previous=self.last.isoformat() if self.last is not None else None,
                dropped=total,
            )
        if total == MAX_LOGGED_MALFORMED:
            log.warning(
                f"{self.event}_no_longer_logged",
                file=str(item.path),
                line=item.line,
                logged=MAX_LOGGED_MALFORMED,
                message="further records left out of this stream are counted, not logged one by one",
            )
        self.records.reject(item.path, f"{reason}: {item.record.timestamp.isoformat()}")

    def _summarise(self) -> None:
        if self.total_left_out > MAX_LOGGED_MALFORMED:
            not_logged = self.total_left_out - MAX_LOGGED_MALFORMED
            log.warning(f"{self.event}_summary", **self.left_out, not_logged=not_logged)
