"""What every sensor driver is: the protocol, its settings and what it is given to run.

A driver reads one or more :class:`~brain.contracts.SensorKey` quantities from
one device and returns them, or raises one :class:`~brain.errors.SensorReadError`
whose text says why (it ends up in ``ObservationV1.errors``). Drivers are thin
adapters over the Adafruit libraries; each takes an ``open_device`` callable,
the injection point where tests hand in a fake with the library's attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, field_validator

from brain.contracts import Identifier, SensorKey
from brain.errors import SensorReadError
from hardware.errors import OutOfRangeError
from hardware.i2c import I2CBus
from hardware.retry import RetryPolicy

RESERVED_GPIO: Mapping[int, str] = {
    0: "ID_SD (HAT EEPROM)",
    1: "ID_SC (HAT EEPROM)",
    2: "SDA of I2C bus 1",
    3: "SCL of I2C bus 1",
}
"""BCM pins a sensor or relay line must not use, with what they are for."""


def _free_gpio(pin: int) -> int:
    if pin in RESERVED_GPIO:
        raise ValueError(f"GPIO{pin} is reserved for {RESERVED_GPIO[pin]}")
    return pin


GpioPin = Annotated[int, Field(ge=0, le=27), AfterValidator(_free_gpio)]
"""A BCM GPIO number on the 40-pin header (GPIO4 to GPIO27; 0-3 are taken)."""


class SensorSettings(BaseModel):
    """One ``[[hardware.sensors]]`` table; each driver narrows ``driver`` and adds its own fields."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset()
    """Every key this kind of device can measure."""
    default_provides: ClassVar[tuple[SensorKey, ...]] = ()
    """Keys taken from it when the table has no ``provides``."""

    driver: str
    """Name of the driver in ``hardware.drivers.DRIVERS``."""
    name: Identifier | None = None
    """Label in logs and error texts; defaults to ``<driver>@<pin or address>``."""
    provides: list[Annotated[SensorKey, Strict(False)]] | None = None
    """Keys this sensor reports, a subset of what it can measure; the first listed sensor wins a key."""

    @field_validator("provides")
    @classmethod
    def _provides_what_it_can(cls, wanted: list[SensorKey] | None) -> list[SensorKey] | None:
        if wanted is None:
            return None
        if not wanted:
            raise ValueError("must name at least one sensor key")
        if len(set(wanted)) != len(wanted):
            raise ValueError("lists a key twice")
        cannot = [key.value for key in wanted if key not in cls.can_provide]
        if cannot:
            able = ", ".join(sorted(key.value for key in cls.can_provide))
            raise ValueError(f"this driver cannot measure {', '.join(cannot)} (it measures {able})")
        return wanted

    @property
    def keys(self) -> tuple[SensorKey, ...]:
        """The keys this sensor reports, in the order given."""
        return tuple(self.provides) if self.provides is not None else self.default_provides

    @property
    def where(self) -> str:
        """Where the device is wired (``GPIO4``, ``0x44``); part of the default label."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """Name used in logs and error texts."""
        return self.name or f"{self.driver}@{self.where}"

    @property
    def gpio_pin(self) -> int | None:
        """The GPIO line it uses, if any (checked for clashes with relays and other sensors)."""
        return None

    @property
    def i2c_address(self) -> int | None:
        """The I2C address it answers at, if any (checked for clashes on the bus)."""
        return None

    def worst_case_read_s(self) -> float:
        """Longest a healthy read may take; ``hardware.read_timeout_s`` must exceed it."""
        return 1.0


class ClimateSettings(SensorSettings):
    """Settings of a sensor that measures air temperature and humidity: calibration offsets."""

    temperature_offset_c: float = Field(default=0.0, ge=-10, le=10)
    """Added to every temperature (calibration against a reference thermometer)."""
    humidity_offset_pct: float = Field(default=0.0, ge=-20, le=20)
    """Added to every humidity, then clamped to 0-100 % (calibration against a reference)."""

    def calibrated(self, temperature_c: float, humidity_pct: float) -> dict[SensorKey, float]:
        """Apply the offsets; return the keys this sensor provides."""
        values = {
            SensorKey.AIR_TEMPERATURE_C: temperature_c + self.temperature_offset_c,
            SensorKey.RELATIVE_HUMIDITY_PCT: clamp(humidity_pct + self.humidity_offset_pct, 0.0, 100.0),
        }
        return {key: values[key] for key in self.keys if key in values}


class _Addressed(Protocol):
    @property
    def address(self) -> int: ...


class I2CAddressed:
    """Mixin for the settings of a device found by its I2C address alone: that address says where it is."""

    @property
    def where(self: _Addressed) -> str:
        """The address, as the datasheet writes it (``0x44``)."""
        return f"{self.address:#04x}"

    @property
    def i2c_address(self: _Addressed) -> int | None:
        """The address, checked for clashes on the bus."""
        return self.address


@dataclass(frozen=True)
class DriverContext:
    """What the hardware source hands every driver it builds."""

    i2c: I2CBus
    retry: RetryPolicy
    monotonic: Callable[[], float]
    """Seconds from a monotonic clock; injected so tests control time."""
    sleep: Callable[[float], None]
    """Blocking wait in seconds; injected so tests take no wall time."""


class SensorDriver(Protocol):
    """A configured sensor the hardware source reads once per poll."""

    @property
    def label(self) -> str:
        """Name in logs and error texts (unique in a configuration)."""
        ...

    @property
    def keys(self) -> tuple[SensorKey, ...]:
        """Keys this driver reports."""
        ...

    def read(self) -> dict[SensorKey, float]:
        """Read the device once; return a finite value per key or raise ``SensorReadError``."""
        ...

    def close(self) -> None:
        """Release pins and handles; idempotent."""
        ...


S = TypeVar("S", bound=SensorSettings)


class DriverBase(Generic[S]):
    """What every driver takes from its settings: its label and the keys it reports."""

    _settings: S

    @property
    def label(self) -> str:
        """Name in logs and error texts (unique in a configuration)."""
        return self._settings.label

    @property
    def keys(self) -> tuple[SensorKey, ...]:
        """Keys this driver reports."""
        return self._settings.keys


class DriverClass(Protocol):
    """A driver class as the registry holds it: its settings model and its constructor."""

    @property
    def settings_model(self) -> type[SensorSettings]:
        """The pydantic model of its ``[[hardware.sensors]]`` table."""
        ...

    def __call__(self, settings: Any, context: DriverContext) -> SensorDriver:
        """Build the driver; never touches the device (that happens on the first read)."""
        ...


def checked(key: SensorKey, value: Any, low: float, high: float) -> float:
    """Return ``value`` as a float if it is a finite number within the device's measuring range.

    The ranges are the datasheets' measuring ranges: a value outside one is a
    garbled transfer, not weather, and is reported as an error rather than stored.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SensorReadError(f"{key.value}: no value returned (got {value!r})")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise OutOfRangeError(f"{key.value}: {number!r} is outside the measuring range {low:g} to {high:g}")
    return number


def clamp(value: float, low: float, high: float) -> float:
    """Limit ``value`` to ``[low, high]`` (after an offset a humidity may pass 100 %)."""
    return min(max(value, low), high)
