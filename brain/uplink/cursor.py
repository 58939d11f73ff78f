"""Per-stream cursors: how far a consumer of the data root has delivered each stream, kept across restarts.

A cursor is one small JSON file per consumer and stream under
``DATA_ROOT/uplink/`` (``mqtt.state.cursor.json``, ``alerts.anomalies.cursor.json``)::

    {"format": 1, "stream": "state", "epoch": "5f0c2a9e41d7", "next_seq": 1441,
     "files": {"run_20260601/state.0000.jsonl": {"offset": 412800, "lines": 1440}},
     "last_timestamp": "2026-06-01T23:59:00+00:00", "updated_at": "2026-06-02T00:00:01+00:00",
     "state": {}}

- ``files``: for every part of the stream (named as written, ``.gz`` or not),
  the bytes and lines at its start that are delivered. Everything before is
  delivered, nothing after: a record appended later to an older day's part
  (the clock stepped back) is still found.
- ``next_seq``: the sequence number the next delivered record gets. Sequence
  numbers count delivered records per stream from 0; with ``epoch`` (a new one
  only when a cursor had to be started afresh) they let any consumer detect gaps
  and drop duplicates.
- ``state``: what a consumer must remember besides positions (the alerts keep
  each sensor's last reported status there).

Why temp file, fsync, rename, and at most one write a second: a power cut
leaves either the old cursor or the new one, never half of one, and the SD card
sees one small fsync a second per stream at most. The directory is not
fsynced: if a rename is lost, the old cursor comes back and records after it
are delivered again, which the sequence numbers make harmless; nothing is ever
skipped. A corrupt cursor (a bad medium, a hand edit) is moved aside and
logged, and delivery starts again from the oldest record kept, under a new
epoch: every record again, rather than silently none.
"""

from __future__ import annotations

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
CURSOR_FORMAT: Literal[1] = 1
MQTT_CONSUMER = "mqtt"
"""The MQTT delivery's cursors: ``mqtt.<stream>.cursor.json``, which ``uplink_lag`` reads."""


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents as 0750 whatever the umask (issue 24: umask 000 made 0777).

    Each missing level is made with ``mkdir(0o750)`` and then set to exactly 0750 (``mkdir``
    applies the umask, which may take bits away but never adds any, so ``chmod`` settles it);
    folders that exist are left as they are.
    """
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


@dataclass(frozen=True, slots=True)
class FilePosition:
    """How much of one part is delivered: ``offset`` bytes holding ``lines`` complete lines.

    A plain dataclass, not a pydantic model: one is made for every line read, and up to
    ``uplink.max_in_flight`` of them wait in the delivery window (memory budget,
    docs/performance.md). Pydantic checks the fields' bounds when a cursor file is read
    (:class:`_CursorFile`).
    """

    offset: Annotated[int, Field(ge=0)]
    lines: Annotated[int, Field(ge=0)]


class _CursorFile(BaseModel):
    """The file format above, checked on load: anything else is a corrupt cursor."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[1]
    stream: str
    epoch: Annotated[str, Field(min_length=1, max_length=64)]
    next_seq: Annotated[int, Field(ge=0)]
    files: dict[str, FilePosition]
    last_timestamp: str | None
    updated_at: str
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

    def copy(self) -> Cursor:
        """A copy whose maps may change without touching this one."""
        return Cursor(
            self.stream, self.epoch, self.next_seq, dict(self.files), self.last_timestamp, dict(self.state)
        )


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
        parsed = _CursorFile.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None
    return Cursor(
        parsed.stream, parsed.epoch, parsed.next_seq, parsed.files, parsed.last_timestamp, parsed.state
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
            files=cursor.files,
            last_timestamp=cursor.last_timestamp,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            state=cursor.state,
        ).model_dump_json()
        make_private_dirs(self.path.parent)
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
    return (a.epoch, a.next_seq, a.files, a.last_timestamp, a.state) == (
        b.epoch,
        b.next_seq,
        b.files,
        b.last_timestamp,
        b.state,
    )
