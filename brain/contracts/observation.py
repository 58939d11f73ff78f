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

Schema ``1.1`` adds ``outside``: the weather outside the greenhouse where the site
logs it (an outside station, a climate computer's weather mast), which the advisor
reads (never venting for humidity into freezing air, closing the energy screen on
cold nights). It is context, not a sensor of the crop: the estimator does not judge
it and no state carries it. Absent means "not known" and is not written, so a 1.0
log read and written again is byte for byte the same; brain writes "1.1" only for
observations that carry it (docs/advisor.md, "Contracts")::

    {"schema_version": "1.1", "timestamp": "2024-11-02T06:00:00+00:00",
     "site_id": "osu2024-reference", "source": "replay",
     "sensors": {"air_temperature_c": 17.9, "relative_humidity_pct": 88.0,
                 "co2_ppm": 452.0, "par_umol_m2_s": null, "substrate_moisture_pct": null},
     "errors": {}, "outside": {"air_temperature_c": -2.5, "relative_humidity_pct": 91.0}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

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


OBSERVATION_SCHEMA_VERSION: Literal["1.1"] = "1.1"
"""The version of an observation that carries ``outside`` (observations without it stay "1.0")."""


class OutsideReadings(StrictModel):
    """The weather outside the greenhouse at the observation's time; ``None`` where the log has no value."""

    air_temperature_c: Reading
    """Outside air temperature, degrees Celsius."""
    relative_humidity_pct: Reading
    """Outside relative humidity, percent (0-100)."""


def _not_known(value: object) -> bool:
    return value is None


class ObservationV1(Contract):
    """One poll of all sensors at one instant (see the module docstring for an example)."""

    schema_version: Literal["1.0", "1.1"]  # type: ignore[assignment]  # a wider version set than Contract's
    """1.0: the greenhouse's sensors; 1.1: also ``outside``."""

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
    outside: OutsideReadings | None = Field(default=None, exclude_if=_not_known)
    """Since 1.1: the weather outside, where the site logs it; absent (not written) when unknown."""

    @field_validator("outside", mode="after")
    @classmethod
    def _outside_needs_1_1(
        cls, outside: OutsideReadings | None, info: ValidationInfo
    ) -> OutsideReadings | None:
        """Why: a 1.0 reader refuses the key; the version tells it why.

        A field validator, not a model validator: pydantic calls it only for an observation that
        has ``outside``, so the observations of a site without outside readings pay no Python call.
        """
        if outside is not None and info.data.get("schema_version") == "1.0":
            raise ValueError("outside needs schema_version 1.1")
        return outside
