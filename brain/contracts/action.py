"""ActionV1: a control recommendation and its justification.

Stage 1 is advisory only: brain recommends, a grower (or a later stage)
decides. The ``mode`` field makes that explicit in every persisted record.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-07-14T13:20:00+00:00",
     "site_id": "greenhouse-1", "action_type": "turn_on",
     "target_device": "vent_fan",
     "reason": "Air temperature 31.2 C above 30.0 C: ventilate to cool.",
     "in_response_to": {"stream": "anomalies", "timestamp": "2026-07-14T13:20:00+00:00",
                        "kind": "temperature_high"},
     "mode": "advisory"}

Schema ``1.1`` (issue 27, the advisor) adds the action type ``inspect`` (a device that
is on while the climate does not respond: look at the device itself) and
``target_position_pct``, the position to set a device to where it has one (a vent,
a screen, a fan's speed). An action without a target is written without the key.
brain writes "1.1"; a 1.0 log reads unchanged (docs/advisor.md, "Contracts")::

    {"schema_version": "1.1", "timestamp": "2024-07-14T17:20:00+00:00",
     "site_id": "osu2024-reference", "action_type": "turn_on", "target_device": "vent_lee",
     "reason": "Air 31.2 °C and rising, vents at 10 %: open the vents to 80 %.",
     "in_response_to": {"stream": "state", "timestamp": "2024-07-14T17:20:00+00:00"},
     "mode": "advisory", "target_position_pct": 80.0}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from brain.contracts._base import Contract, StrictModel
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.settings_types import Identifier


class ActionType(StrEnum):
    """What brain recommends."""

    TURN_ON = "turn_on"
    TURN_OFF = "turn_off"
    INSPECT_SENSOR = "inspect_sensor"
    ALERT_GROWER = "alert_grower"
    NO_ACTION = "no_action"
    INSPECT = "inspect"
    """Since schema 1.1: a device runs and the climate does not respond; look at the device."""


ACTION_SCHEMA_VERSION: Literal["1.1"] = "1.1"
"""The version brain writes action records in (it reads 1.0 too; module docstring)."""


def _no_target(value: object) -> bool:
    return value is None


class ReferencedStream(StrEnum):
    """The record streams an action can answer."""

    STATE = "state"
    ANOMALIES = "anomalies"
    SENSOR_HEALTH = "sensor_health"


class RecordRef(StrictModel):
    """Points at the record an action answers: its stream, time and (optional) kind."""

    stream: Annotated[ReferencedStream, LAX_ENUM]
    """The stream the record is in."""
    timestamp: Timestamp
    """The record's timestamp."""
    kind: Annotated[str, Field(max_length=64)] | None = None
    """The anomaly kind or sensor key, where the stream holds several per timestamp."""


class ActionV1(Contract):
    """A recommended action (example in the module docstring)."""

    schema_version: Literal["1.0", "1.1"]  # type: ignore[assignment]  # a wider version set than Contract's
    """1.0: the first actions; 1.1: ``inspect`` and ``target_position_pct``."""

    timestamp: Timestamp
    """When the recommendation was made."""
    site_id: Identifier
    """Which greenhouse."""
    action_type: Annotated[ActionType, LAX_ENUM]
    """What to do."""
    target_device: Identifier | None
    """The relay or sensor it concerns, if any."""
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    """Why, in one sentence for the grower."""
    in_response_to: RecordRef
    """The state, anomaly or health record it answers."""
    mode: Literal["advisory"]
    """Stage 1 only recommends; it never switches a relay."""
    target_position_pct: Annotated[float, Field(ge=0.0, le=100.0)] | None = Field(
        default=None, exclude_if=_no_target
    )
    """Since 1.1: the position to set ``target_device`` to, percent, where it has one; absent otherwise."""
