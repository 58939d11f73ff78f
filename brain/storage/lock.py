"""One writer per data root: an exclusive ``flock`` on ``DATA_ROOT/.brain.lock``, held for the writer's life.

Why: two processes appending to one data root duplicate records, and on a full
disk one's short-write clean-up (``ftruncate`` to the size *it* believes the
file has) erased the other's acknowledged lines (issue 16: about 1,000 records
destroyed in 3 of 3 tries). Every writer of a data root takes this lock first:
:class:`~brain.storage.writer.DatasetWriter` for its whole life, retention for a
pass (or under the writer's lock when the daemon runs it); a second one is refused
with :class:`~brain.storage.errors.DataRootBusyError` naming the holder's pid.

Why ``flock`` on a file that stays: the kernel drops the lock when its holder
dies (SIGKILL, OOM, a power cut leaves no stale lock to clean up), and the lock
belongs to an open file, not to a name. The file is never removed: removing it
would let a process that opened the old file lock an orphan while a third one
locks a new file of the same name. While held it holds the holder's pid (first
line, as a pid file would) and what it is; on release it is emptied, so an
empty lock file means a free data root.

Example::

    with DataRootLock(data_root, "retention"):
        apply_retention(...)  # nobody else writes here meanwhile

If the lock file is deleted under a live holder (``rm -rf`` of the data root),
:meth:`DataRootLock.verify` (the writer calls it at every flush and day
change) creates it again and locks the new file; if another process was
quicker, the holder gets ``DataRootBusyError`` and must stop writing.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
from pathlib import Path
from types import TracebackType

import structlog

from brain.storage.dataset import LOCK_FILE_NAME
from brain.storage.durable import make_dirs
from brain.storage.errors import DataRootBusyError, DataRootUnwritableError, DiskError
from brain.storage.modes import open_created

log = structlog.get_logger(__name__)

__all__ = ["LOCK_FILE_NAME", "DataRootLock"]


_HOLDER_CHARS = 300


def _command_line() -> str:
    return " ".join(sys.argv)[:_HOLDER_CHARS]


def _read_holder(fd: int) -> tuple[int | None, str | None]:
    """The pid and description the holder wrote, ``(None, None)`` if empty or unreadable."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return None, None
    lines = text.splitlines()
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None, None
    return pid, lines[1] if len(lines) > 1 else None


def _pid_from_proc_locks(fd: int) -> int | None:
    """The pid Linux lists for the lock on ``fd``'s file, for a holder that could not write it (full disk)."""
    stat = os.fstat(fd)
    device = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        with Path("/proc/locks").open(encoding="ascii", errors="replace") as locks:
            for line in locks:
                fields = line.split()
                if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == device:
                    return int(fields[4])
    except (OSError, ValueError):
        return None
    return None


class DataRootLock:
    """The exclusive lock of one data root: a context manager, or :meth:`acquire` and :meth:`release`."""

    def __init__(self, data_root: Path, holder: str, *, durable: bool = True) -> None:
        self.data_root = data_root
        self._durable = durable
        """Fsync the folders created for the data root (the writer's ``fsync = "never"`` turns it off)."""
        self.path = data_root / LOCK_FILE_NAME
        self.holder = holder
        """What holds it (written into the lock file after the pid), e.g. ``"brain writer"``."""
        self._fd = -1
        self._identity: tuple[int, int] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd >= 0

    def covers(self, data_root: Path) -> bool:
        """Whether this lock is held on ``data_root`` (the same folder, however its path is spelled)."""
        if not self.held:
            return False
        try:
            return self.data_root.samefile(data_root)
        except OSError:
            return False

    def acquire(self) -> DataRootLock:
        """Create the data root if needed and take its lock, or raise.

        Raises :class:`DataRootBusyError` when another process holds it, and
        :class:`DataRootUnwritableError` when the data root cannot be created or
        written (its ``permanent`` says whether waiting can help).
        """
        if not self.held:
            self._fd, self._identity = self._lock()
        return self

    def release(self) -> None:
        """Empty the lock file and let the lock go; idempotent."""
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            os.ftruncate(fd, 0)  # a replaced lock file's orphan may be emptied too: nobody reads it
        except OSError:
            pass  # a file system gone read-only: the kernel still drops the lock below
        finally:
            os.close(fd)

    def verify(self) -> bool:
        """Make sure the data root's lock file is still the one locked; ``True`` if it had to be recreated.

        A lock file deleted (or replaced) under the holder no longer keeps anyone
        out, so it is created again (with the data root, if that went too) and the
        new file locked. Raises :class:`DataRootBusyError` if another process
        locked the new file first: this holder has then lost the data root.
        """
        if not self.held:
            return False
        try:
            stat = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError:
            return False  # cannot tell (a folder made unsearchable): writing will report the cause
        else:
            if (stat.st_dev, stat.st_ino) == self._identity:
                return False
        try:
            fd, identity = self._lock()
        except DataRootBusyError:
            self.release()
            raise
        # On any other error the orphaned lock is kept, and the next check tries again.
        os.close(self._fd)
        self._fd, self._identity = fd, identity
        log.error("storage_lock_file_recreated", lock_file=str(self.path), pid=os.getpid())
        return True

    def _lock(self) -> tuple[int, tuple[int, int]]:
        try:
            make_dirs(self.data_root, durable=self._durable)
        except DiskError as exc:
            raise DataRootUnwritableError(exc.path, exc.errno) from exc
        try:
            fd, _ = open_created(self.path, os.O_RDWR)
        except OSError as exc:
            raise DataRootUnwritableError(self.data_root, exc.errno) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, holder = _read_holder(fd)
            if pid is None:
                pid = _pid_from_proc_locks(fd)
            os.close(fd)
            raise DataRootBusyError(self.data_root, pid, holder) from None
        except OSError as exc:
            os.close(fd)
            raise DataRootUnwritableError(self.data_root, exc.errno) from exc
        if not os.access(self.data_root, os.W_OK | os.X_OK, effective_ids=True):
            os.close(fd)
            raise DataRootUnwritableError(self.data_root, errno.EACCES)
        self._write_holder(fd)
        stat = os.fstat(fd)
        return fd, (stat.st_dev, stat.st_ino)

    def _write_holder(self, fd: int) -> None:
        """Pid and description into the file, for the refusal message and ``cat``; the lock holds without."""
        content = f"{os.getpid()}\n{self.holder}: {_command_line()}\n".encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, content, 0)
        except OSError as exc:  # a full disk: the holder is then found through /proc/locks
            log.warning("storage_lock_holder_not_written", lock_file=str(self.path), error=str(exc))

    def __enter__(self) -> DataRootLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
