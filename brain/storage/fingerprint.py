"""What identifies a stream's files without reading them whole: their size and first and last lines.

Why: a data root's manifest records which log a replay read, so that replaying
another log into the same folder is noticed at start. Hashing a year of JSONL at
every start would cost seconds on a Pi; the first line (the earliest record) tells
one log from another, and the size and last line tell how far it reached.

A file is taken as it is. A folder (a run directory or a data root) is its
stream's part files in time order (:func:`brain.storage.dataset.stream_files`): the
first line of the first part, the last line of the last part, the sizes summed.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any, BinaryIO

from brain.storage.dataset import stream_files
from brain.storage.errors import disk_error
from brain.storage.reader import MAX_LINE_BYTES, open_regular

_TAIL_BLOCK = 64 * 1024


def stream_fingerprint(path: Path, stream: str = "observations") -> dict[str, Any]:
    """``path`` (absolute), ``files``, ``size_bytes``, ``first_line_sha256`` and ``last_line_sha256``.

    The hashes are of a line's bytes without its newline; ``None`` when there is
    no non-empty line. Raises :class:`brain.storage.DiskError` if a file cannot be read.
    """
    path = Path(path)
    files = [file for file in stream_files(path, stream) if file.is_file()]  # a FIFO is never opened
    first = _first_line(files[0]) if files else None
    last = _last_line(files[-1]) if files else None
    return {
        "path": str(path.resolve()),
        "files": len(files),
        "size_bytes": sum(_size(file) for file in files),
        "first_line_sha256": _sha256(first),
        "last_line_sha256": _sha256(last),
    }


def first_line(path: Path, stream: str = "observations") -> bytes | None:
    """The first non-empty line of ``stream`` under ``path`` (without its newline), or ``None``."""
    files = [file for file in stream_files(Path(path), stream) if file.is_file()]
    return _first_line(files[0]) if files else None


def _sha256(line: bytes | None) -> str | None:
    return hashlib.sha256(line).hexdigest() if line is not None else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError as exc:
        raise disk_error(path, exc, "stat") from exc


def _first_line(path: Path) -> bytes | None:
    """The first non-empty line, at most :data:`MAX_LINE_BYTES` of it (a longer one is cut there)."""
    try:
        with open_regular(path) as handle:
            while line := handle.readline(MAX_LINE_BYTES + 1):
                if len(line) > MAX_LINE_BYTES:
                    return bytes(line[:MAX_LINE_BYTES])
                if line.strip():
                    return bytes(line.rstrip(b"\r\n"))
    except OSError as exc:
        raise disk_error(path, exc, "read") from exc
    return None


def _last_line(path: Path) -> bytes | None:
    """The last non-empty line, at most :data:`MAX_LINE_BYTES` of it, in bounded memory.

    A plain file is read back from its end; a gzipped one (no seeking back in a gzip
    stream) is read through once in blocks, keeping only the line being read.
    """
    try:
        if path.name.endswith(".gz"):
            with open_regular(path) as handle:
                return _last_line_of_stream(handle)
        return _last_line_plain(path)
    except OSError as exc:
        raise disk_error(path, exc, "read") from exc


def _last_line_of_stream(handle: BinaryIO | gzip.GzipFile) -> bytes | None:
    last: bytes | None = None
    current = bytearray()
    while block := handle.read(_TAIL_BLOCK):
        *ended, rest = block.split(b"\n")
        for piece in ended:
            room = MAX_LINE_BYTES - len(current)
            line = bytes(current + piece[: max(room, 0)]).rstrip(b"\r")
            if line.strip():
                last = line
            current.clear()
        current += rest[: max(MAX_LINE_BYTES - len(current), 0)]
    tail = bytes(current).rstrip(b"\r")
    return tail if tail.strip() else last


def _last_line_plain(path: Path) -> bytes | None:
    """The last non-empty line, reading back from the end a block at a time, at most a line's limit."""
    with open_regular(path) as handle:
        end = handle.seek(0, 2)
        tail = b""
        while end > 0:
            start = max(0, end - _TAIL_BLOCK)
            handle.seek(start)
            tail = handle.read(end - start) + tail
            end = start
            lines = [line for line in tail.split(b"\n") if line.strip()]
            if len(lines) > 1 or (lines and end == 0):
                return lines[-1].rstrip(b"\r")[:MAX_LINE_BYTES]
            if len(tail) > MAX_LINE_BYTES:  # one line longer than any record: its end identifies it
                return tail[-MAX_LINE_BYTES:]
        return None
