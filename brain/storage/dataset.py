"""The layout of a data root, and the one class that knows it.

Layout (fixed; other parts and tests rely on it)::

    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl       written and appended
    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl.gz    compressed by retention
    DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl.torn  bytes cut by crash repair
    DATA_ROOT/.brain.lock                            the one writer's lock (brain.storage.lock)

``YYYYMMDD`` is the site-local date of the records inside; ``NNNN`` counts size
rotations within the day from ``0000``. A daemon restarted on the same day
appends to the same run directory and the latest part: nothing is overwritten.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from brain.errors import StorageError
from brain.storage.durable import make_dirs

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
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
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


def stream_files(path: Path, stream: str) -> list[Path]:
    """Every file of ``stream`` under ``path`` (a file, a run directory or a data root), in time order.

    A file is taken as is, whatever its name. A directory holding ``run_YYYYMMDD``
    directories is a data root: its runs are read by date. Any other directory
    is read as one run. A run directory that cannot be listed is returned as itself.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise StorageError(f"{path}: no such file or directory")
    try:
        runs = DatasetManager(path).runs()
    except OSError as exc:
        raise StorageError(f"{path}: cannot list the directory: {exc.strerror}") from exc
    files: list[Path] = []
    for run_dir in runs or [path]:
        try:
            files += [part.path for part in stream_parts(run_dir, stream)]
        except OSError:
            # Listed as itself: reading it fails, and the reader reports the directory under
            # its malformed-line policy (path and reason), rather than the listing crashing.
            files.append(run_dir)
    return files


def is_data_root(path: Path) -> bool:
    """Whether ``path`` is a data root: it has a lock file or holds a run directory (an older root)."""
    if (path / LOCK_FILE_NAME).exists():
        return True
    try:
        return bool(DatasetManager(path).dated_runs())
    except OSError:
        return False


class DatasetManager:
    """Creates, lists and resolves the run directories of one data root."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root

    def run_dir(self, day: date) -> Path:
        """Where the records of site-local ``day`` go (whether or not it exists yet)."""
        return self.data_root / run_dir_name(day)

    def create_run(self, day: date, *, durable: bool = True) -> Path:
        """Return the run directory for ``day``, creating it (and the data root) if missing.

        An existing directory is returned untouched: a restart on the same day
        appends to it. With ``durable``, each new directory entry is fsynced.
        """
        run_dir = self.run_dir(day)
        make_dirs(run_dir, durable=durable)
        return run_dir

    def runs(self) -> list[Path]:
        """Every run directory, oldest first; other entries of the data root are ignored."""
        return [path for _, path in self.dated_runs()]

    def dated_runs(self) -> list[tuple[date, Path]]:
        """Every run directory with the site-local date it holds, oldest first."""
        if not self.data_root.is_dir():
            return []
        dated = [(run_date(path), path) for path in self.data_root.iterdir() if path.is_dir()]
        return sorted((day, path) for day, path in dated if day is not None)

    def latest_run(self) -> Path | None:
        """The newest run directory, or ``None`` for an empty data root."""
        runs = self.runs()
        return runs[-1] if runs else None
