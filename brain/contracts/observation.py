"""ObservationV1: one poll of every sensor, exactly as it was read.

Why every key is required: a reading that silently disappears from a record
looks like a healthy gap; a ``null`` says "read, and nothing came back", which
the estimator turns into lower confidence and disconnect detection.

Example payload (one JSON line of the ``observations`` stream)::

    {"schema_version": "1.0", "timestamp": "2026-06-01T12:00:00+00:00",
     "site_id": "greenhouse-1", "source": "synthetic",
     "sensors": {"air_temperature_c": 24.5, "relative_humidity_pct": 68.0,
                 "co2_ppm": 610.0, "par_umol_m2_s": 850.0,
                 "substrate_moisture_pct": null},
     "errors": {"substrate_moisture_pct": "ADS1115 at 0x48: no ACK"}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from brain.contracts._base import Contract, StrictModel
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.names import SensorKey
from brain.settings_types import Identifier

Reading = float | None
"""A sensor value in the unit its key names, or ``None`` when the read gave nothing."""


class ObservationSource(StrEnum):
    """Where an observation came from."""

    SYNTHETIC = "synthetic"
    REPLAY = "replay"
    HARDWARE = "hardware"


class SensorReadings(StrictModel):
    """One value per sensor key; every key must be present, ``null`` when unread."""

    air_temperature_c: Reading
    """Air temperature in the canopy, degrees Celsius."""
    relative_humidity_pct: Reading
    """Relative humidity of the canopy air, percent (0-100)."""
    co2_ppm: Reading
    """CO2 mole fraction, parts per million."""
    par_umol_m2_s: Reading
    """Photosynthetically active radiation, micromol photons per m2 per s."""
    substrate_moisture_pct: Reading
    """Volumetric water content of the substrate slab, percent."""

    def get(self, key: SensorKey) -> Reading:
        """Return the reading for ``key``."""
        value: Reading = getattr(self, key.value)
        return value


class ObservationV1(Contract):
    """One poll of all sensors at one instant (see the module docstring for an example)."""

    timestamp: Timestamp
    """When the sensors were read, ISO 8601 with UTC offset."""
    site_id: Identifier
    """Which greenhouse (or compartment) the sensors are in."""
    source: Annotated[ObservationSource, LAX_ENUM]
    """Which source produced the observation."""
    sensors: SensorReadings
    """The readings, one per sensor key."""
    errors: dict[Annotated[SensorKey, LAX_ENUM], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict
    )
    """Short read-error text per sensor whose read failed (its reading is then ``null``)."""
