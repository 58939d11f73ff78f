"""The few POSIX steps that make a file operation survive a power cut.

Why directories are fsynced too: on ext4 and most file systems a new or
renamed file's *name* lives in its directory; fsyncing only the file can leave a
durable file that no directory points to after a crash.
"""

from __future__ import annotations

import os
from pathlib import Path

from brain.storage.errors import disk_error
from brain.storage.modes import make_dir


def fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` (creations, renames, removals) durable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise disk_error(path, exc, "open directory for fsync") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        raise disk_error(path, exc, "fsync directory") from exc
    finally:
        os.close(fd)


def make_dirs(path: Path, *, durable: bool) -> None:
    """Create ``path`` and its missing parents, mode :data:`~brain.storage.modes.DIR_MODE` whatever the umask.

    With ``durable``, each parent that gained an entry is fsynced.
    """
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            make_dir(directory)
        except OSError as exc:
            raise disk_error(directory, exc, "create directory") from exc
        if durable:
            fsync_dir(directory.parent)


def replace_file(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file, fsync, rename, fsync the directory.

    Why: a small file that describes others (a data root's manifest, an imported
    log's sidecar) must never be read half written after a power cut; the rename
    swaps the old version for the new one in one step. The parent directory is
    created if missing.
    """
    make_dirs(path.parent, durable=durable)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise disk_error(path, exc, "write") from exc
    if durable:
        fsync_dir(path.parent)
