"""Reading a stream back: every rotated and gzipped part, in order, with an explicit bad-line policy.

Records come back in storage order: run directories by date, parts by number,
lines as written, which is time order for what brain wrote. The reader
never reorders (that would mean holding a whole stream in memory); callers
that need strictly increasing time, like the replay source, check it.

Why one validation per line rather than batches: with pydantic-core 2.x a
line costs about 2 microseconds either way, and batches of more than a few
hundred lines are *slower* (they keep many objects alive for the garbage
collector); ``bench/storage.py`` prints both figures. Per line, every error
carries its exact line number without a second pass.

Hostile input stays bounded (docs/storage.md, "Reading back"):

- a line longer than :data:`MAX_LINE_BYTES` is reported with its length and
  skipped, read in chunks of that size and never held whole (a gzip of 1 MB
  that expands to one line of 1 GiB costs one chunk of memory);
- only regular files are opened: a FIFO, a device or a socket in a replay folder
  (or a part that is a symlink to ``/dev/zero``) is reported and skipped, never
  opened for reading (a FIFO would block the open forever, ``/dev/zero`` never ends);
- after :data:`MAX_LOGGED_MALFORMED` malformed lines in one stream the rest are
  counted, not logged one by one, and one summary line says how many were not
  logged: a CSV given to a replay must not write 41,714 warnings.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Generic, NamedTuple, TypeVar, cast

import structlog
from pydantic import BaseModel, ValidationError

from brain.regular_files import NotRegularFileError, file_kind, open_regular_fd
from brain.storage.dataset import stream_files
from brain.storage.errors import MalformedLineError, UnrecognisedInputError

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_KEPT_ERRORS = 100
"""Malformed lines kept in :attr:`RecordStream.errors`; all of them are counted."""

MAX_LOGGED_MALFORMED = 100
"""Malformed lines of one stream logged one by one; the rest are counted and summed up in one line."""

MAX_LINE_BYTES = 64 * 1024
"""The longest line read (newline not counted); a longer one is reported with its length and skipped.

Why 64 KiB: the longest line brain writes is a state record of about 600 bytes (an
observation whose five sensors all carry an error text stays under 2 KB), so the
limit is a hundred times anything valid, while a reader holds at most one such
chunk however long a runaway line is.
"""

_REASON_CHARS = 200


class MalformedLinePolicy(StrEnum):
    """What a reader does with a line that is not a valid record."""

    SKIP = "skip"
    """Log it with file and line number, count it, go on."""
    FAIL = "fail"
    """Raise :class:`~brain.storage.errors.MalformedLineError` naming file and line."""


@dataclass(frozen=True)
class MalformedLine:
    """One line that was not a valid record, and why."""

    path: Path
    line: int
    reason: str


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        text = f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:_REASON_CHARS]


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO | gzip.GzipFile]:
    """Open a regular file, plain or gzipped (judged by the name retention gives compressed parts).

    Anything else is refused before it is read: ``stat`` first, so a device, FIFO or
    socket is never opened at all, then ``O_NONBLOCK`` and ``fstat`` on what was
    opened, so a FIFO put there in between cannot block the open either. A directory
    is opened (harmless), so that one the reader may not list says ``Permission denied``.
    """
    mode = path.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise NotRegularFileError(f"{file_kind(mode)}, not a regular file: not read")
    fd = open_regular_fd(path)
    try:
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
                yield unzipped
        else:
            yield handle


@dataclass(frozen=True)
class _LongLine:
    """A line over :data:`MAX_LINE_BYTES`, skipped: only its length is kept."""

    length: int


def _too_long(length: int) -> str:
    return f"line of {length} bytes, longer than the {MAX_LINE_BYTES} a record may have: not read"


def _bounded_lines(handle: BinaryIO | gzip.GzipFile) -> Iterator[bytes | _LongLine]:
    """The lines of ``handle``, each at most :data:`MAX_LINE_BYTES`; a longer one as its length only."""
    while line := handle.readline(MAX_LINE_BYTES + 1):
        if line.endswith(b"\n") or len(line) <= MAX_LINE_BYTES:
            yield line
            continue
        length = len(line)
        while (chunk := handle.readline(MAX_LINE_BYTES)) and not chunk.endswith(b"\n"):
            length += len(chunk)
        yield _LongLine(length + max(len(chunk) - 1, 0))


class Located(NamedTuple, Generic[M]):
    """A record with the file and line it was read from.

    A named tuple, not a frozen dataclass: one is made per line read, and a frozen
    dataclass's ``__init__`` (``object.__setattr__`` per field) costs 0.6 us against 0.26 us.
    """

    record: M
    path: Path
    line: int


class RecordStream(Generic[M]):
    """An iterator over the valid records of one stream, counting and reporting the bad lines.

    Example::

        records = iter_records(Path("data"), "observations", ObservationV1)
        for observation in records:
            ...
        print(records.records, records.malformed, records.errors[:3])
    """

    def __init__(
        self,
        path: os.PathLike[str] | str | Sequence[os.PathLike[str] | str],
        stream: str,
        model: type[M],
        *,
        policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
        give_up_after: int | None = None,
    ) -> None:
        paths = [Path(path)] if isinstance(path, (str, os.PathLike)) else [Path(each) for each in path]
        self.files = [file for each in paths for file in stream_files(each, stream)]
        """The files read, in order (those of each path in turn, when given several)."""
        self.policy = MalformedLinePolicy(policy)
        self.give_up_after = give_up_after
        """Raise :class:`UnrecognisedInputError` after this many lines and no record kept; ``None``: never."""
        self.rejected = 0
        """Records returned and then left out by the caller (:meth:`reject`)."""
        self._first_skipped: tuple[Path, str] | None = None
        self.records = 0
        """Valid records returned so far."""
        self.malformed = 0
        """Lines skipped as malformed, plus unreadable remainders of damaged files."""
        self.errors: list[MalformedLine] = []
        """The first :data:`MAX_KEPT_ERRORS` malformed lines."""
        self._last: Located[M] | None = None
        self._validate = model.__pydantic_validator__.validate_json
        self._lines = self._iter_located()

    @property
    def location(self) -> tuple[Path, int] | None:
        """File and line of the record returned last."""
        last = self._last
        return None if last is None else (last.path, last.line)

    def __iter__(self) -> RecordStream[M]:
        return self

    def __next__(self) -> M:
        located = next(self._lines)
        self._last = located
        self.records += 1
        return located.record

    def next_located(self) -> Located[M] | None:
        """The next valid record with its file and line, or ``None`` at the end.

        ``next()`` then :attr:`location`, in one step: the replay reads every record so, and
        the pair cost a tuple made, read back and wrapped again per record.
        """
        located = next(self._lines, None)
        if located is not None:
            self._last = located
            self.records += 1
        return located

    def close(self) -> None:
        """Close the file being read; the stream then ends."""
        self._lines.close()

    def reject(self, path: Path, reason: str) -> None:
        """Count a record returned from ``path`` as left out by the caller (a time it cannot act on).

        Left-out records count towards ``give_up_after`` as malformed lines do, as long as
        the caller has kept no record.
        """
        self.rejected += 1
        self._give_up_if_nothing_kept(path, reason)

    def _give_up_if_nothing_kept(self, path: Path, reason: str) -> None:
        if self._first_skipped is None:
            self._first_skipped = (path, reason)
        limit = self.give_up_after
        if limit is None or self.records > self.rejected or self.malformed + self.rejected < limit:
            return
        first_path, first_reason = self._first_skipped
        raise UnrecognisedInputError(first_path, self.malformed + self.rejected, first_reason)

    def _iter_located(self) -> Generator[Located[M], None, None]:
        try:
            for path in self.files:
                yield from self._iter_file(path)
        finally:
            self._summarise()

    def _iter_file(self, path: Path) -> Generator[Located[M], None, None]:
        validate = self._validate
        line_number = 0
        try:
            with open_regular(path) as handle:
                for line_number, line in enumerate(_bounded_lines(handle), 1):
                    if isinstance(line, _LongLine):
                        self._bad_line(path, line_number, _too_long(line.length))
                        continue
                    try:
                        record = cast("M", validate(line))
                    except (ValueError, RecursionError) as exc:
                        self._bad_line(path, line_number, _reason(exc))
                        continue
                    yield Located(record, path, line_number)
        except NotRegularFileError as exc:
            self._bad_line(path, line_number + 1, f"file refused: {exc}")
        except (OSError, EOFError, zlib.error) as exc:
            self._bad_line(path, line_number + 1, f"file unreadable from here: {_reason(exc)}")

    def _bad_line(self, path: Path, line: int, reason: str) -> None:
        if self.policy is MalformedLinePolicy.FAIL:
            raise MalformedLineError(path, line, reason)
        self.malformed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(MalformedLine(path, line, reason))
        if self.malformed <= MAX_LOGGED_MALFORMED:
            log.warning(
                "malformed_line_skipped", file=str(path), line=line, reason=reason, skipped=self.malformed
            )
        if self.malformed == MAX_LOGGED_MALFORMED:
            log.warning(
                "malformed_lines_no_longer_logged",
                file=str(path),
                line=line,
                logged=MAX_LOGGED_MALFORMED,
                message="further malformed lines of this stream are counted, not logged one by one",
            )
        self._give_up_if_nothing_kept(path, reason)

    def _summarise(self) -> None:
        """At the end of the stream: how many malformed lines were not logged one by one."""
        if self.malformed > MAX_LOGGED_MALFORMED:
            log.warning(
                "malformed_lines_summary",
                files=len(self.files),
                skipped=self.malformed,
                not_logged=self.malformed - MAX_LOGGED_MALFORMED,
            )


def iter_records(
    path: os.PathLike[str] | str | Sequence[os.PathLike[str] | str],
    stream: str,
    model: type[M],
    *,
    policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
) -> RecordStream[M]:
    """Iterate the valid ``model`` records of ``stream`` under ``path`` (file, run directory or data root).

    Several paths are read one after the other, as one stream (the last run
    directories of a data root, say).

    The returned iterator carries the counts (``records``, ``malformed``) and
    the first errors, so a caller can report what was skipped.
    """
    return RecordStream(path, stream, model, policy=policy)
