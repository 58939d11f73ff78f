"""The daemon's door to storage: a disk that refuses writes must not stop the polling.

Why a backlog: on a Pi the SD card fills up or throws EIO; the greenhouse keeps
growing meanwhile. Records that could not be written wait in memory (bounded:
oldest dropped first, counted and logged) and are retried, in order, before
any new record, so nothing is reordered and nothing partial reaches the file.
Only a disk that refuses for a while (:class:`~brain.storage.DiskError`, full or
failing) is worth waiting for. A permanent refusal (read-only, not permitted, the
data root gone to another writer) is not: the sink records it in :attr:`gave_up`
and the main loop stops, so systemd hears of it instead of a daemon that keeps
polling into memory. A record the writer can never take (unknown stream,
unserialisable under the ``raise`` policy) is logged and dropped, or it would block
every later record.

Loss is never success: :meth:`BacklogSink.losses` counts every record that was
accepted from the loop and is not on disk (backlog overflow, backlog left at exit,
records in a file deleted under the writer, records whose fsync failed), and the
daemon exits non-zero when it is not empty.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Protocol

import structlog
from pydantic import BaseModel

from brain.errors import StorageError
from brain.storage import DataRootBusyError, DiskError

log = structlog.get_logger(__name__)


def _timestamp_of(record: BaseModel) -> str:
    """The record's own time for a log line, in ISO 8601 like the record itself."""
    timestamp = getattr(record, "timestamp", None)
    return timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp)


class RecordWriter(Protocol):
    """What the sink needs of ``brain.storage.writer.DatasetWriter``."""

    def write(self, stream: str, record: BaseModel) -> None: ...  # noqa: D102

    def flush(self) -> None: ...  # noqa: D102

    def flush_if_due(self) -> None: ...  # noqa: D102

    def close(self) -> None: ...  # noqa: D102

    @property
    def lost(self) -> int: ...  # noqa: D102

    @property
    def unconfirmed(self) -> int: ...  # noqa: D102


class BacklogSink:
    """Writes records, holding them back in order while the disk refuses them."""

    def __init__(self, writer: RecordWriter, *, max_backlog: int) -> None:
        self._writer = writer
        self._max_backlog = max_backlog
        self._backlog: deque[tuple[str, BaseModel]] = deque()
        self.dropped = 0
        """Records lost because the backlog was full (each one logged)."""
        self.written = 0
        """Records handed to the writer successfully."""
        self.rejected = 0
        """Records the writer can never take (each one logged); not retried."""
        self.lost_at_exit = 0
        """Records still in the backlog when the sink was closed: gone with the process."""
        self.gave_up: StorageError | None = None
        """The first permanent refusal (read-only, not permitted, data root taken): waiting will not help."""

    @property
    def backlog(self) -> int:
        """Records waiting for the disk."""
        return len(self._backlog)

    def write(self, stream: str, record: BaseModel) -> None:
        """Write ``record`` now, or queue it behind earlier records the disk refused."""
        if self._backlog and not self._drain():
            self._enqueue(stream, record)
            return
        if not self._try_write(stream, record):
            self._enqueue(stream, record)

    def flush(self) -> None:
        """Retry the backlog, then make everything written durable; errors are logged, not raised."""
        self._drain()
        try:
            self._writer.flush()
        except StorageError as exc:
            log.error("storage_flush_failed", error=str(exc), backlog=len(self._backlog))

    def flush_if_due(self) -> None:
        """Retry the backlog, then let the writer group-commit if its batch is due (the end of a poll)."""
        if self._backlog and not self._drain():
            return
        try:
            self._writer.flush_if_due()
        except StorageError as exc:
            log.error("storage_flush_failed", error=str(exc), backlog=len(self._backlog))

    def close(self) -> None:
        """Flush and close; a backlog left over is reported, since it is lost with the process."""
        self.flush()
        if self._backlog:
            self.lost_at_exit = len(self._backlog)
            log.error("storage_backlog_lost_at_exit", records=self.lost_at_exit)
        try:
            self._writer.close()
        except StorageError as exc:
            log.error("storage_close_failed", error=str(exc))

    def _try_write(self, stream: str, record: BaseModel) -> bool:
        """False when the disk refused (retry later); True when the record is written or rejected for good."""
        try:
            self._writer.write(stream, record)
        except (DiskError, DataRootBusyError) as exc:
            if self.gave_up is None and (isinstance(exc, DataRootBusyError) or exc.permanent):
                self.gave_up = exc
                log.error("storage_refused_for_good", stream=stream, error=str(exc))
            log.error(
                "storage_write_failed",
                stream=stream,
                timestamp=_timestamp_of(record),
                error=str(exc),
                backlog=len(self._backlog) + 1,
            )
            return False
        except StorageError as exc:
            self.rejected += 1
            log.error(
                "record_rejected",
                stream=stream,
                timestamp=_timestamp_of(record),
                record_type=type(record).__name__,
                error=str(exc),
            )
            return True
        self.written += 1
        return True

    def _drain(self) -> bool:
        drained = 0
        while self._backlog:
            stream, record = self._backlog[0]
            if not self._try_write(stream, record):
                return False
            self._backlog.popleft()
            drained += 1
        if drained:
            log.info("storage_backlog_drained", records=drained)
        return True

    def _enqueue(self, stream: str, record: BaseModel) -> None:
        self._backlog.append((stream, record))
        if len(self._backlog) > self._max_backlog:
            lost_stream, lost = self._backlog.popleft()
            self.dropped += 1
            log.error(
                "storage_backlog_overflow",
                stream=lost_stream,
                timestamp=_timestamp_of(lost),
                dropped_total=self.dropped,
            )

    def losses(self) -> dict[str, int]:
        """Records accepted from the loop that are not on disk, by cause; empty when nothing was lost."""
        causes = {
            "backlog_overflow": self.dropped,
            "backlog_at_exit": self.lost_at_exit,
            "file_deleted": self._writer.lost,
            "fsync_failed": self._writer.unconfirmed,
        }
        return {cause: count for cause, count in causes.items() if count}
