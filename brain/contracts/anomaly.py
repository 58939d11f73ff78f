"""AnomalyV1: a climate episode a grower should know about.

``(kind, started_at)`` identifies the episode; its records, in order:

- one **start** (``ended_at`` null): the first record of that ``(kind, started_at)``;
- since schema ``1.1``, zero or more **severity changes** (``ended_at`` null, a later
  record of the same ``(kind, started_at)``, the new ``severity``; the message says
  "Escalated to ..." or "Eased to ..."). Schema ``1.0`` logs told an escalation as
  the end of one episode and the start of another at the same instant;
- one **end** (``ended_at`` set; since ``1.1`` its severity is the worst the
  episode reached).

Readers pair records by ``(kind, started_at)``; the rule above reads 1.0 and 1.1
logs alike. Schema ``1.1`` also adds kinds and metrics (docs/anomaly_thresholds.md),
which a 1.0 reader would refuse: the version tells it why.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-07-14T13:20:00+00:00",
     "site_id": "greenhouse-1", "severity": "warning",
     "kind": "temperature_high", "metric": "air_temperature_c",
     "observed_value": 31.2, "threshold": 30.0,
     "started_at": "2026-07-14T13:20:00+00:00", "ended_at": null,
     "message": "Air temperature 31.2 C above 30.0 C for 20 min: pollen viability falls."}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from brain.contracts._base import Contract
from brain.contracts.types import LAX_ENUM, Identifier, Timestamp


class Severity(StrEnum):
    """How urgently a grower should look."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AnomalyKind(StrEnum):
    """What went wrong, in machine-readable form (thresholds in docs/anomaly_thresholds.md)."""

    TEMPERATURE_HIGH = "temperature_high"
    TEMPERATURE_LOW = "temperature_low"
    HUMIDITY_HIGH = "humidity_high"
    VPD_LOW = "vpd_low"
    VPD_HIGH = "vpd_high"
    CONDENSATION_RISK = "condensation_risk"
    CO2_LOW = "co2_low"
    CO2_HIGH = "co2_high"
    SUBSTRATE_DRY = "substrate_dry"
    WARM_NIGHT = "warm_night"
    """Since schema 1.1, like every kind below."""
    TEMPERATURE_MEAN_HIGH = "temperature_mean_high"
    LIGHT_INTEGRAL_LOW = "light_integral_low"
    CO2_ENRICHMENT_IN_DARK = "co2_enrichment_in_dark"


class Metric(StrEnum):
    """The quantity an anomaly was judged on."""

    AIR_TEMPERATURE_C = "air_temperature_c"
    RELATIVE_HUMIDITY_PCT = "relative_humidity_pct"
    CO2_PPM = "co2_ppm"
    PAR_UMOL_M2_S = "par_umol_m2_s"
    SUBSTRATE_MOISTURE_PCT = "substrate_moisture_pct"
    VPD_KPA = "vpd_kpa"
    DEW_POINT_MARGIN_C = "dew_point_margin_c"
    NIGHT_MEAN_AIR_TEMPERATURE_C = "night_mean_air_temperature_c"
    """Since schema 1.1: the mean air temperature of the local night (22:00-06:00) so far."""
    MEAN_24H_AIR_TEMPERATURE_C = "mean_24h_air_temperature_c"
    """Since schema 1.1: the mean air temperature of the last 24 hours."""
    DAILY_LIGHT_INTEGRAL_MOL_M2_D = "daily_light_integral_mol_m2_d"
    """Since schema 1.1: PAR summed over a local day, mol m-2 d-1."""


ANOMALY_SCHEMA_VERSION: Literal["1.1"] = "1.1"
"""The version brain writes anomaly records in (it reads 1.0 too; module docstring)."""


class AnomalyV1(Contract):
    """A start, severity change or end of an anomaly episode (example in the module docstring)."""

    schema_version: Literal["1.0", "1.1"]  # type: ignore[assignment]  # a wider version set than Contract's
    """1.0: an escalation is an end and a new start; 1.1: a record of its own, and new kinds."""
    timestamp: Timestamp
    """Time of the observation that revealed the start or the end."""
    site_id: Identifier
    """Which greenhouse."""
    severity: Annotated[Severity, LAX_ENUM]
    """How urgent."""
    kind: Annotated[AnomalyKind, LAX_ENUM]
    """What kind of anomaly."""
    metric: Annotated[Metric, LAX_ENUM]
    """Which quantity crossed its threshold."""
    observed_value: float
    """The metric's value at ``timestamp``."""
    threshold: float
    """The threshold it was compared with, in the metric's unit."""
    started_at: Timestamp
    """When the episode began (the first observation past the threshold)."""
    ended_at: Timestamp | None
    """When it ended; ``None`` while it lasts."""
    message: Annotated[str, Field(min_length=1, max_length=500)]
    """One sentence for the grower: what, how much, why it matters."""

    @model_validator(mode="after")
    def _episode_times_are_ordered(self) -> AnomalyV1:
        """Why: an end before its start is a bug upstream, never a real episode."""
        if self.started_at > self.timestamp:
            raise ValueError("started_at must not be after timestamp")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        return self
