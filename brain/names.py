"""The names brain's records use: streams, sensors, severities, anomaly kinds and metrics, health statuses.

Why a module of plain enums, apart from the record models of :mod:`brain.contracts`
(which use these and re-export them): a process that only moves records along
(``brain uplink``) reads lines as JSON and needs the names, not the models, and
importing ``brain.contracts`` builds all six pydantic models (docs/performance.md,
the uplink's memory budget). Standard library only, so importing it costs nothing.
"""

from __future__ import annotations

from enum import StrEnum

STREAM_NAMES: tuple[str, ...] = (
    "observations",
    "device_status",
    "state",
    "anomalies",
    "sensor_health",
    "actions",
)
"""Every stream (the JSONL file stem), in the order brain lists them; :data:`brain.contracts.STREAMS`
maps each to the contract its lines hold."""


class SensorKey(StrEnum):
    """One measured quantity; the unit is part of the name."""

    AIR_TEMPERATURE_C = "air_temperature_c"
    RELATIVE_HUMIDITY_PCT = "relative_humidity_pct"
    CO2_PPM = "co2_ppm"
    PAR_UMOL_M2_S = "par_umol_m2_s"
    SUBSTRATE_MOISTURE_PCT = "substrate_moisture_pct"


SENSOR_KEYS: tuple[SensorKey, ...] = tuple(SensorKey)
"""Every sensor key, in the order records list them."""


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
    TEMPERATURE_MEAN_LOW = "temperature_mean_low"
    """Since schema 1.2."""


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


SEVERITY_RANK: dict[Severity, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
"""Order of severities, least urgent first: the worse of two is the one of higher rank."""


class HealthStatus(StrEnum):
    """How far a sensor is trusted."""

    OK = "ok"
    DEGRADED = "degraded"
    FAULTY = "faulty"


class DeviceKind(StrEnum):
    """What a device does for the climate: the advisor's table of kinds (docs/advisor.md, "Device kinds").

    Why here and not in the advisor: a CSV mapping and a settings file name the kind of each
    device too, and neither should import the advisor's rules to do so.
    """

    HEATING = "heating"
    VENTILATION = "ventilation"
    """Roof or side vents and exhaust fans: whatever lets outside air in."""
    COOLING = "cooling"
    """Pad-and-fan or fogging: evaporative cooling."""
    ENERGY_SCREEN = "energy_screen"
    """A thermal (energy) screen, closed on cold nights."""
    SHADE_SCREEN = "shade_screen"
    """A shade or blackout screen."""
    CO2_DOSING = "co2_dosing"
    LAMPS = "lamps"
    IRRIGATION = "irrigation"
    CIRCULATION = "circulation"
    """Horizontal air-flow fans inside the house."""


DEFAULT_DEVICE_KINDS: dict[str, DeviceKind] = {
    "heater": DeviceKind.HEATING,
    "vent_fan": DeviceKind.VENTILATION,
    "circulation_fan": DeviceKind.CIRCULATION,
    "irrigation_pump": DeviceKind.IRRIGATION,
    "misting": DeviceKind.COOLING,
    "grow_lights": DeviceKind.LAMPS,
    "co2_valve": DeviceKind.CO2_DOSING,
}
"""The kinds of the relays brain names when the configuration names none (``misting`` is fogging), in
the order of :data:`brain.contracts.DEFAULT_DEVICES` (a test keeps them so). Here rather than in the
advisor's settings so that ``brain uplink`` knows them without importing the record models."""
