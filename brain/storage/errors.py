"""What can go wrong in storage, each error carrying what an operator needs to act on it.

Why subclasses of :class:`brain.errors.StorageError`: the daemon's
:class:`brain.daemon.sink.BacklogSink` catches ``StorageError`` and retries later, so a
full or failing disk never stops the polling; tools and tests catch the precise
subclass to tell "the disk refused" from "this line is bad".
"""

from __future__ import annotations

import errno as errno_codes
import os
from pathlib import Path

from brain.errors import StorageError


class UnknownStreamError(StorageError):
    """A record was handed to a stream that does not exist or holds another record kind."""

    def __init__(self, stream: str, record_type: str) -> None:
        self.stream = stream
        self.record_type = record_type
        super().__init__(f"cannot write {record_type} to stream {stream!r}")


class UnserializableRecordError(StorageError):
    """A record could not be turned into JSON; nothing was written for it."""

    def __init__(self, record_type: str, field: str, reason: str) -> None:
        self.record_type = record_type
        self.field = field
        super().__init__(f"{record_type}.{field} cannot be serialised: {reason}")


class TimestampOutOfRangeError(UnserializableRecordError):
    """A record dated outside the span brain stores (:data:`brain.contracts.SCHEDULABLE`, 2000 to 2100)."""

    def __init__(self, stream: str, record_type: str, timestamp: str) -> None:
        self.stream = stream
        self.timestamp = timestamp
        super().__init__(record_type, "timestamp", f"{timestamp} is outside the years brain stores")


PERMANENT_ERRNOS = frozenset(
    {
        errno_codes.EACCES,
        errno_codes.EPERM,
        errno_codes.EROFS,
        errno_codes.ENOTDIR,
        errno_codes.EEXIST,
        errno_codes.EISDIR,
        errno_codes.ELOOP,
        errno_codes.ENAMETOOLONG,
    }
)
"""Causes that waiting does not cure: a person must change a mode, a mount or a path."""

_CAUSES = {
    errno_codes.EACCES: "permission denied",
    errno_codes.EPERM: "operation not permitted",
    errno_codes.EROFS: "the file system is read-only",
    errno_codes.ENOTDIR: "a file is in the place of one of its parent folders",
    errno_codes.EEXIST: "a file is in its place",
    errno_codes.ENOSPC: "no space left on the device",
    errno_codes.EDQUOT: "disk quota exceeded",
    errno_codes.EIO: "input/output error (the card may be failing)",
}


class DiskError(StorageError):
    """The operating system refused a write, an fsync or a file operation.

    ``permanent`` tells the daemon's backlog whether waiting can help: a full or
    briefly failing disk (ENOSPC, EIO, ...) may take records again later; a
    read-only file system, a missing permission or a file where a folder should
    be (:data:`PERMANENT_ERRNOS`) never will, so holding records back for it
    only hides a total loss.
    """

    def __init__(self, path: Path, errno: int | None, message: str) -> None:
        self.path = path
        self.errno = errno
        self.permanent = errno in PERMANENT_ERRNOS
        super().__init__(f"{path}: {message}")


class DiskFullError(DiskError):
    """No space left (ENOSPC, EDQUOT or a short write): retry once space returns."""


class DiskIOError(DiskError):
    """The device reported an I/O error (EIO): the SD card may be failing."""


class DataRootUnwritableError(DiskError):
    """A folder brain must write into cannot be created or written: refused at start, before any record."""

    def __init__(self, folder: Path, errno: int | None) -> None:
        cause = _CAUSES.get(errno or 0) or (os.strerror(errno) if errno else "unknown cause")
        super().__init__(folder, errno, f"cannot create or write this folder: {cause} [Errno {errno}]")


class DataRootBusyError(StorageError):
    """Another process holds the data root's lock: a second writer is refused (docs/storage.md).

    The CLI maps it to exit 75 (EX_TEMPFAIL): trying again once the holder is gone can work.
    """

    def __init__(self, data_root: Path, pid: int | None, holder: str | None) -> None:
        self.data_root = data_root
        self.pid = pid
        self.holder = holder
        if pid == os.getpid():  # another lock object in this process: pass the held one instead
            who = f"this process itself (pid {pid})"
        else:
            who = f"process {pid}" if pid is not None else "another process (pid unknown)"
        what = f" ({holder})" if holder else ""
        super().__init__(
            f"{data_root}: data root in use by {who}{what}; refusing a second writer "
            "(stop that process, or give this one another data root)"
        )


def disk_error(path: Path, exc: OSError, action: str) -> DiskError:
    """Map an ``OSError`` to the :class:`DiskError` subclass that says what to do about it."""
    message = f"{action} failed: [Errno {exc.errno}] {exc.strerror or exc}"
    if exc.errno in (errno_codes.ENOSPC, errno_codes.EDQUOT):
        return DiskFullError(path, exc.errno, message)
    if exc.errno == errno_codes.EIO:
        return DiskIOError(path, exc.errno, message)
    return DiskError(path, exc.errno, message)


class MalformedLineError(StorageError):
    """A JSONL line is not a valid record (raised under ``MalformedLinePolicy.FAIL``)."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(f"{path}:{line}: {reason}")


class UnrecognisedInputError(StorageError):
    """The first lines of a stream are all malformed: the input is not this stream at all.

    Raised when a reader was told to give up after that many lines (a replay does,
    after 100): a CSV, another program's log or a binary file would otherwise be
    read to its end one warning per line.
    """

    def __init__(self, path: Path, lines: int, first_reason: str) -> None:
        self.path = path
        self.lines = lines
        self.first_reason = first_reason
        super().__init__(f"{path}: the first {lines} lines are not valid records (the first: {first_reason})")
