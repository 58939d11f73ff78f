"""The ``[hardware]`` section: validated here, without touching any device.

The daemon's settings keep ``[hardware]`` as a free-form table; this module is
what gives it meaning. Layout (``config/brain.toml`` is a complete example)::

    [hardware]
    read_timeout_s = 10      # one hung bus cannot stall a poll longer than this
    retry_initial_s = 30     # an absent device is reopened after 30 s, 60 s, 120 s, ...
    retry_max_s = 600        # ... and at least every 10 minutes

    [[hardware.sensors]]     # one table per device; `driver` picks the class (hardware.drivers.DRIVERS)
    driver = "sht31d"
    address = 0x44
    provides = ["air_temperature_c", "relative_humidity_pct"]

    [[hardware.relays]]      # one table per relay status line (read only, never driven)
    name = "heater"
    pin = 17
    active_high = true

Every problem becomes a :class:`~brain.errors.ConfigError` naming the dotted key
(``hardware.sensors[2].pin``) and the file, and the daemon exits 78 before it
starts. Beyond each table's own fields this checks what only the whole section
can show: unique names, one user per GPIO line and per I2C address, and a read
timeout long enough for the slowest healthy sensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brain.contracts import Identifier
from brain.errors import ConfigError, dotted_key
from hardware.drivers import DRIVERS, SensorSettings
from hardware.drivers.base import GpioPin
from hardware.retry import RetryPolicy

SECTION = "hardware"


class RelaySettings(BaseModel):
    """One ``[[hardware.relays]]`` table: a relay's status line on a GPIO input."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: Identifier
    """Device name written in ``DeviceStatusV1.devices`` (``heater``, ``vent_fan``, ...)."""
    pin: GpioPin
    """BCM number of the GPIO the status line is wired to."""
    active_high: bool = True
    """True when a high level means the relay is on; false for active-low (e.g. optocoupler) lines."""


class HardwareSection(BaseModel):
    """The ``[hardware]`` table itself; each sensor table is validated by its driver's model."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    read_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """Longest one sensor read may take before the poll reports it null (its thread is left to finish)."""
    retry_initial_s: float = Field(default=30.0, gt=0, le=3600)
    """First wait before reopening a device that failed; doubles after each further failure."""
    retry_max_s: float = Field(default=600.0, gt=0, le=86400)
    """Longest wait between two attempts to reopen a failed device."""
    sensors: list[dict[str, Any]] = Field(default_factory=list)
    """The ``[[hardware.sensors]]`` tables, validated by their driver's settings model."""
    relays: list[RelaySettings] = Field(default_factory=list)
    """The ``[[hardware.relays]]`` tables."""


@dataclass(frozen=True)
class HardwareConfig:
    """The validated section, ready for :func:`hardware.plugin.build_source`."""

    read_timeout_s: float
    retry: RetryPolicy
    sensors: tuple[SensorSettings, ...]
    relays: tuple[RelaySettings, ...]


def parse_section(section: Mapping[str, Any], *, config_file: Path | None) -> HardwareConfig:
    """Validate ``section`` (the ``[hardware]`` table); raise ``ConfigError`` on the first problem."""
    file = str(config_file) if config_file is not None else None
    try:
        top = HardwareSection.model_validate(dict(section))
    except ValidationError as exc:
        raise ConfigError.from_validation(exc, prefix=(SECTION,), file=file) from exc
    sensors = tuple(_parse_sensor(index, raw, file) for index, raw in enumerate(top.sensors))
    config = HardwareConfig(
        read_timeout_s=top.read_timeout_s,
        retry=RetryPolicy(initial_s=top.retry_initial_s, max_s=top.retry_max_s),
        sensors=sensors,
        relays=tuple(top.relays),
    )
    problem = _first_conflict(config)
    if problem is not None:
        key, message = problem
        raise ConfigError(f"invalid setting {key}: {message}{_from(file)}", key=key, file=file)
    return config


def _from(file: str | None) -> str:
    """``; from FILE``, or nothing when the section came from elsewhere: the caller names that origin."""
    return f"; from {file}" if file else ""


def _parse_sensor(index: int, raw: Mapping[str, Any], file: str | None) -> SensorSettings:
    where = (SECTION, "sensors", index)
    driver = raw.get("driver")
    if driver not in DRIVERS:
        key = dotted_key((*where, "driver"))
        known = ", ".join(sorted(DRIVERS))
        got = "missing" if driver is None else f"unknown driver {driver!r}"
        raise ConfigError(f"invalid setting {key}: {got} (known: {known}){_from(file)}", key=key, file=file)
    try:
        return DRIVERS[driver].settings_model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError.from_validation(exc, prefix=where, file=file) from exc


def _first_conflict(config: HardwareConfig) -> tuple[str, str] | None:
    """Return (dotted key, reason) of the first whole-section problem, or None."""
    if config.retry.max_s < config.retry.initial_s:
        return f"{SECTION}.retry_max_s", "must not be shorter than retry_initial_s"
    problems = chain(
        _duplicates("sensors", "name", [s.label for s in config.sensors]),
        _duplicates("relays", "name", [r.name for r in config.relays]),
        _duplicates("sensors", "address", [s.i2c_address for s in config.sensors], "I2C address"),
        _gpio_clashes(config),
        _too_short_timeout(config),
    )
    return next(problems, None)


def _duplicates(
    table: str, field: str, values: Sequence[object], what: str | None = None
) -> Iterator[tuple[str, str]]:
    seen: dict[object, int] = {}
    for index, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            shown = f"{value:#04x}" if isinstance(value, int) else repr(value)
            yield (
                f"{SECTION}.{table}[{index}].{field}",
                f"{what or field} {shown} is already used by {SECTION}.{table}[{seen[value]}]",
            )
        seen.setdefault(value, index)


def _gpio_clashes(config: HardwareConfig) -> Iterator[tuple[str, str]]:
    users: dict[int, str] = {}
    lines = [(f"{SECTION}.sensors[{i}].pin", s.gpio_pin) for i, s in enumerate(config.sensors)]
    lines += [(f"{SECTION}.relays[{i}].pin", r.pin) for i, r in enumerate(config.relays)]
    for key, pin in lines:
        if pin is None:
            continue
        if pin in users:
            yield key, f"GPIO{pin} is already used by {users[pin]}"
        users.setdefault(pin, key.rpartition(".")[0])


def _too_short_timeout(config: HardwareConfig) -> Iterator[tuple[str, str]]:
    for index, sensor in enumerate(config.sensors):
        needed = sensor.worst_case_read_s()
        if config.read_timeout_s <= needed:
            yield (
                f"{SECTION}.read_timeout_s",
                f"{config.read_timeout_s:g} s is too short for {SECTION}.sensors[{index}] "
                f"({sensor.label}), whose healthy read can take {needed:g} s",
            )
