"""PAR estimated from a BH1750 illuminance sensor on I2C, via ``adafruit-circuitpython-bh1750``.

The BH1750 measures illuminance (lux), weighted by the human eye's
sensitivity; plants count photons between 400 and 700 nm. The two are related
by a factor that depends on the light's spectrum, so it is a setting:
``lux_per_umol_m2_s`` (lux that correspond to 1 umol m-2 s-1 of PPFD).

Factors from Thimijan and Heins (1983), "Photometric, radiometric, and quantum
light units of measure: a review of procedures for interconversion",
HortScience 18:818-822, as tabulated by Apogee Instruments ("Conversion - PPFD
to Lux"): sunlight 54 (the default), high-pressure sodium 82, metal halide 71,
cool-white fluorescent 74. LED fixtures differ widely with their red/blue/white
mix: take the factor from the fixture's datasheet, or measure it once with a
quantum sensor under the lamps alone.

The BH1750 saturates: its 16-bit count divided by 1.2 (the datasheet's
counts per lux in high-resolution mode, the library's default) tops out at
54 612 lux, about 1 010 umol m-2 s-1 in sunlight. A sunny noon under clear
glass can exceed it; a flat PAR at that level is saturation, not weather.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field

from brain.contracts import SensorKey
from hardware.drivers.base import DriverBase, DriverContext, I2CAddressed, SensorSettings, checked
from hardware.drivers.i2c_device import I2CDevice
from hardware.i2c import I2CBus

SUNLIGHT_LUX_PER_UMOL = 54.0
"""Lux per umol m-2 s-1 of PPFD in sunlight (Thimijan and Heins 1983)."""
MAX_LUX = 65535.0
"""No BH1750 mode can report more: every mode divides its 16-bit count by 1.2 or more."""

_PAR = SensorKey.PAR_UMOL_M2_S


class LightSensor(Protocol):
    """The part of ``adafruit_bh1750.BH1750`` this driver uses."""

    @property
    def lux(self) -> float: ...  # noqa: D102


class BH1750PARSettings(I2CAddressed, SensorSettings):
    """``driver = "bh1750_par"``: a BH1750 whose lux are converted to PPFD."""

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset({_PAR})
    default_provides: ClassVar[tuple[SensorKey, ...]] = (_PAR,)

    driver: Literal["bh1750_par"]
    address: Literal[0x23, 0x5C] = 0x23
    """I2C address: 0x23 (ADDR low, default) or 0x5C (ADDR high)."""
    lux_per_umol_m2_s: float = Field(default=SUNLIGHT_LUX_PER_UMOL, gt=1, le=1000)
    """Lux that make 1 umol m-2 s-1 of PAR under this light (sunlight 54, HPS 82; see the module doc)."""


def open_bh1750(bus: I2CBus, address: int) -> Any:
    """Open the sensor through the Adafruit library (imported here: only the Pi has it)."""
    import adafruit_bh1750

    return adafruit_bh1750.BH1750(bus.get(), address=address)


class BH1750PARDriver(DriverBase[BH1750PARSettings]):
    """Reads lux once per poll and divides by the configured factor."""

    settings_model: ClassVar[type[SensorSettings]] = BH1750PARSettings

    def __init__(
        self,
        settings: BH1750PARSettings,
        context: DriverContext,
        *,
        open_device: Callable[[], LightSensor] | None = None,
    ) -> None:
        self._settings = settings
        self._device: I2CDevice[LightSensor] = I2CDevice(
            settings.label, open_device or (lambda: open_bh1750(context.i2c, settings.address)), context
        )

    def read(self) -> dict[SensorKey, float]:  # noqa: D102
        lux = checked(_PAR, self._device.transact(lambda sensor: sensor.lux), 0.0, MAX_LUX)
        return {_PAR: lux / self._settings.lux_per_umol_m2_s}

    def close(self) -> None:  # noqa: D102
        self._device.close()
