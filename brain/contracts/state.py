"""StateV1: brain's estimate of the canopy climate at one instant.

The device status it was estimated with travels inside the record, so a state
line alone tells an analyst what the greenhouse was doing at the time.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-06-01T12:00:00+00:00",
     "site_id": "greenhouse-1",
     "air_temperature_c": 24.5, "relative_humidity_pct": 68.0,
     "co2_ppm": 610.0, "par_umol_m2_s": 850.0, "substrate_moisture_pct": null,
     "vpd_kpa": 0.985, "dew_point_c": 18.1, "confidence": 0.8,
     "device_status": {"schema_version": "1.0",
                       "timestamp": "2026-06-01T12:00:00+00:00",
                       "site_id": "greenhouse-1",
                       "devices": {"heater": "off", "vent_fan": "on"}},
     "excluded_sensors": {"substrate_moisture_pct": "disconnect"}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from brain.contracts._base import Contract
from brain.contracts.device_status import DeviceStatusV1
from brain.contracts.observation import Reading
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.names import SensorKey
from brain.settings_types import Identifier


class ExclusionReason(StrEnum):
    """Why a sensor's reading was left out of a state."""

    MISSING = "missing"
    STALE = "stale"
    DISCONNECT = "disconnect"
    OUT_OF_RANGE = "out_of_range"
    STUCK_AT = "stuck_at"
    JUMP = "jump"
    DRIFT = "drift"


class StateV1(Contract):
    """The estimated climate at one instant (example in the module docstring)."""

    timestamp: Timestamp
    """The time of the observation the estimate rests on."""
    site_id: Identifier
    """Which greenhouse."""
    air_temperature_c: Reading
    """Estimated air temperature, degrees Celsius; ``None`` when excluded."""
    relative_humidity_pct: Reading
    """Estimated relative humidity, percent; ``None`` when excluded."""
    co2_ppm: Reading
    """Estimated CO2, ppm; ``None`` when excluded."""
    par_umol_m2_s: Reading
    """Estimated PAR, micromol per m2 per s; ``None`` when excluded."""
    substrate_moisture_pct: Reading
    """Estimated substrate water content, percent; ``None`` when excluded."""
    vpd_kpa: Annotated[float, Field(ge=0)] | None
    """Vapour pressure deficit of the air, kPa; ``None`` without temperature and humidity."""
    dew_point_c: float | None
    """Dew point of the air, degrees Celsius; ``None`` without temperature and humidity."""
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    """Trust in this estimate, 0 to 1, computed as docs/confidence_scoring.md specifies."""
    device_status: DeviceStatusV1
    """The relay states the estimate was made with."""
    excluded_sensors: dict[Annotated[SensorKey, LAX_ENUM], Annotated[ExclusionReason, LAX_ENUM]]
    """Sensors left out of this estimate, and why."""

    def get(self, key: SensorKey) -> Reading:
        """Return the estimated value for sensor ``key``."""
        value: Reading = getattr(self, key.value)
        return value
