"""Following a stream's parts as the daemon writes them, without ever writing to the data root.

Across size rotation, day folders, retention's gzip and crash repair.

What the follower promises its caller:

- Lines come in storage order (run directories by date, parts by number, lines as
  written), each with the part it came from and the position just after it, so
  the caller can record exactly how far it has delivered (:mod:`brain.uplink.cursor`).
- Only complete lines: a last line without its newline is being written, or torn
  by a power cut; it is left alone until it is completed or the daemon's crash
  repair cuts it back (``docs/storage.md``, "Crash repair").
- A part that retention compressed under it is read on from its ``.gz`` at the
  same position (the compressed content is the same bytes).
- A part shorter than the cursor says (the cursor is ahead of the log, or repair
  cut back a line the cursor had passed) and a cursor that does not fall on a
  line boundary are resynchronised to the last line boundary before the cursor's
  position and logged (``uplink_cursor_ahead_of_log``,
  ``uplink_cursor_misaligned``): a record may be delivered twice, none is skipped.

Why a cached index of parts: listing a year of run directories several times a
second would cost the Pi more than delivering the records. Each call lists the
data root's names (cheap), lists the two newest runs and any run not yet known,
and lists everything again every ``full_scan_s`` seconds, which is how a record
appended to an older day's part (the clock stepped back) is found.
"""

from __future__ import annotations

import gzip
import os
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

from brain.layout import part_file_name, run_date, stream_parts
from brain.uplink.cursor import FilePosition

log = structlog.get_logger(__name__)

_CHUNK = 64 * 1024
_HOT_RUNS = 2


@dataclass(frozen=True)
class Part:
    """One part of a stream as found on disk: its key (``run_YYYYMMDD/<stream>.NNNN.jsonl``) and path."""

    key: str
    path: Path
    compressed: bool


@dataclass(frozen=True, slots=True)
class Line:
    """One complete line of a part: its bytes (no newline), where it is, and the position after it."""

    key: str
    number: int
    data: bytes
    end: FilePosition


class PartIndex:
    """The parts of every stream under a data root, kept current cheaply (see the module docstring)."""

    def __init__(
        self, data_root: Path, *, full_scan_s: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.data_root = data_root
        self.full_scan_s = full_scan_s
        self._monotonic = monotonic
        self._runs: dict[str, dict[str, list[Part]]] = {}
        self._last_full: float | None = None
        self.hot_runs: set[str] = set()
        """The newest runs, listed at every refresh: where the daemon writes."""
        self.scans = 0
        """Full listings so far: a follower checks every part again after each one."""
        self._gzip_sizes: dict[Path, int] = {}

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
        runs: dict[str, dict[str, list[Part]]] = {}
        for name in names:
            if full or name in self.hot_runs or name not in self._runs:
                runs[name] = self._list_run(name)
            else:
                runs[name] = self._runs[name]
        self._runs = runs
        if full:
            self._last_full = now
            self.scans += 1
            listed = {part.path for run in runs.values() for parts in run.values() for part in parts}
            self._gzip_sizes = {path: size for path, size in self._gzip_sizes.items() if path in listed}

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
    with path.open("rb") as handle:
        handle.seek(-4, os.SEEK_END)
        size: int = struct.unpack("<I", handle.read(4))[0]
        return size


class _OpenPart:
    """A part being read: its handle, the position of the next unread line, and bytes read past it."""

    def __init__(self, part: Part, offset: int) -> None:
        self.key = part.key
        self.compressed = part.compressed
        self.handle = _open(part)
        self.handle.seek(offset)
        self.offset = offset
        self.buffered = b""

    def close(self) -> None:
        self.handle.close()


class StreamFollower:
    """Reads the complete lines of one stream after the positions it was given."""

    def __init__(self, index: PartIndex, stream: str, positions: dict[str, FilePosition]) -> None:
        self.index = index
        self.stream = stream
        self.positions: dict[str, FilePosition] = dict(positions)
        """The read position of every part: after the last line returned."""
        self._checked: set[str] = set()
        self._complete: set[str] = set()
        self._scans = -1
        self._open: _OpenPart | None = None

    def reset(self, positions: dict[str, FilePosition]) -> None:
        """Read on from ``positions`` (what was delivered), forgetting what was read after them."""
        self.close()
        self.positions = dict(positions)
        self._checked.clear()
        self._complete.clear()

    def close(self) -> None:
        """Close the part held open (a ``.gz`` being drained)."""
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
        for part in self.index.parts(self.stream):
            if part.key in self._complete and part.key.split("/", 1)[0] not in self.index.hot_runs:
                continue
            position = self.positions.get(part.key)
            try:
                size = self.index.content_size(part)
            except OSError:
                continue
            if position is not None and part.key in self._checked:
                if size == position.offset:
                    self._complete.add(part.key)
                    continue
                if size < position.offset:
                    self._checked.discard(part.key)  # cut back since: resynchronise
            yield part

    def read(self, max_lines: int) -> list[Line]:
        """Up to ``max_lines`` new complete lines, in storage order."""
        lines: list[Line] = []
        for part in self._pending_parts():
            if len(lines) >= max_lines:
                break
            try:
                lines += self._read_part(part, max_lines - len(lines))
            except FileNotFoundError:
                self.close()
                self.index.mark_stale()  # compressed (plain removed) or deleted under us: list again
                break
        return lines

    def _read_part(self, part: Part, max_lines: int) -> list[Line]:
        position = self.positions.get(part.key, FilePosition(offset=0, lines=0))
        if part.key not in self._checked:
            position = self._check(part, position)
            self._checked.add(part.key)
        reader = self._reader(part, position.offset)
        lines: list[Line] = []
        number = position.lines
        buffered, start = reader.buffered, 0
        try:
            while len(lines) < max_lines:
                newline = buffered.find(b"\n", start)
                if newline < 0:
                    chunk = reader.handle.read(_CHUNK)
                    if not chunk:
                        break
                    buffered, start = buffered[start:] + chunk, 0
                    continue
                number += 1
                reader.offset += newline + 1 - start
                end = FilePosition(offset=reader.offset, lines=number)
                lines.append(Line(part.key, number, buffered[start:newline], end))
                start = newline + 1
            reader.buffered = buffered[start:]
        except BaseException:
            reader.close()
            raise
        if part.compressed:
            self._open = reader  # seeking in a .gz means decompressing from its start: keep it open
        else:
            reader.close()
        if lines:
            self.positions[part.key] = lines[-1].end
        return lines

    def _reader(self, part: Part, offset: int) -> _OpenPart:
        if self._open is not None:
            reader, self._open = self._open, None
            if reader.key == part.key and reader.offset == offset:
                return reader
            reader.close()
        return _OpenPart(part, offset)

    def _check(self, part: Part, position: FilePosition) -> FilePosition:
        """Resynchronise a position that is past the part's end or not on a line boundary."""
        if position.offset == 0:
            return position
        size = self.index.content_size(part)
        if size < position.offset:
            event, reason = "uplink_cursor_ahead_of_log", "the part is shorter than the cursor says"
        elif _byte_before(part, position.offset) != b"\n":
            event, reason = "uplink_cursor_misaligned", "the cursor does not fall on a line boundary"
        else:
            return position
        synced = _line_boundary(part, min(size, position.offset))
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


def _open(part: Part) -> BinaryIO:
    if part.compressed:
        return gzip.open(part.path, "rb")  # type: ignore[return-value]
    return part.path.open("rb")


def _byte_before(part: Part, offset: int) -> bytes:
    with _open(part) as handle:
        handle.seek(offset - 1)
        return handle.read(1)


def _line_boundary(part: Part, limit: int) -> FilePosition:
    """The position after the last complete line that ends at or before byte ``limit``."""
    offset = lines = 0
    read = 0
    with _open(part) as handle:
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


def part_key(run_dir_name: str, stream: str, number: int) -> str:
    """The key a cursor names a part by: ``run_YYYYMMDD/<stream>.NNNN.jsonl``, compressed or not."""
    return f"{run_dir_name}/{part_file_name(stream, number)}"
