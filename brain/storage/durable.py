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
