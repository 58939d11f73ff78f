"""The signals the daemon answers, and how: every one deliberately, none losing a record.

- SIGTERM (systemd), SIGINT (Ctrl-C): stop. The poll under way finishes, the shutdown
  hooks flush and fsync storage, exit 0; a second one exits at once with status 1 (a
  daemon stuck on a disk that no longer answers).
- SIGHUP: flush and fsync every stream, log ``sighup_flushed``, keep running. There is
  nothing to reload (settings are read once, at start: restart to change them). A
  terminal that hangs up (an ssh session that drops) therefore does not stop a manual
  run; ``nohup`` (SIGHUP inherited as ignored) is respected.
- SIGUSR1: log the status line systemd shows (``status``), keep running.
- SIGPIPE: ignored, as Python sets it at start: a closed stdout is ``EPIPE`` on a log
  write, which ``brain.logging`` turns into silence, never into death (``| head``).

Why the handlers only take note: a Python handler runs between two bytecodes of the
main thread, possibly in the middle of a log line's or a record's write, and
logging or writing from it could re-enter that write (structlog's print lock would
wait for itself). SIGHUP and SIGUSR1 are therefore answered by the main loop at
the end of a poll and, on the Pi, by a job every second (:data:`REQUEST_CHECK_S`).
Kept out of the main loop: it is about the process, not about polls.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog

from brain.daemon.notify import Notifier
from brain.scheduler.event_loop import Scheduler

log = structlog.get_logger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
REQUEST_SIGNALS = (signal.SIGHUP, signal.SIGUSR1)
"""Signals that ask for something (a flush, a status line) and leave the daemon running."""
IGNORED_SIGNALS = (signal.SIGPIPE,)
REQUEST_CHECK_S = 1.0
"""How often (seconds) the Pi's loop looks for a SIGHUP or SIGUSR1 between polls."""

Handler = Callable[[int, FrameType | None], Any] | int | None
"""What ``signal.signal`` takes and gives back: a function, ``SIG_DFL``/``SIG_IGN``, or ``None``."""


class StopSignals:
    """The daemon's handlers for the stop signals, installed for the length of one run."""

    def __init__(self, scheduler: Scheduler, notifier: Notifier) -> None:
        self.received: list[int] = []
        """The stop signals that arrived, in order."""
        self._scheduler = scheduler
        self._notifier = notifier
        self._previous: dict[int, Handler] = {}

    def install(self) -> None:
        """Handle SIGTERM and SIGINT from now on, until :meth:`restore`."""
        self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}

    def restore(self) -> None:
        """Put back the handlers that were there before :meth:`install`."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def report(self) -> None:
        """The first shutdown hook: say why the loop stopped, before storage is flushed."""
        if self.received:
            log.info("stop_requested", signal=signal.Signals(self.received[0]).name)
        self._notifier.stopping()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """Only record the signal and ask the scheduler to stop.

        Logging or writing from a handler could re-enter a write it interrupted.
        """
        if self.received:
            os._exit(1)
        self.received.append(signum)
        self._scheduler.stop()


class RequestSignals:
    """SIGHUP and SIGUSR1 noted by a handler, answered later by :meth:`answer` on the main thread.

    ``on_request`` maps each signal to what answers it (the main loop's flush, its
    status line). SIGPIPE is set to ignored for the run, whatever the caller had.
    """

    def __init__(self, on_request: dict[signal.Signals, Callable[[], None]]) -> None:
        self._on_request = on_request
        self._pending: list[signal.Signals] = []
        self._previous: dict[int, Handler] = {}
        self.inherited_ignored: list[signal.Signals] = []
        """Request signals left ignored because the daemon was started that way (``nohup``)."""

    def install(self) -> None:
        """Take note of SIGHUP and SIGUSR1, ignore SIGPIPE, until :meth:`restore`."""
        for sig in IGNORED_SIGNALS:
            self._previous[sig] = signal.signal(sig, signal.SIG_IGN)
        for sig in REQUEST_SIGNALS:
            if signal.getsignal(sig) == signal.SIG_IGN:  # nohup: the caller asked for it to be ignored
                self.inherited_ignored.append(sig)
                continue
            self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        """Put back the handlers that were there before :meth:`install`."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def answer(self) -> None:
        """Answer every request noted since the last call, in arrival order, once per kind."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []  # a signal arriving meanwhile lands in one of the two
        for sig in dict.fromkeys(pending):
            self._on_request[sig]()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """Only take note; the main loop answers (see the module docstring)."""
        self._pending.append(signal.Signals(signum))
