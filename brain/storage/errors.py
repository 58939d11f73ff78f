"""What can go wrong in storage, each error carrying what an operator needs to act on it.

Why subclasses of :class:`brain.errors.StorageError`: the daemon's
:class:`brain.daemon.sink.BacklogSink` catches ``StorageError`` and retries later, so a
full or failing disk never stops the polling; tools and tests catch the precise
subclass to tell "the disk refused" from "this line is bad".
"""

from __future__ import annotations

import errno as errno_codes
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


class DiskError(StorageError):
    """The operating system refused a write, an fsync or a file operation."""

    def __init__(self, path: Path, errno: int | None, message: str) -> None:
        self.path = path
        self.errno = errno
        super().__init__(f"{path}: {message}")


class DiskFullError(DiskError):
    """No space left (ENOSPC, EDQUOT or a short write): retry once space returns."""


class DiskIOError(DiskError):
    """The device reported an I/O error (EIO): the SD card may be failing."""


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
