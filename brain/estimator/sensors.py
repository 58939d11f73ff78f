"""The sensor kinds the estimator judges, in one table.

Why a table: every per-sensor step of the estimator (health, trust, the state's
values, history) loops over it, so a new kind of sensor is one entry here plus
its thresholds in ``thresholds.toml`` (``[health.<key>]`` and
``[confidence.weights]``) and its key in :class:`brain.contracts.SensorKey`.

The order is the order of judgement: PAR comes first because whether it is
daylight is context for the other sensors' stuck rule, and temperature comes
before humidity, whose jumps are judged on the dew point it makes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from brain.contracts import SensorKey


@dataclass(frozen=True, kw_only=True)
class SensorKind:
    """What the estimator needs to know about one kind of sensor beyond its thresholds."""

    key: SensorKey
    colocated: SensorKey | None = None
    """The quantity measured beside it that moves when the air changes: while it moves and
    this one stays flat, this one is stuck (``stuck_colocated_s``)."""
    jump_on_dew_point: bool = False
    """Judge its jumps on the dew point it makes with the air temperature (humidity: air
    exchange swings RH while the water in the air hardly moves); its jump limits are in degC."""


SENSOR_KINDS: tuple[SensorKind, ...] = (
    SensorKind(key=SensorKey.PAR_UMOL_M2_S),
    SensorKind(key=SensorKey.AIR_TEMPERATURE_C, colocated=SensorKey.RELATIVE_HUMIDITY_PCT),
    SensorKind(
        key=SensorKey.RELATIVE_HUMIDITY_PCT, colocated=SensorKey.AIR_TEMPERATURE_C, jump_on_dew_point=True
    ),
    SensorKind(key=SensorKey.CO2_PPM),
    SensorKind(key=SensorKey.SUBSTRATE_MOISTURE_PCT),
)
"""Every sensor kind, in the order they are judged (PAR first: daylight is context)."""
