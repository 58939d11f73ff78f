"""Retention: compress old run directories, delete very old ones (the daemon calls it once a day).

Why each step is ordered as it is (a power cut may stop it anywhere):

- Compression writes ``<part>.gz.tmp``, fsyncs it, renames it to ``<part>.gz``,
  fsyncs the directory and only then removes ``<part>``; a ``.gz.tmp`` left by
  an interrupted pass is deleted and the part compressed again. At every moment each
  record is in at least one complete file; a part found both plain and gzipped
  is read once (the plain one, see :func:`brain.storage.dataset.stream_parts`),
  and the next run simply removes the plain original.
- Deletion first renames ``run_YYYYMMDD`` to ``run_YYYYMMDD.deleting`` (no
  longer a run directory to any reader), then removes it; a leftover
  ``.deleting`` directory is removed by the next run.
- The gzip header carries no file name and no time, so the same part always
  compresses to the same bytes; ``.gz`` files are mode 0644 whatever the umask.
- A pass holds the data root's lock (:mod:`brain.storage.lock`): it takes it
  itself, or runs under the lock its caller already holds (the daemon passes its
  writer's), so it never renames or removes files another process is writing.

Age is counted in whole days from the run's date to ``today`` (the site-local
date the caller passes in; this module never reads the clock): with
``compress_after_days = 7`` the run of June 1 is compressed from June 9 on.
"""

from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import structlog

from brain.errors import StorageError
from brain.storage.dataset import DatasetManager, parse_part_name
from brain.storage.durable import fsync_dir
from brain.storage.errors import disk_error
from brain.storage.lock import DataRootLock
from brain.storage.modes import open_created

log = structlog.get_logger(__name__)

_DELETING_SUFFIX = ".deleting"
_TMP_SUFFIX = ".tmp"
_COPY_BYTES = 1024 * 1024


@dataclass
class RetentionReport:
    """What one retention pass did."""

    compressed: list[Path] = field(default_factory=list)
    """Part files replaced by their ``.gz`` (the original paths)."""
    deleted: list[Path] = field(default_factory=list)
    """Run directories removed."""


def apply_retention(
    data_root: Path,
    today: date,
    *,
    retention_days: int,
    compress_after_days: int,
    lock: DataRootLock | None = None,
) -> RetentionReport:
    """Gzip runs older than ``compress_after_days`` days; delete runs older than ``retention_days``.

    ``lock`` is the lock the caller holds on ``data_root`` (a daemon: its writer's
    :attr:`~brain.storage.writer.DatasetWriter.lock`); without it the pass takes the
    lock itself and raises :class:`~brain.storage.errors.DataRootBusyError` while
    another process writes there. A data root that does not exist is left alone.
    """
    if not data_root.is_dir():
        return _applied(data_root, today, RetentionReport())
    if lock is None:
        with DataRootLock(data_root, "retention"):
            return _apply(data_root, today, retention_days, compress_after_days)
    if not lock.covers(data_root):
        raise StorageError(f"{data_root}: retention was given a lock that is not held on this data root")
    return _apply(data_root, today, retention_days, compress_after_days)


def _apply(data_root: Path, today: date, retention_days: int, compress_after_days: int) -> RetentionReport:
    report = RetentionReport()
    for leftover in data_root.glob(f"*{_DELETING_SUFFIX}"):
        _remove_tree(leftover, data_root)
    for day, run_dir in DatasetManager(data_root).dated_runs():
        age_days = (today - day).days
        if age_days > retention_days:
            _delete_run(run_dir, data_root)
            report.deleted.append(run_dir)
        elif age_days > compress_after_days:
            report.compressed.extend(_compress_run(run_dir))
    return _applied(data_root, today, report)


def _applied(data_root: Path, today: date, report: RetentionReport) -> RetentionReport:
    log.info(
        "storage_retention_applied",
        data_root=str(data_root),
        today=today.isoformat(),
        compressed_files=len(report.compressed),
        deleted_runs=[path.name for path in report.deleted],
    )
    return report


def _delete_run(run_dir: Path, data_root: Path) -> None:
    doomed = run_dir.with_name(run_dir.name + _DELETING_SUFFIX)
    try:
        run_dir.rename(doomed)
    except OSError as exc:
        raise disk_error(run_dir, exc, "rename for deletion") from exc
    fsync_dir(data_root)
    _remove_tree(doomed, data_root)


def _remove_tree(path: Path, data_root: Path) -> None:
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise disk_error(path, exc, "remove") from exc
    fsync_dir(data_root)


def _compress_run(run_dir: Path) -> list[Path]:
    compressed = []
    for leftover in run_dir.glob(f"*.gz{_TMP_SUFFIX}"):
        leftover.unlink()  # an interrupted compression: its original is still there
    for path in sorted(run_dir.iterdir()):
        parsed = parse_part_name(path.name)
        if parsed is None or parsed[2]:
            continue
        target = path.with_name(path.name + ".gz")
        if not target.exists():
            _write_gzip(path, target)
        try:
            path.unlink()
        except OSError as exc:
            raise disk_error(path, exc, "remove compressed original") from exc
        fsync_dir(run_dir)
        compressed.append(path)
    return compressed


def _write_gzip(source: Path, target: Path) -> None:
    """Write ``target`` complete and durable under a temporary name, then give it its name."""
    temporary = target.with_name(target.name + _TMP_SUFFIX)
    try:
        with source.open("rb") as plain:
            fd, _ = open_created(temporary, os.O_WRONLY | os.O_TRUNC)
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as packed:
                    shutil.copyfileobj(plain, packed, _COPY_BYTES)
                raw.flush()
                os.fsync(raw.fileno())
        temporary.rename(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise disk_error(target, exc, "compress") from exc
    fsync_dir(target.parent)
