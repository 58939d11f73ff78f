"""The layout of a data root: run folder and part file names, and listing a run's parts.

Layout (fixed; other parts and tests rely on it)::

    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl       written and appended
    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl.gz    compressed by retention
    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl.torn  bytes cut by crash repair
    DATA_ROOT/.brain.lock                            the one writer's lock (brain.storage.lock)

``YYYYMMDD`` is the site-local date of the records inside; ``NNNN`` counts size
rotations within the day from ``0000``. A daemon restarted on the same day
appends to the same run directory and the latest part: nothing is overwritten.

Why a module of its own, outside :mod:`brain.storage` (whose :mod:`~brain.storage.dataset`
re-exports every name): a reader that follows the files without brain's writer
(``brain uplink``) needs only these names and the standard library, and importing
``brain.storage`` loads the writer, the reader and the record models with it
(docs/performance.md, the uplink's memory budget).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

RUN_PREFIX = "run_"
_RUN_NAME = re.compile(r"^run_(\d{8})$")
_PART_NAME = re.compile(r"^(?P<stream>[a-z_]+)\.(?P<index>\d{4,})\.jsonl(?P<gz>\.gz)?$")
TORN_SUFFIX = ".torn"
"""Appended to a part's name for the side file that keeps bytes cut by crash repair."""
LOCK_FILE_NAME = ".brain.lock"
"""The data root's lock file: neither a run directory nor a part, so every reader passes it by."""


class StreamPart(NamedTuple):
    """One file of a stream within a run directory."""

    path: Path
    number: int
    compressed: bool


def run_dir_name(day: date) -> str:
    """``run_YYYYMMDD`` for a site-local date, the year zero-padded to four digits whatever it is."""
    return f"{RUN_PREFIX}{day.year:04d}{day.month:02d}{day.day:02d}"


def run_date(path: Path) -> date | None:
    """The date a run directory is named for, or ``None`` if the name is not a run directory's."""
    match = _RUN_NAME.match(path.name)
    if match is None:
        return None
    digits = match.group(1)
    try:  # not strptime: its import (locale, calendar) is a tenth of `brain status`'s start-up
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def part_file_name(stream: str, index: int) -> str:
    """``<stream>.NNNN.jsonl``: zero-padded so names sort in rotation order."""
    return f"{stream}.{index:04d}.jsonl"


def parse_part_name(name: str) -> tuple[str, int, bool] | None:
    """``(stream, index, compressed)`` of a part file name, or ``None`` for any other file."""
    match = _PART_NAME.match(name)
    if match is None:
        return None
    return match.group("stream"), int(match.group("index")), match.group("gz") is not None


def stream_parts(run_dir: Path, stream: str) -> list[StreamPart]:
    """The parts of ``stream`` in ``run_dir`` in rotation order.

    When a part exists both plain and gzipped (retention was cut off between
    writing the ``.gz`` and removing the original), the plain file is the one
    listed: both hold the same records and reading both would double them.
    """
    found: dict[int, StreamPart] = {}
    if not run_dir.is_dir():
        return []
    for path in run_dir.iterdir():
        parsed = parse_part_name(path.name)
        if parsed is None or parsed[0] != stream:
            continue
        _, index, compressed = parsed
        if index in found and compressed:
            continue
        found[index] = StreamPart(path, index, compressed)
    return [found[index] for index in sorted(found)]
