"""The Pi's I2C bus 1, opened once and shared by every I2C driver, one transaction at a time.

Why a lock of our own: each driver reads in its own worker thread (so one hung
device cannot stall the poll), but Blinka's ``busio.I2C.try_lock`` is a plain
flag, not a thread-safe lock. Holding :attr:`I2CBus.lock` around every device
access keeps two threads from interleaving transactions on the wire.

Why bus 1 only: it is the bus on the 40-pin header of every Pi since the B+
(GPIO2 = SDA, GPIO3 = SCL, ``/dev/i2c-1``), the one ``board.I2C()`` opens and
the one the systemd unit grants (``DeviceAllow=/dev/i2c-1``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


def open_board_i2c() -> Any:
    """Open the default I2C bus through Blinka (imported here: only the Pi has it)."""
    import board

    return board.I2C()


class I2CBus:
    """Lazily opened shared bus; ``open_bus`` is the injection point for tests."""

    def __init__(self, open_bus: Callable[[], Any] = open_board_i2c) -> None:
        self._open_bus = open_bus
        self._bus: Any = None
        self._guard = threading.Lock()
        self.lock = threading.Lock()
        """Hold this around every transaction on the bus."""

    def get(self) -> Any:
        """Return the bus object (a ``busio.I2C``), opening it on first use; errors propagate."""
        with self._guard:
            if self._bus is None:
                self._bus = self._open_bus()
            return self._bus

    def close(self) -> None:
        """Release the bus file descriptor; idempotent."""
        with self._guard:
            bus, self._bus = self._bus, None
        deinit = getattr(bus, "deinit", None)
        if callable(deinit):
            try:
                deinit()
            except Exception as exc:  # closing must never fail the shutdown
                log.warning("i2c_close_failed", error=str(exc))
