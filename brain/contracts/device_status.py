"""DeviceStatusV1: the relay states read at one poll.

brain reads relays in Stage 1; it never drives them. The names come from
configuration, so a greenhouse with two heaters simply names both.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-06-01T12:00:00+00:00",
     "site_id": "greenhouse-1",
     "devices": {"heater": "off", "vent_fan": "on", "circulation_fan": "on",
                 "irrigation_pump": "off", "misting": "off",
                 "grow_lights": "off", "co2_valve": "unknown"}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from brain.contracts._base import Contract
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.settings_types import Identifier


class RelayState(StrEnum):
    """What a relay's status pin said; ``unknown`` when it could not be read."""

    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


DEFAULT_DEVICES: tuple[str, ...] = (
    "heater",
    "vent_fan",
    "circulation_fan",
    "irrigation_pump",
    "misting",
    "grow_lights",
    "co2_valve",
)
"""Relay names used when the configuration names none."""


class DeviceStatusV1(Contract):
    """The state of every configured relay at one instant (example in the module docstring)."""

    timestamp: Timestamp
    """When the relays were read, ISO 8601 with UTC offset."""
    site_id: Identifier
    """Which greenhouse the relays belong to."""
    devices: dict[Identifier, Annotated[RelayState, LAX_ENUM]]
    """Relay name to its state."""
