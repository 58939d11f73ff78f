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
