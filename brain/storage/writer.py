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
- One writer per data root: the writer holds the data root's lock
  (:class:`~brain.storage.lock.DataRootLock`) from construction to :meth:`close`,
  so a second writer is refused at start and the cut-back above can only ever
  touch this writer's own bytes. Constructing the writer is also the start
  check: a data root that cannot be created or written is refused there.
- Deleted output is noticed: before records are acknowledged (at every fsync,
  group commit, flush, size and day rotation), the open part's inode is compared
  with the one its path names. A part deleted under the writer (``rm`` of the
  file, of its run directory, of the whole data root) is logged as
  ``storage_output_deleted``, the folders and the lock file are recreated and
  writing resumes in a new part; the records that went into the unlinked file
  since the last check are counted in :attr:`DatasetWriter.lost`.
- A record dated outside :data:`~brain.contracts.SCHEDULABLE` (2000 to 2100) is refused
  like an unserialisable one, never written into a wrongly named folder.

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

from brain.contracts import SCHEDULABLE, STREAMS
from brain.errors import ConfigError, StorageError
from brain.storage.dataset import DatasetManager, part_file_name, stream_parts
from brain.storage.durable import fsync_dir
from brain.storage.errors import (
    DataRootBusyError,
    DiskError,
    DiskFullError,
    TimestampOutOfRangeError,
    UnknownStreamError,
    UnserializableRecordError,
    disk_error,
)
from brain.storage.lock import DataRootLock
from brain.storage.modes import open_created
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
    identity: tuple[int, int]
    """``(st_dev, st_ino)`` of the open file: the path must still name it for records to count."""
    pending: int = 0
    """Records appended here and not yet checked (fsynced, under ``batch``, and found still at ``path``)."""


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
        holder: str = "brain writer",
    ) -> None:
        """Take the data root's lock (creating the root if needed), or raise.

        Raises :class:`~brain.storage.errors.DataRootBusyError` when another process
        writes there, and :class:`~brain.storage.errors.DataRootUnwritableError`
        (a ``DiskError`` whose ``permanent`` says whether waiting can help) when the
        data root cannot be created or written. ``holder`` says what this writer is
        in the lock file, for the message another writer gets.
        """
        try:
            zone = ZoneInfo(known_time_zone(timezone))
        except ValueError as exc:
            raise ConfigError(str(exc), key="timezone") from exc
        data_root = Path(data_root)
        self._dataset = DatasetManager(data_root)
        self._settings = settings
        self._policy = settings.fsync
        self._fsync_dirs = settings.fsync is not FsyncPolicy.NEVER
        self._monotonic = monotonic
        self._max_file_bytes = settings.max_file_bytes
        self._batch_records = settings.batch_records
        self._batch_seconds = settings.batch_seconds
        self._calendar = SiteCalendar(zone)
        self._parts: dict[str, _OpenPart] = {}
        self._written = dict.fromkeys(STREAMS, 0)
        self._durable = dict.fromkeys(STREAMS, 0)
        self._unsynced = 0
        self._batch_started = 0.0
        self._refusal: StorageError | None = None
        """Why every further write is refused (closed, or the data root lost to another writer)."""
        self.skipped_unserializable = 0
        """Records dropped under ``on_unserializable = "skip"`` (each logged), out-of-range dates included."""
        self.unconfirmed = 0
        """Records appended whose fsync failed: they may or may not have survived."""
        self.lost = 0
        """Records appended into a file that was deleted before they were checked: gone (each loss logged)."""
        self._lock = DataRootLock(data_root, holder, durable=self._fsync_dirs).acquire()

    @property
    def lock(self) -> DataRootLock:
        """The data root's lock this writer holds, for work done under it (``apply_retention(lock=...)``)."""
        return self._lock

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
        Always 0 under ``fsync = "never"``; a prefix only while :attr:`unconfirmed` and
        :attr:`lost` are 0.
        """
        return MappingProxyType(self._durable)

    def write(self, stream: str, record: BaseModel) -> None:
        """Append ``record`` as one line of ``stream``; raise a ``StorageError`` if it was not appended."""
        if self._refusal is not None:
            raise self._refusal
        model = STREAMS.get(stream)
        if model is None or not isinstance(record, model):
            raise UnknownStreamError(stream, type(record).__name__)
        # The common case inline (a replay writes a million records): any doubt goes the slow way,
        # which tells an unserialisable record (first) from one dated outside the span. One
        # ``in SCHEDULABLE`` answers "aware and in the span" for the common case (it was asked
        # twice, 0.2 us a record).
        timestamp = getattr(record, "timestamp", None)
        try:
            if not isinstance(timestamp, datetime) or timestamp not in SCHEDULABLE:
                raise TypeError("no aware timestamp in the schedulable span")
            line = record.__pydantic_serializer__.to_json(record, warnings=False) + b"\n"
        except (PydanticSerializationError, ValueError, TypeError):
            serialised = self._serialise(stream, record)
            if serialised is None:
                return
            line, timestamp = serialised
            if timestamp not in SCHEDULABLE:  # never a folder named for year 1 or 9999
                self._refuse_time(stream, record, timestamp)
                return
        day = self._calendar.day_of(timestamp)
        part = self._parts.get(stream)
        if part is None or part.day != day:
            part = self._open_day(stream, day)
        if part.size and part.size + len(line) > self._max_file_bytes:
            part = self._rotate(part)
        self._append(part, line)
        self._written[stream] += 1
        if self._policy is FsyncPolicy.ALWAYS:
            self._commit_one(part, line)
        else:
            part.pending += 1
            self._unsynced += 1
            if self._unsynced == 1:
                self._batch_started = self._monotonic()
            if self._batch_due():
                self._group_commit_after_append()

    def flush_if_due(self) -> None:
        """Group-commit if the oldest unsynced record is ``batch_seconds`` old (call it from a timer)."""
        if self._unsynced and self._batch_due():
            self._sync_all()

    def flush(self) -> None:
        """Make every record written so far durable and check every open part is still in place.

        Under ``fsync = "never"`` nothing is fsynced, but the check is made: a part
        deleted under the writer is logged and its unchecked records counted in :attr:`lost`.
        """
        if self._refusal is not None:
            return
        self._verify_lock()
        self._sync_all()

    def close(self) -> None:
        """Flush, close every file, release the data root; idempotent. Closes all even if the flush fails."""
        if self._refusal is not None and not self._lock.held:
            return
        self._refusal = StorageError(f"writer for {self._dataset.data_root} is closed")
        try:
            self._sync_all()
        finally:
            for part in list(self._parts.values()):
                self._forget(part)
            self._lock.release()

    def _refuse_time(self, stream: str, record: BaseModel, timestamp: datetime) -> None:
        """Skip (or raise for) a record outside the schedulable span."""
        error = TimestampOutOfRangeError(stream, type(record).__name__, timestamp.isoformat())
        self._reject(stream, error, timestamp=timestamp.isoformat(), storable=str(SCHEDULABLE))

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
        self._reject(stream, error)
        return None

    def _reject(self, stream: str, error: UnserializableRecordError, **context: str) -> None:
        """Raise ``error`` or log and count the record as skipped, per ``storage.on_unserializable``."""
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
            **context,
        )

    def _open_day(self, stream: str, day: date) -> _OpenPart:
        """Switch ``stream`` to the run directory of ``day``, appending to its latest part."""
        old = self._parts.get(stream)
        if old is not None:
            self._retire(old)
        self._verify_lock()
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
        try:
            fd, created = open_created(path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise disk_error(path, exc, "open for append") from exc
        try:
            stat = os.fstat(fd)
            if created and self._fsync_dirs:
                fsync_dir(run_dir)
        except OSError as exc:
            os.close(fd)
            raise disk_error(path, exc, "stat") from exc
        except DiskError:
            os.close(fd)
            raise
        part = _OpenPart(
            stream=stream,
            day=day,
            index=index,
            path=path,
            fd=fd,
            size=stat.st_size,
            identity=(stat.st_dev, stat.st_ino),
        )
        self._parts[stream] = part
        log.info("storage_part_opened", stream=stream, file=str(path), size=part.size, created=created)
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

    def _commit_one(self, part: _OpenPart, line: bytes) -> None:
        """Policy ``always``: fsync this record and check its file is still in place, then acknowledge it.

        If the fsync fails, the record is taken back out of the file and the error
        raised. If the file was deleted, the record went into an unlinked file: it is
        written once more into a recreated part (nothing is lost under ``always``);
        only a second deletion in a row loses it.
        """
        for attempt in (1, 2):
            try:
                os.fsync(part.fd)
            except OSError as exc:
                part.size -= len(line)
                self._written[part.stream] -= 1
                self._cut_back(part)
                raise disk_error(part.path, exc, "fsync") from exc
            if self._still_in_place(part):
                self._durable[part.stream] += 1
                return
            self._output_deleted(part, lost=attempt - 1)
            if attempt == 1:
                stream = part.stream
                try:
                    part = self._open_day(stream, part.day)
                    self._append(part, line)
                except DiskError:  # not stored anywhere: the caller may retry it
                    self._written[stream] -= 1
                    raise

    def _batch_due(self) -> bool:
        return (
            self._unsynced >= self._batch_records
            or self._monotonic() - self._batch_started >= self._batch_seconds
        )

    def _group_commit_after_append(self) -> None:
        """A group commit triggered by ``write``: the record is appended already, so a failure is logged."""
        try:
            self._sync_all()
        except DiskError as exc:
            log.error("storage_group_commit_failed", error=str(exc), unconfirmed_total=self.unconfirmed)

    def _verify_lock(self) -> None:
        """Recreate a deleted lock file; a writer that lost its data root to another process stops here."""
        try:
            self._lock.verify()
        except DataRootBusyError as exc:
            self._refusal = exc
            for part in list(self._parts.values()):
                self._forget(part)
            raise

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
        """Make one part durable (not under ``never``), check it is still in place, acknowledge its records.

        On a failed fsync they stay unconfirmed; in a deleted file they are lost.
        """
        if not part.pending:
            return
        pending, part.pending = part.pending, 0
        self._unsynced -= pending
        if self._fsync_dirs:
            try:
                os.fsync(part.fd)
            except OSError as exc:
                # After a failed fsync the kernel may have dropped the dirty pages and a retry
                # can falsely succeed, so these records are never acknowledged.
                self.unconfirmed += pending
                self._forget(part)
                raise disk_error(part.path, exc, f"fsync ({pending} records unconfirmed)") from exc
        if not self._still_in_place(part):
            self._output_deleted(part, lost=pending)
        elif self._fsync_dirs:
            self._durable[part.stream] += pending

    @staticmethod
    def _still_in_place(part: _OpenPart) -> bool:
        """Whether ``part.path`` still names the open file (one ``stat``: cheap next to an fsync)."""
        try:
            stat = part.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError:
            return True  # cannot tell (a folder made unsearchable): the next open will report the cause
        return (stat.st_dev, stat.st_ino) == part.identity

    def _output_deleted(self, part: _OpenPart, *, lost: int) -> None:
        """Log the deletion, count what went with it, and close the part: the next write recreates it."""
        self.lost += lost
        log.error(
            "storage_output_deleted",
            path=str(part.path),
            stream=part.stream,
            records_lost_since_last_check=lost,
            lost_total=self.lost,
        )
        self._forget(part)

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
