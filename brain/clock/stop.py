"""A stop request that a signal handler may raise and that wakes a sleeping loop at once.

Why not ``threading.Event``: its ``set()`` takes a lock, and a Python signal handler
runs on the main thread between two bytecodes, possibly while that very thread holds
the same lock inside ``Event.wait()``; it would then wait for itself forever. The
``signal`` module's documentation warns against locks in handlers for this reason.
Setting an attribute and writing one byte to a non-blocking pipe take no lock
(``write(2)`` is async-signal-safe), and ``select(2)`` on the pipe's other end
wakes the sleeper whichever thread or handler asked (the self-pipe trick).
"""

from __future__ import annotations

import contextlib
import os
import select
import weakref

MAX_SLEEP_S = 3600.0
"""Longest single ``select`` timeout; callers that wait longer loop (keeps the timeout far from overflow)."""


def _close_fds(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


class StopSignal:
    """A one-way flag: once set it stays set, and every sleep after it returns at once."""

    def __init__(self) -> None:
        self._requested = False
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        # The pipe lives exactly as long as this object, so set() can never write to an
        # fd number the process has since reused for something else.
        weakref.finalize(self, _close_fds, self._read_fd, self._write_fd)

    def set(self) -> None:
        """Request the stop; safe from a signal handler and from any thread."""
        if self._requested:
            return
        self._requested = True
        with contextlib.suppress(BlockingIOError):  # a full pipe: the reader is woken already
            os.write(self._write_fd, b"!")

    def is_set(self) -> bool:
        """Whether a stop was requested."""
        return self._requested

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` of real elapsed time; return ``True`` as soon as a stop is requested.

        ``select`` measures its timeout on the monotonic clock, so stepping the wall
        clock neither shortens nor stretches the sleep.
        """
        if self._requested:
            return True
        if seconds > 0:
            select.select([self._read_fd], [], [], min(seconds, MAX_SLEEP_S))
        return self._requested
