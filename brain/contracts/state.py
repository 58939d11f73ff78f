"""StateV1: brain's estimate of the canopy climate at one instant.

The device status it was estimated with travels inside the record, so a state
line alone tells an analyst what the greenhouse was doing at the time.

Schema ``1.1`` (issue 28) adds the grower's-day figures as optional fields: the last
whole day's light integral, the last whole night's mean and the 24-hour mean air
temperature. A 1.0 line has none of them and reads unchanged (they are ``None``).

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
from typing import Annotated, Literal

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


STATE_SCHEMA_VERSION: Literal["1.1"] = "1.1"
"""The version brain writes state records in; 1.0 lines (without the daily figures) read unchanged."""


class StateV1(Contract):
    """The estimated climate at one instant (example in the module docstring)."""

    schema_version: Literal["1.0", "1.1"]  # type: ignore[assignment]  # a wider version set than Contract's
    """1.0; 1.1 adds the optional daily figures (the last three fields), ``None`` in a 1.0 line."""
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
    daily_light_integral_mol_m2_d: Annotated[float, Field(ge=0)] | None = None
    """Since 1.1: the last whole local day's light integral, mol/m2/d (``None``: no PAR, or not enough)."""
    night_mean_air_temperature_c: float | None = None
    """Since 1.1: the last whole night's mean air temperature (sunset to sunrise at the site, else
    22:00-06:00 local), degrees Celsius."""
    mean_24h_air_temperature_c: float | None = None
    """Since 1.1: the mean air temperature of the last 24 hours, degrees Celsius."""

    def get(self, key: SensorKey) -> Reading:
        """Return the estimated value for sensor ``key``."""
        value: Reading = getattr(self, key.value)
        return value
