"""Following a stream's parts as the daemon writes them, without ever writing to the data root.

Across size rotation, day folders, retention's gzip and crash repair.

What the follower promises its caller:

- Lines come in storage order (run directories by date, parts by number, lines as
  written), each with the part it came from and the position just after it (bytes,
  lines and the identity of the line, :func:`~brain.uplink.cursor.line_digest`), so
  the caller can record exactly how far it has delivered (:mod:`brain.uplink.cursor`).
- Only complete lines: a last line without its newline is being written, or torn
  by a power cut; it is left alone until it is completed or the daemon's crash
  repair cuts it back (``docs/storage.md``, "Crash repair").
- A part that retention compressed under it is read on from its ``.gz`` at the
  same position (the compressed content is the same bytes); a compressed part
  delivered to its end is never opened again (``sealed`` in the cursor), so a start
  costs no decompression of history.
- Never a skipped record: whenever a part is (re)opened, the line before the
  position must be the one delivered (same identity). After a power cut that lost
  the unsynced tail and the daemon wrote new records there, a part deleted and
  written again, or a truncated part, it is not: the part is read again from the
  line after the delivered one if it is still there, from its start otherwise, and
  it is logged (``uplink_part_changed``, ``uplink_cursor_ahead_of_log``,
  ``uplink_cursor_misaligned``): a record may be delivered twice, none is skipped.
- Bounded, whatever sits in the data root (issue 24): only regular files are opened
  (``O_NONBLOCK`` and ``fstat``: a FIFO or a device named like a part is refused, never
  waited on); a line longer than :data:`MAX_LINE_BYTES` is passed over without being
  held (logged with part and offset, returned as ``too_long`` so the cursor moves
  past it); one :meth:`StreamFollower.read` reads at most :data:`READ_BUDGET_BYTES`,
  so a 50 MB unterminated tail costs neither memory nor the other streams' turn.
- A part that cannot be read (a flipped byte in a ``.gz``, EIO, not a regular file)
  is logged once (``uplink_part_unreadable``), counted, and passed over: the parts
  after it are delivered, and it is tried again after the next full listing.

Why a cached index of parts: listing a year of run directories several times a
second would cost the Pi more than delivering the records. Each call lists the
data root's names (cheap), lists the two newest runs and any run not yet known,
and lists everything again every ``full_scan_s`` seconds, which is how a record
appended to an older day's part (the clock stepped back) is found.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

from brain.layout import part_file_name, run_date, stream_parts
from brain.regular_files import open_regular_fd
from brain.uplink.cursor import Cursor, FilePosition, line_digest

log = structlog.get_logger(__name__)

MAX_LINE_BYTES = 64 * 1024
"""The longest line delivered (newline not counted); a longer one is logged and passed over.

The same limit as the storage reader's (``brain.storage.reader``): a hundred times the
longest record brain writes (a state record, about 600 bytes)."""
READ_BUDGET_BYTES = 1024 * 1024
"""Bytes one :meth:`StreamFollower.read` reads at most: one turn of one stream."""
_CHUNK = 64 * 1024
_CHECK_BYTES = 4096
"""Bytes read before a position to find the line that ends there: records are under 2 KB."""
_HOT_RUNS = 2
UNREADABLE = (OSError, EOFError, zlib.error)
"""What reading a part may raise besides a vanished file: EIO, a damaged ``.gz`` (``BadGzipFile``,
``zlib.error``, ``EOFError`` for a cut one), not a regular file."""


@dataclass(frozen=True)
class Part:
    """One part of a stream as found on disk: its key (``run_YYYYMMDD/<stream>.NNNN.jsonl``) and path."""

    key: str
    path: Path
    compressed: bool


@dataclass(frozen=True, slots=True)
class Line:
    """One complete line of a part: its bytes (no newline), where it is, and the position after it.

    ``too_long`` is the length of a line longer than :data:`MAX_LINE_BYTES`, whose bytes are
    not kept (``data`` is empty): the caller passes over it.
    """

    key: str
    number: int
    data: bytes
    end: FilePosition
    too_long: int = 0


def open_part(part: Part) -> BinaryIO:
    """Open a part for reading, refusing anything but a regular file without ever blocking on it."""
    fd = open_regular_fd(part.path)
    try:
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    if part.compressed:
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


class PartIndex:
    """The parts of every stream under a data root, kept current cheaply (see the module docstring)."""

    def __init__(
        self,
        data_root: Path,
        *,
        full_scan_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        track_sizes: bool = True,
    ) -> None:
        self.data_root = data_root
        self._track_sizes = track_sizes
        """Take every part's size at each full listing (``sizes``, ``vanished``): the uplink's need,
        not ``brain status``'s, which reads sizes only where it needs them."""
        self.full_scan_s = full_scan_s
        self._monotonic = monotonic
        self._runs: dict[str, dict[str, list[Part]]] = {}
        self._last_full: float | None = None
        self.hot_runs: set[str] = set()
        """The newest runs, listed at every refresh: where the daemon writes."""
        self.scans = 0
        """Full listings so far: a follower checks every part again after each one."""
        self._gzip_sizes: dict[Path, int] = {}
        self.sizes: dict[str, int] = {}
        """The content size of every part at the last full listing, by key."""
        self.vanished: list[tuple[Part, int]] = []
        """Parts of runs older than the oldest one left that the last refresh no longer found
        (retention deleted them), each with its content size at the last full listing."""

    def refresh(self, *, full: bool = False) -> None:
        """List new and recent runs; every run when ``full`` or when ``full_scan_s`` has passed."""
        now = self._monotonic()
        if self._last_full is None or now - self._last_full >= self.full_scan_s:
            full = True
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.data_root)
                if run_date(Path(entry.name)) is not None and entry.is_dir()
            )
        except FileNotFoundError:
            names = []
        self.hot_runs = set(names[-_HOT_RUNS:])
        before = self._runs
        oldest = names[0] if names else None
        self.vanished = [
            (part, self.sizes.get(part.key, 0))
            for name, run in before.items()
            if name not in names and (oldest is None or name < oldest)
            for parts in run.values()
            for part in parts
        ]
        runs: dict[str, dict[str, list[Part]]] = {}
        for name in names:
            if full or name in self.hot_runs or name not in before:
                runs[name] = self._list_run(name)
            else:
                runs[name] = before[name]
        self._runs = runs
        if full:
            self._last_full = now
            self.scans += 1
            listed = {part.path for run in runs.values() for parts in run.values() for part in parts}
            self._gzip_sizes = {path: size for path, size in self._gzip_sizes.items() if path in listed}
            if self._track_sizes:
                self._take_sizes()

    def _take_sizes(self) -> None:
        sizes = {}
        for run in self._runs.values():
            for parts in run.values():
                for part in parts:
                    try:
                        sizes[part.key] = self.content_size(part)
                    except OSError:
                        continue
        self.sizes = sizes

    def mark_stale(self) -> None:
        """A part vanished while being read: list everything again at the next refresh."""
        self._last_full = None

    @property
    def oldest_run(self) -> str | None:
        """Name of the oldest run listed: cursor entries of older runs were deleted by retention."""
        return next(iter(self._runs), None)

    def streams(self) -> set[str]:
        """Every stream with a part in a listed run."""
        return {stream for run in self._runs.values() for stream in run}

    def parts(self, stream: str) -> list[Part]:
        """Every part of ``stream``, in storage order."""
        return [part for run in self._runs.values() for part in run.get(stream, [])]

    def content_size(self, part: Part) -> int:
        """Bytes of the part's lines: the file size, or the (cached) uncompressed size of a ``.gz``."""
        if not part.compressed:
            return part.path.stat().st_size
        size = self._gzip_sizes.get(part.path)
        if size is None:
            size = self._gzip_sizes[part.path] = gzip_content_size(part.path)
        return size

    def _list_run(self, name: str) -> dict[str, list[Part]]:
        run_dir = self.data_root / name
        try:
            streams = {path.name.split(".", 1)[0] for path in run_dir.iterdir()}
        except OSError:
            return {}
        listed: dict[str, list[Part]] = {}
        for stream in sorted(streams):
            try:
                found = stream_parts(run_dir, stream)
            except OSError:
                continue
            if found:
                listed[stream] = [
                    Part(part_key(name, stream, part.number), part.path, part.compressed) for part in found
                ]
        return listed


def gzip_content_size(path: Path) -> int:
    """The uncompressed size of a gzip file from its trailer (ISIZE, RFC 1952: exact below 4 GiB)."""
    with open_part(Part("", path, compressed=False)) as handle:
        handle.seek(-4, os.SEEK_END)
        size: int = struct.unpack("<I", handle.read(4))[0]
        return size


class _LongLine:
    """A line longer than :data:`MAX_LINE_BYTES` being passed over: its start, length and digest."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.length = 0
        self._digest = hashlib.blake2b(digest_size=8)

    def add(self, data: bytes) -> None:
        self.length += len(data)
        self._digest.update(data)

    def digest(self) -> str:
        return self._digest.hexdigest()


class _OpenPart:
    """A part being read: its handle, the position of the next unread line, and bytes read past it."""

    def __init__(self, part: Part, position: FilePosition) -> None:
        self.key = part.key
        self.path = part.path
        self.compressed = part.compressed
        self.handle = open_part(part)
        try:
            self.identity = _identity(
                os.fstat(self.handle.fileno()) if not part.compressed else part.path.stat()
            )
            self.handle.seek(position.offset)
        except BaseException:
            self.handle.close()
            raise
        self.offset = position.offset
        self.lines = position.lines
        self.buffered = b""
        self.long_line: _LongLine | None = None

    def close(self) -> None:
        self.handle.close()


_NO_FILE = (-1, -1)


def _unchanged_under(reader: _OpenPart) -> bool:
    """The same file, not cut back below what was read of it (crash repair moves a torn tail aside)."""
    status = reader.path.stat()
    return _identity(status) == reader.identity and status.st_size >= reader.handle.tell()


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


class StreamFollower:
    """Reads the complete lines of one stream after the positions it was given."""

    def __init__(
        self,
        index: PartIndex,
        stream: str,
        positions: dict[str, FilePosition],
        sealed: str | None = None,
    ) -> None:
        self.index = index
        self.stream = stream
        self.positions: dict[str, FilePosition] = dict(positions)
        """The read position of every part: after the last line returned."""
        self.sealed = sealed
        """Compressed parts at or before this key and not in ``positions`` are delivered: not opened."""
        self._checked: set[str] = set()
        self._identities: dict[str, tuple[int, int]] = {}
        self._complete: set[str] = set()
        self._scans = -1
        self._open: _OpenPart | None = None
        self.unreadable: dict[str, str] = {}
        """Parts that could not be read since the last full listing, with the reason."""
        self._reported: set[str] = set()
        self.unreadable_parts = 0
        """Distinct parts found unreadable (each logged once)."""

    def reset(self, positions: dict[str, FilePosition], sealed: str | None = None) -> None:
        """Read on from ``positions`` (what was delivered), forgetting what was read after them."""
        self.close()
        self.positions = dict(positions)
        self.sealed = sealed
        self._checked.clear()
        self._complete.clear()

    def close(self) -> None:
        """Close the part held open."""
        if self._open is not None:
            self._open.close()
            self._open = None

    def _pending_parts(self) -> Iterable[Part]:
        """Parts that may hold lines after their read position.

        A part found read to its end is looked at again only while its run is among
        the newest or after the next full listing.
        """
        if self._scans != self.index.scans:
            self._scans = self.index.scans
            self._complete.clear()
            self.unreadable.clear()  # tried again (a transient EIO), logged only the first time
        for part in self.index.parts(self.stream):
            if part.key in self.unreadable:
                continue
            if part.key in self._complete and part.key.split("/", 1)[0] not in self.index.hot_runs:
                continue
            position = self.positions.get(part.key)
            if position is None and part.compressed and self.sealed is not None and part.key <= self.sealed:
                continue
            try:
                size = self.index.content_size(part)
                if not part.compressed and self._identities.get(part.key, _NO_FILE) != _identity(
                    part.path.stat()
                ):
                    self._checked.discard(part.key)  # deleted and written again (maybe to the same size)
            except OSError:
                continue
            if position is not None and (part.key in self._checked or part.compressed):
                if size == position.offset:
                    self._complete.add(part.key)
                    continue
                if size < position.offset:
                    self._checked.discard(part.key)  # cut back since: resynchronise
            yield part

    def read(self, max_lines: int) -> list[Line]:
        """Up to ``max_lines`` new complete lines, in storage order, reading at most ``READ_BUDGET_BYTES``."""
        lines: list[Line] = []
        budget = READ_BUDGET_BYTES
        for part in self._pending_parts():
            if len(lines) >= max_lines or budget <= 0:
                break
            try:
                got, used = self._read_part(part, max_lines - len(lines), budget)
            except FileNotFoundError:
                self.close()
                self.index.mark_stale()  # compressed (plain removed) or deleted under us: list again
                break
            except UNREADABLE as exc:
                self.close()
                self._unreadable(part, exc)
                continue
            lines += got
            budget -= used
        return lines

    def _unreadable(self, part: Part, exc: BaseException) -> None:
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(
            exc
        ).__name__
        self.unreadable[part.key] = reason
        if part.key in self._reported:
            return
        self._reported.add(part.key)
        self.unreadable_parts += 1
        log.error(
            "uplink_part_unreadable",
            file=str(part.path),
            reason=reason[:200],
            delivered_lines=self.positions[part.key].lines if part.key in self.positions else 0,
            consequence="its records that cannot be read are not delivered; the other parts are, "
            "and it is tried again at each full listing (logged once)",
        )

    def _read_part(self, part: Part, max_lines: int, budget: int) -> tuple[list[Line], int]:
        """Lines of one part and the bytes read for them; raises what reading raised if it returned none."""
        reader = self._reader(part)
        lines: list[Line] = []
        try:
            used = self._scan(reader, lines, max_lines, budget)
        except UNREADABLE as exc:
            reader.close()
            if not lines:
                raise
            self.positions[part.key] = lines[-1].end
            self._unreadable(part, exc)
            return lines, budget
        if lines:
            self.positions[part.key] = lines[-1].end
        self._open = reader
        return lines, used

    def _scan(self, reader: _OpenPart, lines: list[Line], max_lines: int, budget: int) -> int:
        """Append up to ``max_lines`` complete lines of ``reader`` to ``lines``; return the bytes read."""
        number = reader.lines
        buffered, start, used = reader.buffered, 0, 0
        try:
            while len(lines) < max_lines:
                newline = buffered.find(b"\n", start)
                if newline < 0:
                    if reader.long_line is None and len(buffered) - start > MAX_LINE_BYTES:
                        reader.long_line = _LongLine(reader.offset)
                    if reader.long_line is not None:
                        reader.long_line.add(buffered[start:])
                        buffered, start = b"", 0
                    chunk = reader.handle.read(_CHUNK) if used < budget else b""
                    if not chunk:
                        break
                    used += len(chunk)
                    buffered, start = buffered[start:] + chunk, 0
                    continue
                number += 1
                if reader.long_line is None and newline - start > MAX_LINE_BYTES:
                    reader.long_line = _LongLine(reader.offset)
                if reader.long_line is not None:
                    lines.append(self._passed_over(reader, buffered[start:newline], number))
                else:
                    reader.offset += newline + 1 - start
                    data = buffered[start:newline]
                    end = FilePosition(reader.offset, number, line_digest(data))
                    lines.append(Line(reader.key, number, data, end))
                start = newline + 1
        finally:
            reader.buffered, reader.lines = buffered[start:], number
        return used

    def _passed_over(self, reader: _OpenPart, rest: bytes, number: int) -> Line:
        """The end of a line longer than the cap: log it, and return it as ``too_long`` (no bytes kept)."""
        long_line, reader.long_line = reader.long_line, None
        assert long_line is not None
        long_line.add(rest)
        reader.offset = long_line.start + long_line.length + 1
        log.warning(
            "uplink_line_too_long",
            file=str(reader.path),
            offset=long_line.start,
            line=number,
            bytes=long_line.length,
            limit=MAX_LINE_BYTES,
            consequence="not published, no sequence number used",
        )
        end = FilePosition(reader.offset, number, long_line.digest())
        return Line(reader.key, number, b"", end, too_long=long_line.length)

    def _reader(self, part: Part) -> _OpenPart:
        """The open part, or the part opened at its read position after checking what it holds."""
        position = self.positions.get(part.key, FilePosition(0, 0))
        reader, self._open = self._open, None
        if reader is not None:
            if (
                reader.key == part.key
                and reader.offset == position.offset
                and part.key in self._checked
                and (part.compressed or _unchanged_under(reader))
            ):
                return reader
            reader.close()
        if part.key not in self._checked or self._identities.get(part.key) != _identity(part.path.stat()):
            position = self._check(part, position)
            self._checked.add(part.key)
        reader = _OpenPart(part, position)
        self._identities[part.key] = reader.identity
        return reader

    def _check(self, part: Part, position: FilePosition) -> FilePosition:
        """The position itself if the line before it is the one delivered; otherwise where to read again."""
        if position.offset == 0:
            return position
        size = self.index.content_size(part)
        if size < position.offset:
            event, reason = "uplink_cursor_ahead_of_log", "the part is shorter than the cursor says"
        else:
            before = _bytes_before(part, position.offset, _CHECK_BYTES)
            if b"\n" not in before[:-1] and len(before) < position.offset:
                before = _bytes_before(part, position.offset, MAX_LINE_BYTES + 2)  # a long last line
            if not before.endswith(b"\n"):
                event, reason = "uplink_cursor_misaligned", "the cursor does not fall on a line boundary"
            elif position.tail is None or _last_line_digest(before, position.offset) in (position.tail, None):
                return position
            else:
                event, reason = "uplink_part_changed", "the line before the cursor is not the one delivered"
        if position.tail is None:  # a format 1 cursor: no identity to look for
            synced = _line_boundary(part, min(size, position.offset))
        else:
            synced = _find_line(part, position.tail) or FilePosition(0, 0)
        log.warning(
            event,
            file=str(part.path),
            cursor_offset=position.offset,
            cursor_lines=position.lines,
            part_bytes=size,
            resumed_at=synced.offset,
            resumed_line=synced.lines,
            reason=reason,
            consequence="records after the resume point are delivered (again if they were)",
        )
        self.positions[part.key] = synced
        return synced


def _bytes_before(part: Part, offset: int, count: int) -> bytes:
    """Up to ``count`` bytes of the part's content that end at ``offset``."""
    start = max(0, offset - count)
    with open_part(part) as handle:
        handle.seek(start)
        return handle.read(offset - start)


def _last_line_digest(before: bytes, offset: int) -> str | None:
    """The identity of the line that ``before`` (ending in its newline) ends with; ``None`` if it is cut."""
    body = before[:-1]
    newline = body.rfind(b"\n")
    if newline < 0 and len(before) < offset:
        return None  # longer than the window: a line passed over for its length, taken as it is
    return line_digest(body[newline + 1 :])


def _find_line(part: Part, tail: str) -> FilePosition | None:
    """The position after the first line whose identity is ``tail``, ``None`` if the part holds none."""
    offset = lines = 0
    rest = b""
    with open_part(part) as handle:
        while chunk := handle.read(_CHUNK):
            rest += chunk
            start = 0
            while (newline := rest.find(b"\n", start)) >= 0:
                lines += 1
                offset += newline + 1 - start
                if line_digest(rest[start:newline]) == tail:
                    return FilePosition(offset, lines, tail)
                start = newline + 1
            rest = rest[start:]
            if len(rest) > MAX_LINE_BYTES:  # a line too long to be one delivered: count its bytes only
                offset += len(rest)
                rest = b""
    return None


def _line_boundary(part: Part, limit: int) -> FilePosition:
    """The position after the last complete line that ends at or before byte ``limit``."""
    offset = lines = 0
    read = 0
    with open_part(part) as handle:
        while read < limit:
            chunk = handle.read(min(_CHUNK, limit - read))
            if not chunk:
                break
            base = read
            read += len(chunk)
            count = chunk.count(b"\n")
            if count:
                lines += count
                offset = base + chunk.rfind(b"\n") + 1
    return FilePosition(offset=offset, lines=lines)


def seal_complete(cursor: Cursor, index: PartIndex) -> None:
    """Seal the compressed parts ``cursor`` has delivered to their end (sizes from the last full listing).

    What keeps a cursor small (:meth:`brain.uplink.cursor.Cursor.seal`); a follower of the
    same cursor is given ``cursor.sealed`` so that it does not open those parts again.
    """
    parts = {part.key: part for part in index.parts(cursor.stream)}
    cursor.seal(
        [
            key
            for key, position in cursor.files.items()
            if key in parts and parts[key].compressed and index.sizes.get(key) == position.offset
        ]
    )


def tidy_after_full_listing(cursor: Cursor, index: PartIndex, unreadable: Iterable[str]) -> None:
    """Keep ``cursor`` small and true after a full listing (the MQTT and the alert cursors alike).

    Entries of runs retention deleted are dropped; a part that could not be read gets an
    entry (at its start, if it had none) so that sealing never covers it; compressed parts
    delivered to their end are sealed (:func:`seal_complete`). What the cursor of a stream
    holds then does not grow with history (``<= 4 KB`` at 400 days: the drills measure it).
    """
    oldest = index.oldest_run
    if oldest is not None:
        for key in [key for key in cursor.files if key.split("/", 1)[0] < oldest]:
            del cursor.files[key]
    compressed = {part.key: part.compressed for part in index.parts(cursor.stream)}
    for key in unreadable:
        if key not in cursor.files and not cursor.is_sealed(key, compressed.get(key, False)):
            cursor.files[key] = FilePosition(0, 0)
    seal_complete(cursor, index)


def part_key(run_dir_name: str, stream: str, number: int) -> str:
    """The key a cursor names a part by: ``run_YYYYMMDD/<stream>.NNNN.jsonl``, compressed or not."""
    return f"{run_dir_name}/{part_file_name(stream, number)}"
