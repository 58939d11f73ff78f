"""The durable JSONL writer: one stream per record kind, rotated by day and size.

Why each choice (docs/storage.md has the whole promise):

- A record is serialised first (pydantic's ``model_dump_json``, so the same
  record always gives the same bytes), then appended with one ``os.write`` on an
  ``O_APPEND`` descriptor: a reader never sees half a record from a live writer,
  and a record is never split across files.
- A write that fails or comes up short is cut back with ``ftruncate`` to the
  size before it and raises :class:`~brain.storage.errors.DiskError`; the part
  is then closed, so the next write reopens it and crash repair checks its tail.
  When ``write`` raises, the record is not in the file; when it returns, it is.
- A record counts as durable (:attr:`DatasetWriter.durable`) only once an fsync
  covering it has succeeded; new files and directories are made durable in
  their parent directory before any record in them is.

Not thread-safe: one writer per data root, used from one thread (the daemon's
poll job).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from brain.contracts import STREAMS
from brain.errors import ConfigError, StorageError
from brain.storage.dataset import DatasetManager, part_file_name, stream_parts
from brain.storage.durable import fsync_dir
from brain.storage.errors import (
    DiskError,
    DiskFullError,
    UnknownStreamError,
    UnserializableRecordError,
    disk_error,
)
from brain.storage.repair import repair_torn_tail
from brain.storage.rotation import SiteCalendar
from brain.storage.settings import FsyncPolicy, StorageSettings, UnserializablePolicy
from brain.timezones import known_time_zone

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _OpenPart:
    """The file a stream currently appends to, and what is known about it."""

    stream: str
    day: date
    index: int
    path: Path
    fd: int
    size: int
    pending: int = 0
    """Records appended here and not yet covered by a successful fsync."""


def _failing_field(record: BaseModel) -> str:
    """The dotted name of the first field that cannot be serialised, for the error message."""
    for name in type(record).model_fields:
        try:
            record.model_dump_json(include={name}, warnings="error")
        except (PydanticSerializationError, ValueError, TypeError):
            value = getattr(record, name, None)
            if isinstance(value, BaseModel):
                return f"{name}.{_failing_field(value)}"
            return name
    return "<record>"


class DatasetWriter:
    """Appends records to ``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl`` under a durability policy.

    ``timezone`` is the site's (IANA name): a new run directory starts at its midnight.
    """

    def __init__(
        self,
        data_root: os.PathLike[str] | str,
        settings: StorageSettings,
        *,
        timezone: str = "UTC",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            zone = ZoneInfo(known_time_zone(timezone))
        except ValueError as exc:
            raise ConfigError(str(exc), key="timezone") from exc
        self._dataset = DatasetManager(Path(data_root))
        self._settings = settings
        self._policy = settings.fsync
        self._fsync_dirs = settings.fsync is not FsyncPolicy.NEVER
        self._monotonic = monotonic
        self._max_file_bytes = settings.max_file_bytes
        self._batch_records = settings.batch_records
        self._calendar = SiteCalendar(zone)
        self._parts: dict[str, _OpenPart] = {}
        self._written = dict.fromkeys(STREAMS, 0)
        self._durable = dict.fromkeys(STREAMS, 0)
        self._unsynced = 0
        self._batch_started = 0.0
        self._closed = False
        self.skipped_unserializable = 0
        """Records dropped under ``on_unserializable = "skip"`` (each one logged)."""
        self.unconfirmed = 0
        """Records appended whose fsync failed: they may or may not have survived."""

    @property
    def written(self) -> Mapping[str, int]:
        """Per stream, records appended (handed to the kernel) since this writer was opened."""
        return MappingProxyType(self._written)

    @property
    def durable(self) -> Mapping[str, int]:
        """Per stream, how many of the records written first are covered by a successful fsync.

        Records of one stream become durable in the order they were written, so as
        long as no fsync failed (:attr:`unconfirmed` is 0), ``durable["state"] == 7``
        acknowledges exactly the first seven ``state`` records this writer was given.
        Always 0 under ``fsync = "never"``.
        """
        return MappingProxyType(self._durable)

    def write(self, stream: str, record: BaseModel) -> None:
        """Append ``record`` as one line of ``stream``; raise a ``StorageError`` if it was not appended."""
        if self._closed:
            raise StorageError(f"writer for {self._dataset.data_root} is closed")
        model = STREAMS.get(stream)
        if model is None or not isinstance(record, model):
            raise UnknownStreamError(stream, type(record).__name__)
        # The common case inline (a replay writes a million records): any doubt goes the slow way.
        timestamp = getattr(record, "timestamp", None)
        try:
            if not isinstance(timestamp, datetime) or timestamp.utcoffset() is None:
                raise TypeError("no aware timestamp")
            line = record.__pydantic_serializer__.to_json(record, warnings=False) + b"\n"
        except (PydanticSerializationError, ValueError, TypeError):
            serialised = self._serialise(stream, record)
            if serialised is None:
                return
            line, timestamp = serialised
        day = self._calendar.day_of(timestamp)
        part = self._parts.get(stream)
        if part is None or part.day != day:
            part = self._open_day(stream, day)
        if part.size and part.size + len(line) > self._max_file_bytes:
            part = self._rotate(part)
        self._append(part, line)
        self._written[stream] += 1
        if self._policy is FsyncPolicy.BATCH:
            part.pending += 1
            self._unsynced += 1
            if self._unsynced == 1:
                self._batch_started = self._monotonic()
            if self._unsynced >= self._batch_records or self._batch_due():
                self._group_commit_after_append()
        elif self._policy is FsyncPolicy.ALWAYS:
            self._commit_one(part, len(line))

    def flush_if_due(self) -> None:
        """Group-commit if the oldest unsynced record is ``batch_seconds`` old (call it from a timer)."""
        if self._unsynced and self._batch_due():
            self._sync_all()

    def flush(self) -> None:
        """Make every record written so far durable (no-op under ``fsync = "never"``)."""
        if self._policy is not FsyncPolicy.NEVER:
            self._sync_all()

    def close(self) -> None:
        """Flush and close every file; idempotent. Descriptors are closed even if the flush fails."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            for part in list(self._parts.values()):
                self._forget(part)

    def _serialise(self, stream: str, record: BaseModel) -> tuple[bytes, datetime] | None:
        """The record's line and timestamp, or ``None`` if it was skipped as unserialisable."""
        timestamp = getattr(record, "timestamp", None)
        if not isinstance(timestamp, datetime) or timestamp.utcoffset() is None:
            error = UnserializableRecordError(
                type(record).__name__, "timestamp", "an aware datetime is needed to choose the run directory"
            )
        else:
            try:
                return record.__pydantic_serializer__.to_json(record, warnings=False) + b"\n", timestamp
            except (PydanticSerializationError, ValueError, TypeError) as exc:
                error = UnserializableRecordError(type(record).__name__, _failing_field(record), str(exc))
        if self._settings.on_unserializable is UnserializablePolicy.RAISE:
            raise error
        self.skipped_unserializable += 1
        log.error(
            "storage_record_skipped",
            stream=stream,
            record_type=error.record_type,
            field=error.field,
            reason=str(error),
            skipped_total=self.skipped_unserializable,
        )
        return None

    def _open_day(self, stream: str, day: date) -> _OpenPart:
        """Switch ``stream`` to the run directory of ``day``, appending to its latest part."""
        old = self._parts.get(stream)
        if old is not None:
            self._retire(old)
        run_dir = self._dataset.create_run(day, durable=self._fsync_dirs)
        parts = stream_parts(run_dir, stream)
        if parts and not parts[-1].compressed:
            repair_torn_tail(parts[-1].path, durable=self._fsync_dirs)
            return self._open_part(stream, day, run_dir, parts[-1].number)
        return self._open_part(stream, day, run_dir, parts[-1].number + 1 if parts else 0)

    def _rotate(self, part: _OpenPart) -> _OpenPart:
        """Size rotation: seal the full part (fsync per policy) and start the next number."""
        self._retire(part)
        return self._open_part(part.stream, part.day, part.path.parent, part.index + 1)

    def _open_part(self, stream: str, day: date, run_dir: Path, index: int) -> _OpenPart:
        path = run_dir / part_file_name(stream, index)
        created = not path.exists()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise disk_error(path, exc, "open for append") from exc
        try:
            size = os.fstat(fd).st_size
            if created and self._fsync_dirs:
                fsync_dir(run_dir)
        except OSError as exc:
            os.close(fd)
            raise disk_error(path, exc, "stat") from exc
        except DiskError:
            os.close(fd)
            raise
        part = _OpenPart(stream=stream, day=day, index=index, path=path, fd=fd, size=size)
        self._parts[stream] = part
        log.info("storage_part_opened", stream=stream, file=str(path), size=size, created=created)
        return part

    def _append(self, part: _OpenPart, line: bytes) -> None:
        """One ``os.write``; on failure or a short write, cut the file back and raise."""
        try:
            count = os.write(part.fd, line)
        except OSError as exc:
            self._cut_back(part)
            raise disk_error(part.path, exc, "write") from exc
        if count != len(line):
            self._cut_back(part)
            raise DiskFullError(
                part.path, errno.ENOSPC, f"short write ({count} of {len(line)} bytes, disk full?); cut back"
            )
        part.size += count

    def _cut_back(self, part: _OpenPart) -> None:
        """Remove whatever a failed append left, then close the part so its tail is re-checked on reopen."""
        try:
            os.ftruncate(part.fd, part.size)
        except OSError as exc:
            log.error("storage_cut_back_failed", file=str(part.path), size=part.size, error=str(exc))
        try:
            self._retire(part)
        except DiskError as exc:
            log.error("storage_retire_failed", file=str(part.path), error=str(exc))

    def _commit_one(self, part: _OpenPart, length: int) -> None:
        """Policy ``always``: fsync this record; if that fails, take it back out of the file and raise."""
        try:
            os.fsync(part.fd)
        except OSError as exc:
            part.size -= length
            self._written[part.stream] -= 1
            self._cut_back(part)
            raise disk_error(part.path, exc, "fsync") from exc
        self._durable[part.stream] += 1

    def _batch_due(self) -> bool:
        return (
            self._unsynced >= self._settings.batch_records
            or self._monotonic() - self._batch_started >= self._settings.batch_seconds
        )

    def _group_commit_after_append(self) -> None:
        """A group commit triggered by ``write``: the record is appended already, so a failure is logged."""
        try:
            self._sync_all()
        except DiskError as exc:
            log.error("storage_group_commit_failed", error=str(exc), unconfirmed_total=self.unconfirmed)

    def _sync_all(self) -> None:
        first_error: DiskError | None = None
        for part in list(self._parts.values()):
            try:
                self._sync(part)
            except DiskError as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def _sync(self, part: _OpenPart) -> None:
        """Make one part durable and acknowledge its pending records; on failure they stay unconfirmed."""
        if not part.pending:
            return
        pending, part.pending = part.pending, 0
        self._unsynced -= pending
        try:
            os.fsync(part.fd)
        except OSError as exc:
            # After a failed fsync the kernel may have dropped the dirty pages and a retry
            # can falsely succeed, so these records are never acknowledged.
            self.unconfirmed += pending
            self._forget(part)
            raise disk_error(part.path, exc, f"fsync ({pending} records unconfirmed)") from exc
        self._durable[part.stream] += pending

    def _retire(self, part: _OpenPart) -> None:
        """Stop appending to ``part``: make its records durable per policy, then close it."""
        try:
            self._sync(part)
        finally:
            self._forget(part)

    def _forget(self, part: _OpenPart) -> None:
        """Close ``part`` once (a closed descriptor number may already belong to another file)."""
        if self._parts.get(part.stream) is part:
            del self._parts[part.stream]
        if part.fd < 0:
            return
        fd, part.fd = part.fd, -1
        try:
            os.close(fd)
        except OSError as exc:
            log.error("storage_close_failed", file=str(part.path), error=str(exc))
