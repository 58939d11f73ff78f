"""Devices that come back by themselves: a handle that reopens, with backoff, after a failure.

Why: on a greenhouse Pi an I2C breakout is unplugged, a connector corrodes, a
cable picks up noise. The daemon must not need a restart for a sensor to come
back, and must not hammer a dead bus every poll either. A :class:`DeviceLink`
opens its device on first use; when opening fails, or a read says the device
went away (:meth:`DeviceLink.lost`), it waits ``RetryPolicy.delay_s(n)``
(doubling from ``initial_s`` up to ``max_s``) before it tries to open it again.
Meanwhile every use raises :class:`~hardware.errors.DeviceNotFoundError`, which the
source turns into a ``null`` reading with the reason.

With the defaults (30 s, doubling, at most 600 s) and a poll every 60 s, a lost
device is retried at the next poll, then after 2, 4, 8 minutes, then every
10 minutes: it is read again at most 10 minutes plus one poll after it is plugged back in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from brain.install_hint import install_command
from hardware.errors import DeviceNotFoundError

log = structlog.get_logger(__name__)

T = TypeVar("T")

OPEN_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, RuntimeError, ImportError)
"""What opening an Adafruit device raises when it is absent or unusable.

``OSError`` (errno 121 "Remote I/O error": nothing answers at the address),
``ValueError`` (``adafruit_bus_device`` probing: "No I2C device at address"),
``RuntimeError`` (the SCD4x driver wraps bus errors in it; Blinka raises its
``NotImplementedError`` subclass on an unknown board) and ``ImportError`` (the
``pi`` extra is not installed).
"""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before reopening a device after its n-th failure in a row."""

    initial_s: float = 30.0
    max_s: float = 600.0

    def delay_s(self, failures: int) -> float:
        """Return the wait after ``failures`` consecutive failures (``failures`` >= 1)."""
        exponent = min(max(failures - 1, 0), 32)  # 2**32 * anything sane is past max_s already
        return float(min(self.initial_s * 2**exponent, self.max_s))


class DeviceLink(Generic[T]):
    """A lazily opened device handle that reopens itself with backoff after failures."""

    def __init__(
        self,
        label: str,
        open_device: Callable[[], T],
        *,
        retry: RetryPolicy,
        monotonic: Callable[[], float],
        release: Callable[[T], None] | None = None,
        open_errors: tuple[type[Exception], ...] = OPEN_ERRORS,
    ) -> None:
        self._label = label
        self._open = open_device
        self._retry = retry
        self._monotonic = monotonic
        self._release = release
        self._open_errors = open_errors
        self._device: T | None = None
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error = ""

    @property
    def is_open(self) -> bool:
        """True while a device handle is held."""
        return self._device is not None

    @property
    def last_error(self) -> str:
        """Why the device is not open ("" while it is, or before the first attempt)."""
        return "" if self._device is not None else self._last_error

    def acquire(self) -> T:
        """Return the open device, opening it if due; ``DeviceNotFoundError`` while it is unavailable."""
        if self._device is not None:
            return self._device
        now = self._monotonic()
        if self._failures and now < self._next_attempt:
            raise DeviceNotFoundError(
                f"unavailable ({self._last_error}); next retry in {self._next_attempt - now:.0f} s"
            )
        try:
            device = self._open()
        except self._open_errors as exc:
            self._record_failure(describe_error(exc), now)
            raise DeviceNotFoundError(f"cannot open: {self._last_error}") from exc
        if self._failures:
            log.info("device_reopened", device=self._label, after_failures=self._failures)
        self._device = device
        self._failures = 0
        return device

    def lost(self, error: BaseException) -> None:
        """Drop the handle after a read showed the device is gone; reopen it after the backoff."""
        self._drop()
        self._record_failure(describe_error(error), self._monotonic())

    def close(self) -> None:
        """Release the device; idempotent. A later :meth:`acquire` opens it again."""
        self._drop()

    def _drop(self) -> None:
        device, self._device = self._device, None
        if device is not None and self._release is not None:
            try:
                self._release(device)
            except Exception as exc:  # releasing a device that is already gone must not raise
                log.warning("device_release_failed", device=self._label, error=describe_error(exc))

    def _record_failure(self, error: str, now: float) -> None:
        self._failures += 1
        self._last_error = error
        delay = self._retry.delay_s(self._failures)
        self._next_attempt = now + delay
        if self._failures == 1:
            log.warning("device_unavailable", device=self._label, error=error, retry_in_s=delay)


def describe_error(exc: BaseException) -> str:
    """An exception as one line for logs and errors; a missing library says how to install it."""
    text = (
        " ".join(str(exc).split()) or type(exc).__name__
    )  # Blinka's messages span lines; logs and tables do not
    if isinstance(exc, ImportError):
        return f"{text} (install the Pi libraries: {install_command('pi')})"
    return text
