"""The data root: listing a stream's files, telling a data root, and the one class that creates runs.

The layout itself (``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl``, the names of the
run folders, parts and side files) is :mod:`brain.layout`, re-exported here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from brain.errors import StorageError
from brain.layout import (
    LOCK_FILE_NAME,
    RUN_PREFIX,
    TORN_SUFFIX,
    StreamPart,
    parse_part_name,
    part_file_name,
    run_date,
    run_dir_name,
    stream_parts,
)
from brain.storage.durable import make_dirs

__all__ = [
    "LOCK_FILE_NAME",
    "RUN_PREFIX",
    "TORN_SUFFIX",
    "DatasetManager",
    "StreamPart",
    "is_data_root",
    "parse_part_name",
    "part_file_name",
    "run_date",
    "run_dir_name",
    "stream_files",
    "stream_parts",
]


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
