"""The newest records of a stream without reading the stream: the tail of its newest part.

Why: ``brain status`` must answer in well under a second on a data root holding a year, so it
never reads a whole stream. A record is one line (docs/storage.md), so the last bytes of the
newest part hold the newest records; the first line of the tail may be cut and is dropped,
and so is a last line without its newline (a write in progress, or a tail torn by a power
cut that the daemon will repair). Lines are validated with the stream's contract like the
reader does; a bad one is skipped.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from brain.storage import stream_parts

M = TypeVar("M", bound=BaseModel)

TAIL_BYTES = 512 * 1024
"""Bytes read from the end of a part: about a day of 1-minute observations (360 bytes each)."""


def tail_lines(path: Path, max_bytes: int = TAIL_BYTES) -> list[bytes]:
    """The complete lines among the last ``max_bytes`` of a part (a ``.gz`` part is decompressed whole)."""
    try:
        if path.name.endswith(".gz"):
            data = gzip.decompress(path.read_bytes())[-max_bytes:]
            cut = True
        else:
            with path.open("rb") as handle:
                size = handle.seek(0, 2)
                start = max(0, size - max_bytes)
                handle.seek(start)
                data = handle.read()
                cut = start > 0
    except (OSError, EOFError, gzip.BadGzipFile):
        return []
    lines = data.split(b"\n")
    complete = lines[:-1]
    return complete[1:] if cut else complete


def tail_records(
    run_dirs: Sequence[Path], stream: str, model: type[M], max_bytes: int = TAIL_BYTES
) -> list[M]:
    """The newest valid records of ``stream`` from the newest run directory that has any, oldest first.

    ``run_dirs`` newest first; the first directory holding a part with a valid record answers.
    """
    for run_dir in run_dirs:
        parts = stream_parts(run_dir, stream)
        for part in reversed(parts):
            records = []
            for line in tail_lines(part.path, max_bytes):
                try:
                    records.append(model.model_validate_json(line))
                except ValidationError:
                    continue
            if records:
                return records
    return []


def count_lines(run_dir: Path, stream: str) -> int:
    """Lines of every plain part of ``stream`` in one run directory (compressed parts count as zero)."""
    total = 0
    for part in stream_parts(run_dir, stream):
        if part.compressed:
            continue
        try:
            with part.path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    total += chunk.count(b"\n")
        except OSError:
            continue
    return total
