"""The contracts: the only types that cross brain's boundaries and reach disk.

Every source emits :class:`ObservationV1` and :class:`DeviceStatusV1`; the
estimator returns :class:`StateV1`, :class:`AnomalyV1` and
:class:`SensorHealthV1`; :class:`ActionV1` carries advisory recommendations.
Storage persists each kind as its own JSONL stream (see :data:`STREAMS`). The names
the records use (sensor keys, severities, anomaly kinds, ...) are defined in
:mod:`brain.names`, for processes that need them without the models; they are
re-exported here.
All models are strict (no coercion), closed (unknown keys rejected) and
immutable; JSON Schemas of all six are checked in under ``docs/schemas/``.
The field types they share (:data:`Identifier`, :data:`Timestamp`,
:data:`LAX_ENUM`) are in :mod:`brain.contracts.types`, for settings and
plugins that hold the same values; the span of time brain acts on
(:data:`SCHEDULABLE`) is in :mod:`brain.contracts.time_range`.
"""

from __future__ import annotations

from brain.contracts._base import SCHEMA_VERSION, Contract
from brain.contracts.action import ACTION_SCHEMA_VERSION, ActionType, ActionV1, RecordRef, ReferencedStream
from brain.contracts.anomaly import ANOMALY_SCHEMA_VERSION, AnomalyV1
from brain.contracts.device_status import (
    DEFAULT_DEVICES,
    DEVICE_STATUS_SCHEMA_VERSION,
    DeviceStatusV1,
    PositionPct,
    RelayState,
)
from brain.contracts.observation import (
    OBSERVATION_SCHEMA_VERSION,
    ObservationSource,
    ObservationV1,
    OutsideReadings,
    Reading,
    SensorReadings,
)
from brain.contracts.sensor_health import EVIDENCE_STATISTICS, Evidence, SensorFault, SensorHealthV1
from brain.contracts.state import STATE_SCHEMA_VERSION, ExclusionReason, StateV1
from brain.contracts.time_range import FIXED_OFFSET_ZONES, SCHEDULABLE, TimeRange, UnschedulableTimeError
from brain.contracts.types import LAX_ENUM, Timestamp, check_site_id
from brain.names import SENSOR_KEYS, STREAM_NAMES, AnomalyKind, HealthStatus, Metric, SensorKey, Severity
from brain.settings_types import Identifier

STREAMS: dict[str, type[Contract]] = dict(
    zip(
        STREAM_NAMES,
        (ObservationV1, DeviceStatusV1, StateV1, AnomalyV1, SensorHealthV1, ActionV1),
        strict=True,
    )
)
"""Stream name (the JSONL file stem, :data:`brain.names.STREAM_NAMES`) to the contract its lines hold."""

__all__ = [
    "ACTION_SCHEMA_VERSION",
    "ANOMALY_SCHEMA_VERSION",
    "DEFAULT_DEVICES",
    "DEVICE_STATUS_SCHEMA_VERSION",
    "EVIDENCE_STATISTICS",
    "FIXED_OFFSET_ZONES",
    "LAX_ENUM",
    "OBSERVATION_SCHEMA_VERSION",
    "SCHEDULABLE",
    "SCHEMA_VERSION",
    "SENSOR_KEYS",
    "STATE_SCHEMA_VERSION",
    "STREAMS",
    "ActionType",
    "ActionV1",
    "AnomalyKind",
    "AnomalyV1",
    "Contract",
    "DeviceStatusV1",
    "Evidence",
    "ExclusionReason",
    "HealthStatus",
    "Identifier",
    "Metric",
    "ObservationSource",
    "ObservationV1",
    "OutsideReadings",
    "PositionPct",
    "Reading",
    "RecordRef",
    "ReferencedStream",
    "RelayState",
    "SensorFault",
    "SensorHealthV1",
    "SensorKey",
    "SensorReadings",
    "Severity",
    "StateV1",
    "TimeRange",
    "Timestamp",
    "UnschedulableTimeError",
    "check_site_id",
]
