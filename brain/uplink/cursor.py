"""Per-stream cursors: how far a consumer of the data root has delivered each stream, kept across restarts.

A cursor is one small JSON file per consumer and stream under
``DATA_ROOT/uplink/`` (``mqtt.state.cursor.json``, ``alerts.anomalies.cursor.json``)::

    {"format": 2, "stream": "state", "epoch": "5f0c2a9e41d7", "next_seq": 1441,
     "sealed": "run_20260524/state.0000.jsonl",
     "files": {"run_20260601/state.0000.jsonl": [412800, 1440, "9c1e0f3a5b7d2e48"]},
     "last_timestamp": "2026-06-01T23:59:00+00:00", "updated_at": "2026-06-02T00:00:01+00:00",
     "lost": {"parts": 0, "bytes": 0}, "state": {}}

- ``files``: for a part of the stream (named as written, ``.gz`` or not), the bytes
  and lines at its start that are delivered, and the identity of the last of those
  lines (:func:`line_digest`: 64 bits of BLAKE2b of its bytes). Everything before is
  delivered, nothing after: a record appended later to an older day's part (the clock
  stepped back) is still found.
- ``sealed``: every *compressed* part whose key sorts at or before this one and that
  has no entry in ``files`` is delivered to its end. Why: retention compresses every
  run after ``compress_after_days`` (at least 1) and the daemon never appends to a
  ``.gz`` (it starts a new part), so a compressed part delivered to its end needs no
  entry. Without this the file listed every part ever delivered (issue 24: tens of
  KB at 400 days, rewritten every second); with it, ``files`` holds the uncompressed
  parts of the last ``compress_after_days`` days and any part not yet delivered or
  unreadable: well under 4 KB with the defaults, however old the data root
  (``tests/uplink/test_drills.py`` and ``test_alert_cursor.py`` measure 400 days).
- ``next_seq``: the sequence number the next delivered record gets. Sequence
  numbers count delivered records per stream from 0; with ``epoch`` they let any
  consumer detect gaps and drop duplicates. A new epoch begins when a cursor had to
  be started afresh (none, or corrupt: all kept history again) and when retention
  deleted records before they were delivered (``lost`` counts those parts and bytes):
  a consumer that sees a new epoch knows that records may be missing between the
  last message of the old one and the first of the new.
- ``state``: what a consumer must remember besides positions (the alerts keep
  each sensor's last reported status there).

Why the identity of the last line: a byte offset alone skipped records when the file
under it changed (issue 24): after a power cut lost the unsynced tail and the daemon
wrote new records there, or when a part was deleted and written again, the old offset
fell inside new records. The follower checks the line before the offset whenever it
(re)opens a part (:mod:`brain.uplink.follow`); when it is not the one delivered, the
part is delivered again from the record after that line if it is still there, from
its start otherwise: at least once, never skipped.

Why temp file, fsync, rename, and at most one write a second: a power cut
leaves either the old cursor or the new one, never half of one, and the SD card
sees one small fsync a second per stream at most. The directory is not
fsynced: if a rename is lost, the old cursor comes back and records after it
are delivered again, which the sequence numbers make harmless; nothing is ever
skipped. A corrupt cursor (a bad medium, a hand edit) is moved aside and
logged, and delivery starts again from the oldest record kept, under a new
epoch: every record again, rather than silently none. Format 1 cursors (no
``sealed``, positions without a line identity) are read and written back as format 2.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = structlog.get_logger(__name__)

CURSOR_DIR = "uplink"
"""Directory of the cursors, inside the data root (read-only for the uplink everywhere else)."""
CURSOR_FORMAT: Literal[2] = 2
MQTT_CONSUMER = "mqtt"
"""The MQTT delivery's cursors: ``mqtt.<stream>.cursor.json``, which ``uplink_lag`` reads."""


def make_private_dirs(path: Path, *, inside: Path | None = None) -> None:
    """Create ``path`` and its missing parents as 0750 whatever the umask (issue 24: umask 000 made 0777).

    Each missing level is made with ``mkdir(0o750)`` and then set to exactly 0750 (``mkdir``
    applies the umask, which may take bits away but never adds any, so ``chmod`` settles it);
    folders that exist are left as they are. ``inside``: a folder that must already exist
    (:class:`FileNotFoundError` otherwise), under which alone folders are made. Why: the uplink
    may make a data root when it starts before the daemon (its lock), but a data root that
    vanishes while it runs (an unmounted card, a restore in progress) must not be made anew
    on the mount point with a cursor in it: the cursor write fails, is logged and retried,
    and the cursor in memory stays right.
    """
    if inside is not None and not inside.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the folder is gone", str(inside))
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o750)
        except FileExistsError:
            continue
        folder.chmod(0o750)


def cursor_path(data_root: Path, consumer: str, stream: str) -> Path:
    """Where a cursor lives: ``DATA_ROOT/uplink/<consumer>.<stream>.cursor.json``."""
    return data_root / CURSOR_DIR / f"{consumer}.{stream}.cursor.json"


def line_digest(line: bytes) -> str:
    """The identity of one stored line (without its newline): 16 hex digits of BLAKE2b."""
    return hashlib.blake2b(line, digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class FilePosition:
    """How much of one part is delivered: ``offset`` bytes holding ``lines`` lines, the last one ``tail``.

    ``tail`` is :func:`line_digest` of the line that ends at ``offset`` (``None`` at offset 0,
    or when read from a format 1 cursor). A plain dataclass, not a pydantic model: one is
    made for every line read, and up to ``uplink.max_in_flight`` of them wait in the
    delivery window (memory budget, docs/performance.md).
    """

    offset: int
    lines: int
    tail: str | None = None


class _PositionV1(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    offset: Annotated[int, Field(ge=0)]
    lines: Annotated[int, Field(ge=0)]


class _CursorFileV1(BaseModel):
    """Format 1, read once and written back as format 2."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[1]
    stream: str
    epoch: Annotated[str, Field(min_length=1, max_length=64)]
    next_seq: Annotated[int, Field(ge=0)]
    files: dict[str, _PositionV1]
    last_timestamp: str | None
    updated_at: str
    state: dict[str, Any] = Field(default_factory=dict)


class _Lost(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    parts: Annotated[int, Field(ge=0)] = 0
    bytes: Annotated[int, Field(ge=0)] = 0


_Position = tuple[
    Annotated[int, Field(ge=0)],
    Annotated[int, Field(ge=0)],
    Annotated[str, Field(max_length=16)] | None,
]


class _CursorFile(BaseModel):
    """The file format above, checked on load: anything else is a corrupt cursor."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[2]
    stream: str
    epoch: Annotated[str, Field(min_length=1, max_length=64)]
    next_seq: Annotated[int, Field(ge=0)]
    sealed: str | None = None
    files: dict[str, _Position]
    last_timestamp: str | None
    updated_at: str
    lost: _Lost = Field(default_factory=_Lost)
    state: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Cursor:
    """A stream's delivered prefix, as kept in memory and written by :class:`CursorStore`."""

    stream: str
    epoch: str
    next_seq: int = 0
    files: dict[str, FilePosition] = field(default_factory=dict)
    last_timestamp: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    sealed: str | None = None
    """Compressed parts at or before this key without an entry in ``files`` are delivered (see above)."""
    lost_parts: int = 0
    lost_bytes: int = 0

    def copy(self) -> Cursor:
        """A copy whose maps may change without touching this one."""
        return Cursor(
            self.stream,
            self.epoch,
            self.next_seq,
            dict(self.files),
            self.last_timestamp,
            dict(self.state),
            self.sealed,
            self.lost_parts,
            self.lost_bytes,
        )

    def is_sealed(self, key: str, compressed: bool) -> bool:
        """Whether a part is delivered to its end without an entry: compressed, at or before ``sealed``."""
        return compressed and key not in self.files and self.sealed is not None and key <= self.sealed

    def seal(self, done: list[str]) -> None:
        """Drop the entries of ``done``, compressed parts delivered to their end (module docstring)."""
        for key in done:
            self.files.pop(key, None)
            if self.sealed is None or key > self.sealed:
                self.sealed = key


def new_epoch() -> str:
    """A fresh epoch: 12 random hex digits, so two fresh starts never share one."""
    return secrets.token_hex(6)


def read_cursor(path: Path) -> Cursor | None:
    """The cursor stored at ``path``; ``None`` if there is none. Raises ``ValueError`` if it is corrupt."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        if b'"format":1,' in raw[:40].replace(b" ", b""):
            old = _CursorFileV1.model_validate_json(raw)
            files = {key: FilePosition(p.offset, p.lines) for key, p in old.files.items()}
            return Cursor(old.stream, old.epoch, old.next_seq, files, old.last_timestamp, old.state)
        parsed = _CursorFile.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None
    return Cursor(
        parsed.stream,
        parsed.epoch,
        parsed.next_seq,
        {key: FilePosition(*position) for key, position in parsed.files.items()},
        parsed.last_timestamp,
        parsed.state,
        parsed.sealed,
        parsed.lost.parts,
        parsed.lost.bytes,
    )


class CursorStore:
    """Loads one cursor and writes it back atomically, at most once per ``min_interval_s``."""

    def __init__(
        self,
        path: Path,
        stream: str,
        *,
        min_interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.stream = stream
        self.min_interval_s = min_interval_s
        self._monotonic = monotonic
        self._last_write: float | None = None
        self._written: Cursor | None = None
        self.writes = 0
        """Cursor files written (each one fsync), for the benchmark's budget."""
        self.fresh_start = False
        """True when no usable cursor was found: delivery starts at the oldest record kept."""
        self._failing = False

    def load(self) -> Cursor:
        """The stored cursor; a new one (new epoch) if there is none or it is corrupt (set aside, logged)."""
        try:
            cursor = read_cursor(self.path)
        except (ValueError, OSError) as exc:
            cursor = None
            self._set_aside(str(exc))
        else:
            if cursor is not None and cursor.stream != self.stream:
                self._set_aside(f"it belongs to stream {cursor.stream!r}")
                cursor = None
        if cursor is None:
            self.fresh_start = True
            cursor = Cursor(self.stream, new_epoch())
            self.save(cursor, force=True)  # the epoch is fixed before the first record goes out
            return cursor
        self._written = cursor.copy()
        return cursor

    def _set_aside(self, reason: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            self.path.rename(aside)
        except OSError as exc:
            aside = Path(f"(could not move it aside: {exc.strerror})")
        log.error(
            "uplink_cursor_corrupt",
            file=str(self.path),
            reason=reason,
            moved_to=str(aside),
            consequence="delivery starts again from the oldest record kept, under a new epoch",
        )

    def save(self, cursor: Cursor, *, force: bool = False) -> bool:
        """Write ``cursor`` if it changed and the interval has passed (or ``force``); True if written.

        A write that fails (disk full, read-only medium) is logged once per streak
        and retried at the next save: the cursor in memory stays right, and a lost
        write only means records delivered again after a restart.
        """
        if self._written is not None and _same(self._written, cursor):
            return False
        now = self._monotonic()
        if not force and self._last_write is not None and now - self._last_write < self.min_interval_s:
            return False
        self._last_write = now
        try:
            self._write(cursor)
        except OSError as exc:
            if not self._failing:
                log.error("uplink_cursor_write_failed", file=str(self.path), reason=exc.strerror)
            self._failing = True
            return False
        if self._failing:
            log.info("uplink_cursor_write_recovered", file=str(self.path))
        self._failing = False
        self._written = cursor.copy()
        self.writes += 1
        return True

    def _write(self, cursor: Cursor) -> None:
        body = _CursorFile(
            format=CURSOR_FORMAT,
            stream=cursor.stream,
            epoch=cursor.epoch,
            next_seq=cursor.next_seq,
            sealed=cursor.sealed,
            files={key: (p.offset, p.lines, p.tail) for key, p in cursor.files.items()},
            last_timestamp=cursor.last_timestamp,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            lost=_Lost(parts=cursor.lost_parts, bytes=cursor.lost_bytes),
            state=cursor.state,
        ).model_dump_json()
        make_private_dirs(self.path.parent, inside=self.path.parent.parent)  # never the data root
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
        try:
            os.fchmod(fd, 0o640)  # 0640 whatever the umask, and a leftover temp file of other modes too
            data = memoryview(body.encode())
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        temporary.replace(self.path)


def _same(a: Cursor, b: Cursor) -> bool:
    return a == b
