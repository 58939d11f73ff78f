"""SHT31-D air temperature and humidity on I2C, via ``adafruit-circuitpython-sht31d``.

The library's default single-shot mode measures on each property read, so a
poll costs two short conversions and never returns a cached value. The ranges
checked are the datasheet's (-40 to 125 degC, 0 to 100 %RH). The address is
0x44, or 0x45 with the ADR pin pulled high.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, Protocol

from brain.contracts import SensorKey
from hardware.drivers.base import (
    ClimateSettings,
    DriverBase,
    DriverContext,
    I2CAddressed,
    SensorSettings,
    checked,
)
from hardware.drivers.i2c_device import I2CDevice
from hardware.i2c import I2CBus

_RH = SensorKey.RELATIVE_HUMIDITY_PCT
_TEMP = SensorKey.AIR_TEMPERATURE_C


class SHT31DDevice(Protocol):
    """The part of ``adafruit_sht31d.SHT31D`` this driver uses."""

    @property
    def temperature(self) -> float: ...  # noqa: D102

    @property
    def relative_humidity(self) -> float: ...  # noqa: D102


class SHT31DSettings(I2CAddressed, ClimateSettings):
    """``driver = "sht31d"``: a Sensirion SHT31-D breakout on I2C bus 1."""

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset({_TEMP, _RH})
    default_provides: ClassVar[tuple[SensorKey, ...]] = (_TEMP, _RH)

    driver: Literal["sht31d"]
    address: Literal[0x44, 0x45] = 0x44
    """I2C address: 0x44 (default) or 0x45 (ADR high)."""


def open_sht31d(bus: I2CBus, address: int) -> Any:
    """Open the sensor through the Adafruit library (imported here: only the Pi has it)."""
    import adafruit_sht31d

    return adafruit_sht31d.SHT31D(bus.get(), address=address)


class SHT31DDriver(DriverBase[SHT31DSettings]):
    """Reads temperature and humidity once per poll."""

    settings_model: ClassVar[type[SensorSettings]] = SHT31DSettings

    def __init__(
        self,
        settings: SHT31DSettings,
        context: DriverContext,
        *,
        open_device: Callable[[], SHT31DDevice] | None = None,
    ) -> None:
        self._settings = settings
        self._device: I2CDevice[SHT31DDevice] = I2CDevice(
            settings.label, open_device or (lambda: open_sht31d(context.i2c, settings.address)), context
        )

    def read(self) -> dict[SensorKey, float]:  # noqa: D102
        temperature, humidity = self._device.transact(lambda dev: (dev.temperature, dev.relative_humidity))
        return self._settings.calibrated(
            checked(_TEMP, temperature, -40.0, 125.0), checked(_RH, humidity, 0.0, 100.0)
        )

    def close(self) -> None:  # noqa: D102
        self._device.close()
