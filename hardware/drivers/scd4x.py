"""SCD40/SCD41 CO2 (and optionally temperature, humidity) on I2C, via ``adafruit-circuitpython-scd4x``.

How it is driven: the library's constructor stops any running measurement;
this driver then sets automatic self-calibration and calls
``start_periodic_measurement()`` once per (re)initialisation, and the sensor
produces one sample every 5 s from then on.

The "not ready" choice: a poll reads only when ``data_ready`` says a *new*
sample is waiting; nothing is ever reused. When it is not ready, the poll
waits for it, checking every :data:`READY_CHECK_S`, for at most one
measurement period (:data:`MEASUREMENT_PERIOD_S`); with 60-s polls this only
happens on the first poll after (re)initialisation. If no sample comes in that
time the reading is ``null`` with "no new data", since a sensor that stopped
producing samples must show up as missing, not as a flat line.
(The library's ``CO2`` property would return its cached previous value
instead; that is why ``data_ready`` is checked first.)

Automatic self-calibration (ASC, the sensor's default) assumes the sensor sees
fresh air (about 400 ppm) at least once a week; in a greenhouse enriched with
CO2 day and night, turn it off and calibrate by hand (docs/deployment.md).
The ranges checked are the SCD4x's output range for CO2 (0 to 40 000 ppm) and
its operating range for temperature (-10 to 60 degC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, Protocol

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.base import ClimateSettings, DriverBase, DriverContext, SensorSettings, checked
from hardware.drivers.i2c_device import I2CDevice
from hardware.i2c import I2CBus

MEASUREMENT_PERIOD_S = 5.0
"""Periodic-mode sample interval of the SCD4x (Sensirion datasheet: 5 s)."""
READY_CHECK_S = 0.5
"""How often ``data_ready`` is asked while waiting for a sample."""
SCD4X_ADDRESS = 0x62
"""Fixed I2C address of every SCD4x."""

_CO2 = SensorKey.CO2_PPM
_RH = SensorKey.RELATIVE_HUMIDITY_PCT
_TEMP = SensorKey.AIR_TEMPERATURE_C


class SCD4XDevice(Protocol):
    """The part of ``adafruit_scd4x.SCD4X`` this driver uses."""

    @property
    def data_ready(self) -> bool: ...  # noqa: D102

    @property
    def CO2(self) -> int: ...  # noqa: D102, N802 (the library's name)

    @property
    def temperature(self) -> float: ...  # noqa: D102

    @property
    def relative_humidity(self) -> float: ...  # noqa: D102


class SCD4XSettings(ClimateSettings):
    """``driver = "scd4x"``: a Sensirion SCD40/SCD41 at the fixed address 0x62."""

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset({_CO2, _TEMP, _RH})
    default_provides: ClassVar[tuple[SensorKey, ...]] = (_CO2,)

    driver: Literal["scd4x"]
    self_calibration: bool = True
    """Automatic self-calibration; turn off where the air never returns to about 400 ppm in a week."""

    @property
    def where(self) -> str:  # noqa: D102
        return f"{SCD4X_ADDRESS:#04x}"

    @property
    def i2c_address(self) -> int | None:  # noqa: D102
        return SCD4X_ADDRESS

    def worst_case_read_s(self) -> float:
        """One measurement period of waiting for the first sample, plus the transfers."""
        return MEASUREMENT_PERIOD_S + 1.0


def open_scd4x(bus: I2CBus, self_calibration: bool) -> Any:
    """Open and start the sensor through the Adafruit library (imported here: only the Pi has it)."""
    import adafruit_scd4x

    device = adafruit_scd4x.SCD4X(bus.get())
    device.self_calibration_enabled = self_calibration
    device.start_periodic_measurement()
    return device


class SCD4XDriver(DriverBase[SCD4XSettings]):
    """Reads one fresh sample per poll, waiting at most one measurement period for it."""

    settings_model: ClassVar[type[SensorSettings]] = SCD4XSettings

    def __init__(
        self,
        settings: SCD4XSettings,
        context: DriverContext,
        *,
        open_device: Callable[[], SCD4XDevice] | None = None,
    ) -> None:
        self._settings = settings
        self._monotonic = context.monotonic
        self._sleep = context.sleep
        self._device: I2CDevice[SCD4XDevice] = I2CDevice(
            settings.label,
            open_device or (lambda: open_scd4x(context.i2c, settings.self_calibration)),
            context,
        )

    def read(self) -> dict[SensorKey, float]:
        """Wait for ``data_ready`` (bus released while waiting), then read the new sample."""
        deadline = self._monotonic() + MEASUREMENT_PERIOD_S
        while not self._device.transact(lambda dev: dev.data_ready):
            if self._monotonic() >= deadline:
                raise SensorReadError(
                    f"no new data within one measurement period ({MEASUREMENT_PERIOD_S:g} s)"
                )
            self._sleep(READY_CHECK_S)
        co2, temperature, humidity = self._device.transact(
            lambda dev: (dev.CO2, dev.temperature, dev.relative_humidity)
        )
        values = {_CO2: checked(_CO2, co2, 0.0, 40_000.0)}
        if _TEMP in self.keys or _RH in self.keys:
            values |= self._settings.calibrated(
                checked(_TEMP, temperature, -10.0, 60.0), checked(_RH, humidity, 0.0, 100.0)
            )
        return {key: values[key] for key in self.keys}

    def close(self) -> None:  # noqa: D102
        self._device.close()
