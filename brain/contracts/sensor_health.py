"""SensorHealthV1: one sensor's diagnosis at one instant.

One record per sensor accompanies every stored state, so an analyst can see
for any moment which sensors were trusted and why not.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-06-01T14:00:00+00:00",
     "site_id": "greenhouse-1", "sensor": "relative_humidity_pct",
     "status": "faulty", "fault": "stuck_at",
     "since": "2026-06-01T13:10:00+00:00",
     "evidence": {"window_s": 3000.0, "statistic": "range", "value": 0.0,
                  "limit": 0.1}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from brain.contracts._base import Contract, StrictModel
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.names import HealthStatus, SensorKey
from brain.settings_types import Identifier


class SensorFault(StrEnum):
    """The fault kinds of the sensor-fault literature (Ni et al. 2009; Sharma et al. 2010)."""

    NONE = "none"
    STUCK_AT = "stuck_at"
    JUMP = "jump"
    DRIFT = "drift"
    DISCONNECT = "disconnect"
    OUT_OF_RANGE = "out_of_range"


EVIDENCE_STATISTICS: frozenset[str] = frozenset(
    {
        "step",
        "spike_step",
        "dew_point_step",
        "spike_dew_point_step",
        "exact_value_held",
        "round_value_held",
        "whole_frame_repeated_s",
        "offset_beyond_week_c",
        "offset_beyond_week_pct",
        "range",
        "range_in_daylight",
        "range_while_colocated_moved",
        "valid_readings_since_start",
        "null_polls",
        "value_age_s",
        "value",
        "seconds_since_fault_ended",
        "offset_from_reference",
        "offset_from_reference_c",
        "offset_from_reference_pct",
    }
)
"""The statistics brain's estimator names in ``Evidence.statistic`` (docs/confidence_scoring.md).

Not an enum in the contract, so logs written by any version stay readable; the
public export passes only these names on (any other text could be anything), and
a test keeps the set equal to what the estimator emits.
"""


class Evidence(StrictModel):
    """The numbers behind a diagnosis: which statistic over which window met which limit."""

    window_s: Annotated[float, Field(ge=0)]
    """Length of the time window the statistic was computed over, seconds."""
    statistic: Annotated[str, Field(min_length=1, max_length=64)]
    """Name of the statistic, e.g. ``range``, ``step``, ``residual_slope_per_h``."""
    value: float | None
    """The statistic's value, or ``None`` where there was nothing to compute it from."""
    limit: float | None
    """The limit the value was compared with, or ``None`` for a plain report."""


class SensorHealthV1(Contract):
    """Diagnosis of one sensor (example in the module docstring)."""

    timestamp: Timestamp
    """The observation time this diagnosis is for."""
    site_id: Identifier
    """Which greenhouse the sensor is in."""
    sensor: Annotated[SensorKey, LAX_ENUM]
    """Which sensor key is diagnosed."""
    status: Annotated[HealthStatus, LAX_ENUM]
    """Overall trust in the sensor."""
    fault: Annotated[SensorFault, LAX_ENUM]
    """The detected fault, ``none`` when healthy."""
    since: Timestamp
    """When the current status and fault began."""
    evidence: Evidence | None
    """Why; ``None`` for a healthy sensor with nothing to report."""
