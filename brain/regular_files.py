"""Open a file for reading only if it is a regular file, without ever blocking on it.

Why one definition: every reader of a data root (the replay and the storage reader, the
uplink's follower, ``brain status``) may meet a part's name on a FIFO, a device or a socket
(a hostile or damaged root, issue 24), and each must refuse it the same way: a FIFO opened
for reading blocks until a writer comes, so the file is opened with ``O_NONBLOCK`` and
``fstat`` judges what was opened (a FIFO swapped in after a ``stat`` is caught too).
Here, beside the other small modules every layer may import: the uplink and ``brain status``
read lines without loading :mod:`brain.storage`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """A path to read is a FIFO, a device, a socket or a directory: refused without reading it."""


def file_kind(mode: int) -> str:
    """What a file of ``mode`` is, in words (``"a FIFO"``); ``"a regular file"`` for one."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def open_regular_fd(path: Path) -> int:
    """A blocking read-only descriptor of ``path``; :class:`NotRegularFileError` if it is no regular file.

    Other :class:`OSError` (missing, permission) pass through; the caller closes the descriptor.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{file_kind(mode)}, not a regular file: not read")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
