"""The permission bits of everything brain creates, whatever the caller's umask.

Why explicit: ``open(..., 0o644)`` and ``mkdir(..., 0o755)`` only ask; the process
umask takes bits away (under ``umask 077`` a record file would be 0600 and the
data root unreadable to the uplink or a grower's own account) and never adds
them back, and a shell run under ``umask 000`` would leave world-writable
folders. So every file and folder brain creates is given its mode with
``fchmod``/``chmod`` right after creation; an existing one keeps the mode its
owner chose.

Why 0644 and 0755 rather than 0640 and 0750 (docs/storage.md, "File modes"):
records were already 0644, readers of the data root (status, uplink, a
grower's ``tail``) may run under other accounts, and nothing in a record is a
secret (the site's name and driver messages; ``export-public`` drops even
those). An installation that wants the data private closes its parent folder
(``StateDirectoryMode=0750`` in the systemd unit) instead of every file in it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o644
"""Records, retention's ``.gz`` parts, ``.torn`` side files, the lock file, exported files."""
DIR_MODE = 0o755
"""The data root, run directories, export folders."""


def open_created(path: Path, flags: int) -> tuple[int, bool]:
    """Open ``path`` with ``O_CREAT`` and ``flags``; ``(fd, created)``, a new file given :data:`FILE_MODE`.

    ``O_EXCL`` first tells a file this call created from one that was there: only
    the former has its mode set (an existing file keeps the mode its owner chose).
    """
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return os.open(path, flags | os.O_CLOEXEC), False
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd, True


def make_dir(path: Path) -> bool:
    """Create the folder ``path`` with :data:`DIR_MODE`; ``False`` if it already existed as a folder."""
    try:
        path.mkdir(DIR_MODE)
    except FileExistsError:
        if path.is_dir():
            return False
        raise
    path.chmod(DIR_MODE)
    return True
