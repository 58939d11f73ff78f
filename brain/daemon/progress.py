"""What the daemon has done so far: counters for STATUS and the log, a progress line for people.

Why the progress line is apart from logging: it redraws one terminal line in
place, which a log line must never do; it is shown only for simulate and replay
runs on a terminal with console logs, never in JSON mode or under systemd.
Log lines go to stdout, the progress line to stderr: on one terminal they would
share a line, so the daemon registers :meth:`Progress.clear` with
``brain.logging.clear_before_log_lines`` and every log line first erases the
progress line; the next redraw puts it back below.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

ERASE_LINE = "\r\x1b[K"
"""Carriage return, then ANSI "erase to end of line": the progress line is gone, the cursor at column 0."""


@dataclass
class Counters:
    """What the daemon did, for STATUS, the progress line and the closing summary."""

    observations: int = 0
    states: int = 0
    anomalies: int = 0
    actions: int = 0
    """Advisory actions written (docs/advisor.md)."""
    rejected: int = 0
    """Observations stored but not estimated (duplicate or out-of-order timestamp)."""
    failed_polls: int = 0
    last_poll: datetime | None = None


class Progress:
    """A progress line on a terminal: records done, simulated time, rate; silent when disabled."""

    REDRAW_S = 0.25
    """At most four redraws a second: a terminal is slower than the loop."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._shown = 0.0
        self._drawn = False
        """A progress line is on the terminal now, without its newline."""

    def clear(self) -> None:
        """Erase the progress line, if drawn, so that what comes next starts on a clean line."""
        if not self._drawn:
            return
        self._stream.write(ERASE_LINE)
        self._stream.flush()
        self._drawn = False

    def update(self, counters: Counters, *, final: bool = False) -> None:
        """Redraw the line (rate-limited), and end it with a newline when ``final``."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._shown < self.REDRAW_S:
            return
        self._shown = now
        rate = counters.observations / max(now - self._started, 1e-9)
        simulated = counters.last_poll.isoformat() if counters.last_poll else "-"
        self._stream.write(
            f"\r{counters.observations:>9,} observations | {simulated} | "
            f"{counters.states:,} states | {counters.anomalies:,} anomalies | {rate:>9,.0f} obs/s "
        )
        self._drawn = not final
        if final:
            self._stream.write("\n")
        self._stream.flush()
