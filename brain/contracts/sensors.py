"""The five climate quantities brain knows, by the names growers read in its logs."""

from __future__ import annotations

from enum import StrEnum


class SensorKey(StrEnum):
    """One measured quantity; the unit is part of the name."""

    AIR_TEMPERATURE_C = "air_temperature_c"
    RELATIVE_HUMIDITY_PCT = "relative_humidity_pct"
    CO2_PPM = "co2_ppm"
    PAR_UMOL_M2_S = "par_umol_m2_s"
    SUBSTRATE_MOISTURE_PCT = "substrate_moisture_pct"


SENSOR_KEYS: tuple[SensorKey, ...] = tuple(SensorKey)
"""Every sensor key, in the order records list them."""
