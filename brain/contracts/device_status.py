"""DeviceStatusV1: the relay states and actuator positions read at one poll.

brain reads relays; it never drives them. The names come from configuration, so
a greenhouse with two heaters simply names both.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-06-01T12:00:00+00:00",
     "site_id": "greenhouse-1",
     "devices": {"heater": "off", "vent_fan": "on", "circulation_fan": "on",
                 "irrigation_pump": "off", "misting": "off",
                 "grow_lights": "off", "co2_valve": "unknown"}}

Schema ``1.1`` adds ``positions``: the opening or output of a device that is not
simply on or off (a vent at 35 %, an energy screen closed 100 %, exhaust fans at
60 %), 0-100 %. Every positioned device is also in ``devices``, "on" when its
position is above 0, so a reader that knows only ``devices`` (a 1.0 reader, the
uplink) still reads it right. A record without positions is written without the
key, so a 1.0 log read and written again is byte for byte the same; brain writes
"1.1" only for records that carry positions (docs/advisor.md, "Contracts")::

    {"schema_version": "1.1", "timestamp": "2024-07-14T17:20:00+00:00",
     "site_id": "osu2024-reference",
     "devices": {"vent_lee": "on", "energy_screen": "off", "exhaust_fans": "on"},
     "positions": {"vent_lee": 35.0, "energy_screen": 0.0, "exhaust_fans": 100.0}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from brain.contracts._base import Contract
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.settings_types import Identifier

DEVICE_STATUS_SCHEMA_VERSION: Literal["1.1"] = "1.1"
"""The version of a record that carries positions (records without them stay "1.0")."""


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

PositionPct = Annotated[float, Field(ge=0.0, le=100.0)]
"""A device's opening or output, percent: 0 closed or off, 100 fully open or full power."""


def _no_positions(value: object) -> bool:
    return value is None


class DeviceStatusV1(Contract):
    """The state of every configured relay at one instant (example in the module docstring)."""

    schema_version: Literal["1.0", "1.1"]  # type: ignore[assignment]  # a wider version set than Contract's
    """1.0: relays only; 1.1: also ``positions``."""
    timestamp: Timestamp
    """When the relays were read, ISO 8601 with UTC offset."""
    site_id: Identifier
    """Which greenhouse the relays belong to."""
    devices: dict[Identifier, Annotated[RelayState, LAX_ENUM]]
    """Relay name to its state."""
    positions: dict[Identifier, PositionPct] | None = Field(default=None, exclude_if=_no_positions)
    """Since 1.1: device name to its position, 0-100 %; absent (not written) where no device has one."""

    @field_validator("positions", mode="after")
    @classmethod
    def _positions_agree_with_devices(
        cls, positions: dict[str, float] | None, info: ValidationInfo
    ) -> dict[str, float] | None:
        """Why: a reader of ``devices`` alone must see a vent at 35 % as on; a 1.0 record has no positions.

        A field validator, not a model validator: pydantic calls it only for a record that has
        ``positions``, so the relay-only records of every poll pay no Python call for it.
        """
        if positions is None or "devices" not in info.data:  # devices invalid: that error is reported
            return positions
        if info.data.get("schema_version") == "1.0":
            raise ValueError("positions need schema_version 1.1")
        devices = info.data["devices"]
        for name, position in positions.items():
            state = devices.get(name)
            expected = RelayState.ON if position > 0.0 else RelayState.OFF
            if state is not expected:
                raise ValueError(
                    f"device {name!r} at {position:g} % must be {expected.value!r} in devices, not {state}"
                )
        return positions

    def position(self, name: str) -> float | None:
        """``name``'s position, percent: its own, 100 for a relay on, 0 off; ``None`` unknown or absent."""
        if self.positions is not None:
            position = self.positions.get(name)
            if position is not None:
                return position
        state = self.devices.get(name)
        if state is RelayState.ON:
            return 100.0
        if state is RelayState.OFF:
            return 0.0
        return None
