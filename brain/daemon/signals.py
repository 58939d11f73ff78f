"""How the daemon is asked to stop: SIGTERM (systemd) or SIGINT (Ctrl-C).

The first signal lets the poll under way finish, then the shutdown hooks flush
storage and the daemon exits 0; a second signal exits at once with status 1, for
a daemon stuck on a disk that no longer answers. Kept out of the main loop: it is
about the process, not about polls.
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
