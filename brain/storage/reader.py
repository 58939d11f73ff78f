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
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar, cast

import structlog
from pydantic import BaseModel, ValidationError

from brain.storage.dataset import stream_files
from brain.storage.errors import MalformedLineError

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_KEPT_ERRORS = 100
"""Malformed lines kept in :attr:`RecordStream.errors`; all of them are counted and logged."""

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


def _open(path: Path) -> BinaryIO | gzip.GzipFile:
    """Plain or gzipped, judged by the name retention gives compressed parts."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


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
        path: Path,
        stream: str,
        model: type[M],
        *,
        policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
    ) -> None:
        self.files = stream_files(path, stream)
        """The files read, in order."""
        self.policy = MalformedLinePolicy(policy)
        self.records = 0
        """Valid records returned so far."""
        self.malformed = 0
        """Lines skipped as malformed, plus unreadable remainders of damaged files."""
        self.errors: list[MalformedLine] = []
        """The first :data:`MAX_KEPT_ERRORS` malformed lines."""
        self.location: tuple[Path, int] | None = None
        """File and line of the record returned last."""
        self._validate = model.__pydantic_validator__.validate_json
        self._lines = self._iter_located()

    def __iter__(self) -> RecordStream[M]:
        return self

    def __next__(self) -> M:
        record, path, line = next(self._lines)
        self.location = (path, line)
        self.records += 1
        return record

    def close(self) -> None:
        """Close the file being read; the stream then ends."""
        self._lines.close()

    def _iter_located(self) -> Generator[tuple[M, Path, int], None, None]:
        validate = self._validate
        for path in self.files:
            line_number = 0
            try:
                with _open(path) as handle:
                    for line_number, line in enumerate(handle, 1):
                        try:
                            record = cast("M", validate(line))
                        except (ValueError, RecursionError) as exc:
                            self._bad_line(path, line_number, _reason(exc))
                            continue
                        yield record, path, line_number
            except (OSError, EOFError, zlib.error) as exc:
                self._bad_line(path, line_number + 1, f"file unreadable from here: {_reason(exc)}")

    def _bad_line(self, path: Path, line: int, reason: str) -> None:
        if self.policy is MalformedLinePolicy.FAIL:
            raise MalformedLineError(path, line, reason)
        self.malformed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(MalformedLine(path, line, reason))
        log.warning(
            "malformed_line_skipped", file=str(path), line=line, reason=reason, skipped=self.malformed
        )


def iter_records(
    path: os.PathLike[str] | str,
    stream: str,
    model: type[M],
    *,
    policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
) -> RecordStream[M]:
    """Iterate the valid ``model`` records of ``stream`` under ``path`` (file, run directory or data root).

    The returned iterator carries the counts (``records``, ``malformed``) and
    the first errors, so a caller can report what was skipped.
    """
    return RecordStream(Path(path), stream, model, policy=policy)
