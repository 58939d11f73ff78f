"""Substrate moisture from a capacitive probe on one ADS1115 channel, via ``adafruit-circuitpython-ads1x15``.

The probe's output voltage falls as the substrate gets wetter (its capacitance
rises with the water's permittivity). brain maps the ADC's raw count to percent
with a two-point calibration taken on site: the raw count in dry substrate
(``dry_raw``, meaning ``dry_pct``) and in saturated substrate (``wet_raw``,
meaning ``wet_pct``), interpolated linearly in between. Outside the two points
the value is clamped to the nearer one: a probe drier than "dry" says nothing
more, and clamping keeps a bumped probe from reporting -8 %.

For a reading in volumetric water content (what ``substrate_moisture_pct``
means), take both points from substrate samples whose water content was
measured gravimetrically and put those contents in ``dry_pct``/``wet_pct``;
with the defaults (0 and 100) the value is "percent of the dry-to-wet span".
The ADC runs at the library's default gain of 1 (+/-4.096 V full scale, so
0-3.3 V reads as roughly 0-26 400 counts), which covers a probe powered from
3.3 V.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field, ValidationInfo, field_validator

from brain.contracts import SensorKey
from hardware.drivers.base import DriverBase, DriverContext, SensorSettings, checked, clamp
from hardware.drivers.i2c_device import I2CDevice
from hardware.i2c import I2CBus

_MOISTURE = SensorKey.SUBSTRATE_MOISTURE_PCT


class AnalogChannel(Protocol):
    """The part of ``adafruit_ads1x15.analog_in.AnalogIn`` this driver uses."""

    @property
    def value(self) -> int: ...  # noqa: D102


class ADS1115MoistureSettings(SensorSettings):
    """``driver = "ads1115_moisture"``: a capacitive probe on channel A0-A3 of an ADS1115."""

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset({_MOISTURE})
    default_provides: ClassVar[tuple[SensorKey, ...]] = (_MOISTURE,)

    driver: Literal["ads1115_moisture"]
    address: Literal[0x48, 0x49, 0x4A, 0x4B] = 0x48
    """ADS1115 address: 0x48 (ADDR to GND, default), 0x49 (VDD), 0x4A (SDA), 0x4B (SCL)."""
    channel: int = Field(ge=0, le=3)
    """Single-ended input the probe's signal is wired to (0 = A0)."""
    dry_raw: int = Field(ge=-32768, le=65535)
    """Raw count with the probe in dry substrate (calibration point 1)."""
    wet_raw: int = Field(ge=-32768, le=65535)
    """Raw count with the probe in saturated substrate (calibration point 2)."""
    dry_pct: float = Field(default=0.0, ge=0, le=100)
    """Moisture the dry point stands for."""
    wet_pct: float = Field(default=100.0, ge=0, le=100)
    """Moisture the wet point stands for."""

    @field_validator("wet_raw")
    @classmethod
    def _distinct_raw(cls, wet_raw: int, info: ValidationInfo) -> int:
        if wet_raw == info.data.get("dry_raw"):
            raise ValueError("must differ from dry_raw (two distinct calibration points)")
        return wet_raw

    @field_validator("wet_pct")
    @classmethod
    def _distinct_pct(cls, wet_pct: float, info: ValidationInfo) -> float:
        if wet_pct == info.data.get("dry_pct"):
            raise ValueError("must differ from dry_pct")
        return wet_pct

    @property
    def where(self) -> str:  # noqa: D102
        return f"{self.address:#04x}/A{self.channel}"

    @property
    def i2c_address(self) -> int | None:  # noqa: D102
        return self.address

    def moisture_pct(self, raw: float) -> float:
        """Map a raw count to percent through the two calibration points, clamped between them."""
        fraction = (raw - self.dry_raw) / (self.wet_raw - self.dry_raw)
        value = self.dry_pct + fraction * (self.wet_pct - self.dry_pct)
        return clamp(value, min(self.dry_pct, self.wet_pct), max(self.dry_pct, self.wet_pct))


def open_ads1115_channel(bus: I2CBus, address: int, channel: int) -> Any:
    """Open one single-ended channel through the Adafruit library (imported here: only the Pi has it)."""
    from adafruit_ads1x15.ads1115 import ADS1115
    from adafruit_ads1x15.analog_in import AnalogIn

    # The library's pin constants (P0..P3, later Pin.A0..A3) are the channel numbers 0..3.
    return AnalogIn(ADS1115(bus.get(), address=address), channel)


class ADS1115MoistureDriver(DriverBase[ADS1115MoistureSettings]):
    """Reads one raw count per poll and converts it with the configured calibration."""

    settings_model: ClassVar[type[SensorSettings]] = ADS1115MoistureSettings

    def __init__(
        self,
        settings: ADS1115MoistureSettings,
        context: DriverContext,
        *,
        open_device: Callable[[], AnalogChannel] | None = None,
    ) -> None:
        self._settings = settings
        self._device: I2CDevice[AnalogChannel] = I2CDevice(
            settings.label,
            open_device or (lambda: open_ads1115_channel(context.i2c, settings.address, settings.channel)),
            context,
        )

    def read(self) -> dict[SensorKey, float]:  # noqa: D102
        raw = checked(_MOISTURE, self._device.transact(lambda channel: channel.value), -32768.0, 65535.0)
        return {_MOISTURE: self._settings.moisture_pct(raw)}

    def close(self) -> None:  # noqa: D102
        self._device.close()
