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

    [devices]   # actuator columns, percent, imported as device status (DeviceStatusV1 1.1 positions)
    shade_roof = { column = "Shade Roof Current Timed Position (%)", kind = "shade_screen", invert = true }

An ``[outside]`` table maps the log's outside temperature and humidity columns
(ObservationV1 1.1 ``outside``), in the same form as ``[sensors]``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from brain.contracts import Identifier, SensorKey
from brain.errors import ConfigError
from brain.names import DeviceKind
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


OUTSIDE_KEYS: tuple[SensorKey, ...] = (SensorKey.AIR_TEMPERATURE_C, SensorKey.RELATIVE_HUMIDITY_PCT)
"""The outside readings a log can carry (:class:`brain.contracts.OutsideReadings`)."""


class DeviceColumn(BaseModel):
    """Where one device's position is in the CSV, in percent, and what kind of device it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    """Header name of the column (surrounding spaces ignored); values 0-100 %."""
    kind: DeviceKind
    """What the device does (:class:`brain.names.DeviceKind`); the advisor's settings take it from here."""
    invert: bool = False
    """The log counts the other way (Cornell's shade: 100 = retracted): position = 100 - value."""


def _check_units(sensors: dict[SensorKey, ColumnSpec]) -> dict[SensorKey, ColumnSpec]:
    for key, spec in sensors.items():
        unit = spec.unit or DEFAULT_UNIT[key]
        if unit not in UNITS:
            raise ValueError(f"{key.value}: unknown unit {unit!r}; known: {', '.join(UNITS)}")
        if key not in UNITS[unit][0]:
            raise ValueError(f"{key.value}: {unit!r} is not a unit of {key.value}")
    return sensors


class CsvMapping(BaseModel):
    """How to turn one logger's CSV rows into observations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    """Where the log comes from; shown by ``brain import-csv --help`` readers, not used."""
    site_id: Identifier
    """Site written into every observation (``--site-id`` overrides it)."""
    timezone: TimeZoneName = "UTC"
    """IANA zone of the logger's clock; local times are converted to UTC, DST included."""
    latitude: Annotated[float, Field(ge=-90.0, le=90.0)] | None = None
    """Where the site is, degrees north; kept in the sidecar for the replay's sunrise and sunset."""
    longitude: Annotated[float, Field(ge=-180.0, le=180.0)] | None = Field(
        default=None, validate_default=True
    )
    """Degrees east (west negative); set with ``latitude``."""
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
    outside: dict[SensorKey, ColumnSpec] = Field(default_factory=dict)
    """Outside temperature and humidity columns (:data:`OUTSIDE_KEYS`); none: observations stay 1.0."""
    devices: dict[Identifier, DeviceColumn] = Field(default_factory=dict)
    """Device name -> its position column; none: no device status is written."""

    @field_validator("longitude")
    @classmethod
    def _place_is_whole(cls, longitude: float | None, info: ValidationInfo) -> float | None:
        """Why: a latitude without a longitude would put sunrise at the wrong hour, silently."""
        if "latitude" in info.data and (info.data["latitude"] is None) != (longitude is None):
            raise ValueError("latitude and longitude go together: set both or neither")
        return longitude

    @field_validator("sensors")
    @classmethod
    def _units_fit_sensors(cls, sensors: dict[SensorKey, ColumnSpec]) -> dict[SensorKey, ColumnSpec]:
        return _check_units(sensors)

    @field_validator("outside")
    @classmethod
    def _outside_keys(cls, outside: dict[SensorKey, ColumnSpec]) -> dict[SensorKey, ColumnSpec]:
        for key in outside:
            if key not in OUTSIDE_KEYS:
                raise ValueError(f"{key.value}: not an outside reading; known: {', '.join(OUTSIDE_KEYS)}")
        return _check_units(outside)

    def converter(self, key: SensorKey, *, outside: bool = False) -> Converter:
        """The conversion of ``key``'s column (an outside one with ``outside``) to the unit the key names."""
        spec = (self.outside if outside else self.sensors)[key]
        return UNITS[spec.unit or DEFAULT_UNIT[key]][1]

    def device_kinds(self) -> dict[str, DeviceKind]:
        """Device name -> kind, as the advisor's settings want them (``[advisor.devices]``)."""
        return {name: column.kind for name, column in self.devices.items()}


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
