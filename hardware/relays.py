"""Relay status read through gpiozero: each configured relay's status line is one digital input.

brain only reads relays in Stage 1; it never drives them. Each relay's status
line (from the relay board's input, an auxiliary contact or an optocoupler)
is a :class:`gpiozero.DigitalInputDevice` with ``pull_up=None``: the sensing
circuit drives the line both ways (or carries its own pull resistor), so the
Pi adds none and ``active_state`` says which level means "on".

A line that cannot be opened (pin busy, no GPIO chip, no pin factory) or read
reports ``unknown`` and is reopened with the same backoff as the sensors. The
``pin_factory`` argument is gpiozero's own seam: tests pass
``gpiozero.pins.mock.MockFactory`` and drive the pins high and low; on the Pi
it is left ``None`` and gpiozero picks lgpio (``GPIOZERO_PIN_FACTORY=lgpio`` in
the systemd unit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import structlog

from brain.contracts import RelayState
from brain.errors import SensorReadError
from hardware.retry import DeviceLink, RetryPolicy

if TYPE_CHECKING:
    from hardware.config import RelaySettings

log = structlog.get_logger(__name__)


def open_status_line(relay: RelaySettings, pin_factory: Any) -> Any:
    """Open one relay's status line as a gpiozero input (imported here: ``check`` never needs it)."""
    from gpiozero import DigitalInputDevice

    return DigitalInputDevice(
        relay.pin, pull_up=None, active_state=relay.active_high, pin_factory=pin_factory
    )


class RelayBank:
    """Reads every configured relay once per poll: ``on``, ``off`` or ``unknown``."""

    def __init__(
        self,
        relays: Sequence[RelaySettings],
        *,
        retry: RetryPolicy,
        monotonic: Callable[[], float],
        pin_factory: Any = None,
    ) -> None:
        self._lines: dict[str, DeviceLink[Any]] = {
            relay.name: DeviceLink(
                f"relay {relay.name}@GPIO{relay.pin}",
                partial(open_status_line, relay, pin_factory),
                retry=retry,
                monotonic=monotonic,
                release=lambda device: device.close(),
                open_errors=(Exception,),  # gpiozero's errors share no base with lgpio's or the OS's
            )
            for relay in relays
        }

    @property
    def names(self) -> tuple[str, ...]:
        """Relay names in configuration order."""
        return tuple(self._lines)

    def read(self) -> dict[str, RelayState]:
        """Read every line now; a line that cannot be read is ``unknown``, never an exception."""
        return {name: self._read_one(link) for name, link in self._lines.items()}

    @staticmethod
    def _read_one(link: DeviceLink[Any]) -> RelayState:
        try:
            device = link.acquire()
        except SensorReadError:
            return RelayState.UNKNOWN
        try:
            active = bool(device.is_active)
        except Exception as exc:  # a GPIO read failing is hardware trouble of any kind: reopen later
            link.lost(exc)
            return RelayState.UNKNOWN
        return RelayState.ON if active else RelayState.OFF

    def reasons(self) -> dict[str, str]:
        """Why each line that is not open could not be opened or read (after :meth:`read`)."""
        return {name: link.last_error for name, link in self._lines.items() if link.last_error}

    def close(self) -> None:
        """Release every line; idempotent."""
        for link in self._lines.values():
            link.close()
