"""Crash repair: a part file reopened for appending must end with a complete line.

Why: a power cut in the middle of a write can leave a torn last line (no final
newline, or bytes that are not JSON, e.g. zeros where the data blocks never
reached the card). Appending after it would glue the next record onto the
garbage and lose both. The torn bytes are cut back to the last complete line
and kept, never thrown away, in ``<part>.torn`` next to the part (each repair
appends its fragment there, ended by a newline), and logged with their offset
and size. Nothing before the torn line is ever modified.

One exception keeps good data: a last line that is a complete JSON object and
lacks only its newline (a write cut exactly before the end of the line) gets
its newline back instead of being cut.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import structlog

from brain.storage.dataset import TORN_SUFFIX, parse_part_name, stream_parts
from brain.storage.durable import fsync_dir
from brain.storage.errors import disk_error
from brain.storage.modes import open_created

log = structlog.get_logger(__name__)

_BLOCK = 64 * 1024


@dataclass(frozen=True)
class TornTail:
    """What a repair did: ``size`` bytes from ``offset`` moved to ``side_file`` (0 if only completed)."""

    path: Path
    offset: int
    size: int
    side_file: Path | None


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _last_line_start(fd: int, end: int) -> int:
    """Offset just after the last newline before ``end`` (0 if there is none)."""
    position = end
    while position > 0:
        block_start = max(0, position - _BLOCK)
        block = os.pread(fd, position - block_start, block_start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return block_start + newline + 1
        position = block_start
    return 0


def repair_torn_tail(path: Path, *, durable: bool = True) -> TornTail | None:
    """Make ``path`` end with a complete JSON line; return what was done, or ``None`` if it already did."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        raise disk_error(path, exc, "open for repair") from exc
    try:
        return _repair(fd, path, durable=durable)
    except OSError as exc:
        raise disk_error(path, exc, "repair torn tail") from exc
    finally:
        os.close(fd)


def repair_run_tails(run_dir: Path, *, durable: bool = True) -> list[TornTail]:
    """Repair the newest plain part of every stream in ``run_dir``: the files a crash may have torn.

    Why at a restart and not only when the writer reopens a part: a cut during a
    day's last minute tears a part of that day, and the restart writes into the
    next day's directory; the torn part would never be reopened, and every later
    read of it (warm-up, replay, export) would trip over the fragment.
    """
    streams = sorted({parsed[0] for path in run_dir.iterdir() if (parsed := parse_part_name(path.name))})
    repaired = []
    for stream in streams:
        newest = stream_parts(run_dir, stream)[-1]
        if not newest.compressed and (tail := repair_torn_tail(newest.path, durable=durable)) is not None:
            repaired.append(tail)
    return repaired


def _repair(fd: int, path: Path, *, durable: bool) -> TornTail | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    ends_with_newline = os.pread(fd, 1, size - 1) == b"\n"
    content_end = size - 1 if ends_with_newline else size
    start = _last_line_start(fd, content_end)
    last_line = os.pread(fd, content_end - start, start)
    if _is_json_object(last_line):
        if ends_with_newline:
            return None
        os.pwrite(fd, b"\n", size)
        if durable:
            os.fsync(fd)
        log.warning("storage_torn_tail_completed", file=str(path), offset=size)
        return TornTail(path, size, 0, None)
    cut = os.pread(fd, size - start, start)
    side_file = path.with_name(path.name + TORN_SUFFIX)
    _keep_fragment(side_file, cut, durable=durable)
    os.ftruncate(fd, start)
    if durable:
        os.fsync(fd)
    log.warning(
        "storage_torn_tail_repaired", file=str(path), offset=start, bytes=len(cut), side_file=str(side_file)
    )
    return TornTail(path, start, len(cut), side_file)


def _keep_fragment(side_file: Path, fragment: bytes, *, durable: bool) -> None:
    """Append the cut bytes to the side file and make them durable before the part is truncated."""
    fd, created = open_created(side_file, os.O_WRONLY | os.O_APPEND)
    try:
        data = memoryview(fragment if fragment.endswith(b"\n") else fragment + b"\n")
        while data:
            data = data[os.write(fd, data) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    if created and durable:
        fsync_dir(side_file.parent)
