"""An Adafruit I2C device object used under the shared bus lock, reopened after it went away.

Every I2C driver reads through :meth:`I2CDevice.transact`: the bus lock is held
for the whole transaction (opening included, since the Adafruit constructors
probe the bus), a device absent at start raises ``SensorReadError`` until it
answers, and a read error (``OSError`` from the bus, or the ``RuntimeError``
the Adafruit drivers raise for CRC failures and wrapped bus errors) drops the
handle so the device is re-initialised, with backoff, on a later poll.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from brain.errors import SensorReadError
from hardware.drivers.base import DriverContext
from hardware.retry import DeviceLink

T = TypeVar("T")
R = TypeVar("R")

READ_ERRORS: tuple[type[Exception], ...] = (OSError, RuntimeError)
"""What an Adafruit I2C driver raises when a device stops answering or garbles a transfer."""


class I2CDevice(Generic[T]):
    """One device on the shared bus; ``open_device`` is the injection point for fakes."""

    def __init__(
        self,
        label: str,
        open_device: Callable[[], T],
        context: DriverContext,
        *,
        release: Callable[[T], None] | None = None,
    ) -> None:
        self._lock = context.i2c.lock
        self._link: DeviceLink[T] = DeviceLink(
            label, open_device, retry=context.retry, monotonic=context.monotonic, release=release
        )

    def transact(self, action: Callable[[T], R]) -> R:
        """Run ``action`` on the open device under the bus lock; translate failures."""
        with self._lock:
            device = self._link.acquire()
            try:
                return action(device)
            except READ_ERRORS as exc:
                self._link.lost(exc)
                raise SensorReadError(f"stopped answering: {exc or type(exc).__name__}") from exc

    def close(self) -> None:
        """Drop the handle; idempotent."""
        self._link.close()
