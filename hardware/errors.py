"""The two ways a sensor read fails that the start-up self-test tells apart from the rest.

Both are :class:`~brain.errors.SensorReadError` (the source turns any of them
into a ``null`` reading with the text as its reason); the subclasses only let
:mod:`hardware.selftest` say "not found" or "reading out of range" instead of
the generic "no reading", without parsing error texts.
"""

from __future__ import annotations

from brain.errors import SensorReadError


class DeviceNotFoundError(SensorReadError):
    """The device could not be opened: nothing at the address, no bus or GPIO chip, a library missing."""


class OutOfRangeError(SensorReadError):
    """The device answered with a value outside its datasheet's measuring range (a garbled transfer)."""
