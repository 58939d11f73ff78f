"""The TOML column mapping that tells ``brain import-csv`` how to read another logger's CSV.

Why a data file per logger and not code: every logger names its columns, units,
clock and missing values differently; a mapping of a dozen lines captures that,
is reviewed like configuration, and ships with brain for the field logs we know.

Example (``brain/sources/csv/mappings/cornell2020.toml``)::

    site_id = "cornell-co2lassi"
    timezone = "America/New_York"
    timestamp_column = "Date"
    timestamp_format = "%m/%d/%Y %H:%M"
    missing_values = ["", "NaN"]

    [sensors]
    air_temperature_c = { column = "Temp (F)", unit = "degF" }
    relative_humidity_pct = { column = "RH (%)" }
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brain.contracts import Identifier, SensorKey
from brain.errors import ConfigError
from brain.timezones import TimeZoneName
from brain.toml_file import read_toml

EXCEL_SERIAL = "excel_serial"
"""``timestamp_format`` for day numbers (days since 1899-12-30; 43862.00347 is 2020-02-01 00:05)."""

Converter = Callable[[float], float]


def _identity(value: float) -> float:
    return value


UNITS: dict[str, tuple[frozenset[SensorKey], Converter]] = {
    "degC": (frozenset({SensorKey.AIR_TEMPERATURE_C}), _identity),
    "degF": (frozenset({SensorKey.AIR_TEMPERATURE_C}), lambda f: (f - 32.0) * 5.0 / 9.0),
    "K": (frozenset({SensorKey.AIR_TEMPERATURE_C}), lambda k: k - 273.15),
    "percent": (frozenset({SensorKey.RELATIVE_HUMIDITY_PCT, SensorKey.SUBSTRATE_MOISTURE_PCT}), _identity),
    "fraction": (
        frozenset({SensorKey.RELATIVE_HUMIDITY_PCT, SensorKey.SUBSTRATE_MOISTURE_PCT}),
        lambda x: x * 100.0,
    ),
    "ppm": (frozenset({SensorKey.CO2_PPM}), _identity),
    "umol_m2_s": (frozenset({SensorKey.PAR_UMOL_M2_S}), _identity),
}
"""Unit name -> (the sensors it may describe, conversion to the unit the sensor key names)."""

DEFAULT_UNIT: dict[SensorKey, str] = {
    SensorKey.AIR_TEMPERATURE_C: "degC",
    SensorKey.RELATIVE_HUMIDITY_PCT: "percent",
    SensorKey.CO2_PPM: "ppm",
    SensorKey.PAR_UMOL_M2_S: "umol_m2_s",
    SensorKey.SUBSTRATE_MOISTURE_PCT: "percent",
}

_MAPPINGS_PACKAGE = "brain.sources.csv"
_MAPPINGS_DIR = "mappings"


class ColumnSpec(BaseModel):
    """Where one sensor's values are in the CSV and in which unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    """Header name of the column (surrounding spaces ignored)."""
    unit: str | None = None
    """One of :data:`UNITS`; omitted means the unit the sensor key names."""


class CsvMapping(BaseModel):
    """How to turn one logger's CSV rows into observations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    """Where the log comes from; shown by ``brain import-csv --help`` readers, not used."""
    site_id: Identifier
    """Site written into every observation (``--site-id`` overrides it)."""
    timezone: TimeZoneName = "UTC"
    """IANA zone of the logger's clock; local times are converted to UTC, DST included."""
    timestamp_column: str
    """Header of the time column; ``""`` for a column without a name."""
    timestamp_format: str
    """A ``strptime`` format, or ``excel_serial``."""
    missing_values: list[str] = Field(default_factory=lambda: ["", "NaN"])
    """Cell texts that mean "no value" (compared after stripping spaces)."""
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    """Field separator."""
    sensors: dict[SensorKey, ColumnSpec]
    """Sensor key -> its column; sensors not listed are written as null, "not in source log"."""

    @field_validator("sensors")
    @classmethod
    def _units_fit_sensors(cls, sensors: dict[SensorKey, ColumnSpec]) -> dict[SensorKey, ColumnSpec]:
        for key, spec in sensors.items():
            unit = spec.unit or DEFAULT_UNIT[key]
            if unit not in UNITS:
                raise ValueError(f"{key.value}: unknown unit {unit!r}; known: {', '.join(UNITS)}")
            if key not in UNITS[unit][0]:
                raise ValueError(f"{key.value}: {unit!r} is not a unit of {key.value}")
        return sensors

    def converter(self, key: SensorKey) -> Converter:
        """The conversion of ``key``'s column to the unit the key names."""
        spec = self.sensors[key]
        return UNITS[spec.unit or DEFAULT_UNIT[key]][1]


def shipped_mappings() -> list[str]:
    """Names of the mappings packaged with brain (``brain import-csv --mapping NAME``)."""
    folder = resources.files(_MAPPINGS_PACKAGE).joinpath(_MAPPINGS_DIR)
    return sorted(
        entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml")
    )


def load_mapping(name_or_path: str) -> CsvMapping:
    """Load a shipped mapping by name, or a mapping file by path; ``ConfigError`` naming key and file."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = Path(name_or_path)
        return _validate(read_toml(path, what="mapping"), str(path))
    shipped = shipped_mappings()
    if name_or_path not in shipped:
        raise ConfigError(
            f"no shipped mapping {name_or_path!r}; shipped: {', '.join(shipped)} (or give a .toml path)",
            key="mapping",
        )
    entry = resources.files(_MAPPINGS_PACKAGE).joinpath(_MAPPINGS_DIR, f"{name_or_path}.toml")
    origin = f"{name_or_path}.toml (shipped)"
    return _validate(read_toml(entry, what="mapping", origin=origin), origin)


def _validate(data: dict[str, Any], origin: str) -> CsvMapping:
    try:
        return CsvMapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(exc, file=origin) from exc
