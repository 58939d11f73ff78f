"""One uplink per data root: an exclusive ``flock`` on ``DATA_ROOT/uplink/.uplink.lock``, held for its life.

Why: two uplinks on one root published every message and alert twice, took the
broker session over from each other several times a second (same client id) and
raced on the cursors' temporary files (issue 24). The second one is refused with
exit 75 (``EX_TEMPFAIL``, "busy"), as a second daemon is, naming the holder.

The daemon's lock (:mod:`brain.storage.lock`) is the model, not reused: the uplink
may not import ``brain.storage`` (its memory budget, ``brain/uplink/__init__.py``),
and it may write only in ``DATA_ROOT/uplink/`` (``ReadOnlyPaths=`` in its unit), so
its lock lives there, apart from the daemon's ``DATA_ROOT/.brain.lock``: the daemon
and the uplink run side by side. As there: ``flock`` is dropped by the kernel when
its holder dies (no stale lock after SIGKILL or a power cut), the file is never
removed, and it holds the holder's pid and command line while held.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from brain.errors import BrainError
from brain.uplink.cursor import CURSOR_DIR, make_private_dirs

LOCK_FILE_NAME = ".uplink.lock"


class UplinkBusyError(BrainError):
    """Another process holds the uplink lock of this data root."""

    def __init__(self, path: Path, holder: str | None) -> None:
        self.path = path
        self.holder = holder
        who = f"held by {holder}" if holder else "held by another process"
        super().__init__(
            f"another brain uplink serves this data root: {path} is {who}; one uplink per data root"
        )


class UplinkLock:
    """The uplink lock of one data root: :meth:`acquire` once, :meth:`release` at the end."""

    def __init__(self, data_root: Path) -> None:
        self.path = data_root / CURSOR_DIR / LOCK_FILE_NAME
        self._fd = -1

    def acquire(self) -> UplinkLock:
        """Take the lock or raise :class:`UplinkBusyError` (``OSError`` if the folder cannot be written)."""
        make_private_dirs(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise UplinkBusyError(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        content = f"{os.getpid()}\nbrain uplink: {' '.join(sys.argv)[:300]}\n".encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, content, 0)
        except OSError:
            pass  # a full disk: the lock holds without its description
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the file and let the lock go; idempotent."""
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        finally:
            os.close(fd)


def _holder(fd: int) -> str | None:
    """``pid N (command line)`` as the holder wrote it, ``None`` if it wrote nothing readable."""
    try:
        lines = os.pread(fd, 4096, 0).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not lines or not lines[0].isdigit():
        return None
    return f"pid {lines[0]}" + (f" ({lines[1]})" if len(lines) > 1 else "")
