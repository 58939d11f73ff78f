"""The advisor's settings: the site's devices and their kinds, where the site is, and the set points.

The ``[advisor]`` section of brain's settings (``docs/advisor.md`` lists every key with
its source). Why settings per site and not constants: a Dutch glasshouse, an Ohio
Venlo house and a hobby tunnel share the crop's needs but not their equipment or
weather; the defaults are the crop's (``../shared/reference/tomato_climate.md``) and
a published climate computer's (GreenLight, Katzin et al. 2020, Biosystems Engineering
194:61-81, whose controller rules and defaults are in ``setGlParams.m``).

A device of a kind brain does not know is a configuration error naming the key
(``advisor.devices.vent_lee``: exit 78), never a guess.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from brain.contracts import Identifier
from brain.names import DEFAULT_DEVICE_KINDS, DeviceKind
from brain.settings_core import AdvisorDevices

_Celsius = Annotated[float, Field(strict=False, ge=-50.0, le=60.0, allow_inf_nan=False)]
_Kelvin = Annotated[float, Field(strict=False, ge=0.0, le=20.0, allow_inf_nan=False)]
_Percent = Annotated[float, Field(strict=False, ge=0.0, le=100.0, allow_inf_nan=False)]
_Ppm = Annotated[float, Field(strict=False, ge=0.0, le=5000.0, allow_inf_nan=False)]
_Kpa = Annotated[float, Field(strict=False, ge=0.0, le=10.0, allow_inf_nan=False)]
_Par = Annotated[float, Field(strict=False, ge=0.0, le=3000.0, allow_inf_nan=False)]
_Hour = Annotated[float, Field(strict=False, ge=0.0, le=24.0, allow_inf_nan=False)]
_Seconds = Annotated[float, Field(strict=False, ge=0.0, le=86_400.0, allow_inf_nan=False)]


class Setpoints(BaseModel):
    """Set points and bands; each default's source is in docs/advisor.md, "Set points"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    heating_day_c: _Celsius = 19.5
    """Heat below this by day (GreenLight ``tSpDay``)."""
    heating_night_c: _Celsius = 16.5
    """Heat below this at night (GreenLight ``tSpNight``; OMAFRA's night optimum 16-18 °C)."""
    heating_hysteresis_k: _Kelvin = 0.5
    """Heating stops this far above its set point."""
    heating_band_k: _Kelvin = 1.0
    """The first heating position: proportional over this band below the stop (GreenLight ``tHeatBand``)."""
    heating_gain_pct_per_k: Annotated[float, Field(ge=0.0, le=1000.0)] = 3.0
    """Then the position moves this many percent per kelvin of error (proportional-integral)."""
    heating_integral_s: Annotated[float, Field(gt=0.0, le=86_400.0)] = 600.0
    """... and the error's integral over this many seconds adds as much again (the integral time)."""
    ventilation_above_heating_k: _Kelvin = 2.0
    """The ventilation line: this far above the heating set point (Dutch practice 2-5 K)."""
    ventilation_band_k: _Kelvin = 4.0
    """Vents open from a crack to fully over this band above the line (GreenLight ``ventHeatPband``)."""
    ventilation_hysteresis_k: _Kelvin = 0.5
    """Vents close this far below the line."""
    no_ventilation_below_heating_k: _Kelvin = 1.0
    """No venting, for humidity either, this far below the heating set point (GreenLight ``tVentOff``)."""
    humidity_high_pct: _Percent = 85.0
    """Vent a crack and heat a little above this RH (GreenLight rule-based ``rh_max``; disease risk >90 %)."""
    humidity_hysteresis_pct: _Percent = 5.0
    """Humidity control stops this far below ``humidity_high_pct`` (GreenLight ``ventRhPband``)."""
    humidity_gain_pct_per_pct: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    """Venting for humidity then moves this many percent per percent of RH (proportional-integral)."""
    humidity_integral_s: Annotated[float, Field(gt=0.0, le=86_400.0)] = 600.0
    """... and the error's integral over this many seconds adds as much again."""
    crack_pct: _Percent = 10.0
    """The vent opening for humidity: a crack."""
    no_humidity_venting_below_outside_c: _Celsius = 0.0
    """Never vent for humidity into outside air at or below this (frost: tomato_climate.md)."""
    cooling_on_c: _Celsius = 28.0
    """Pad or fog cooling above this (blossom injury above about 29-30 °C, 1 K margin)."""
    cooling_min_vpd_kpa: _Kpa = 1.2
    """Evaporative cooling only while the air is dry: VPD above the tomato band's top (1.2 kPa)."""
    cooling_hysteresis_k: _Kelvin = 1.5
    """Cooling stops this far below ``cooling_on_c``."""
    energy_screen_night_outside_c: _Celsius = 10.0
    """Close the energy screen at night when outside is below this (GreenLight ``thScrSpNight``)."""
    energy_screen_day_outside_c: _Celsius = 5.0
    """Keep it closed by day when outside is below this (GreenLight ``thScrSpDay``)."""
    energy_screen_gap_pct: _Percent = 90.0
    """A closed screen's position in humid air: opened a gap (de Zwart 1996; GreenLight ``thScrRh``)."""
    shade_above_c: _Celsius = 28.0
    """Close the shade screen by day above this air temperature (as ``cooling_on_c``)."""
    shade_position_pct: _Percent = 50.0
    """How far the shade screen closes for heat."""
    co2_target_ppm: _Ppm = 800.0
    """Dose CO2 to this in light with vents closed (GreenLight ``co2SpDay``; 700-1000 ppm, Nederhoff 1994)."""
    co2_ambient_ppm: _Ppm = 450.0
    """With vents open, dose only to ambient (tomato_climate.md: about 420-450 ppm)."""
    co2_band_ppm: _Ppm = 100.0
    """Dosing stops at the target; it starts this far below it (GreenLight ``co2Band``)."""
    co2_vents_open_pct: _Percent = 20.0
    """Vents above this are "open": dose only to ambient."""
    co2_vents_wide_open_pct: _Percent = 50.0
    """Vents above this are "wide open": no dosing at all, it would be vented away."""
    lamps_on_hour: _Hour = 0.0
    """Lamps may be on from this local hour (GreenLight's LED scenario: 00:00 to 18:00)."""
    lamps_off_hour: _Hour = 18.0
    """... until this local hour (earlier than ``lamps_on_hour``: the hours wrap past midnight)."""
    lamps_off_par_umol_m2_s: _Par = 600.0
    """Lamps off above this natural PAR (GreenLight ``lampsOffSun`` 400 W m-2 outside, about 600 inside)."""
    lamps_on_par_umol_m2_s: _Par = 450.0
    """... and on again below this (the hysteresis)."""
    lamp_par_umol_m2_s: _Par = 300.0
    """What the lamps add at the PAR sensor, to tell daylight from lamplight (OSU's LEDs: 300)."""
    daily_light_integral_mol_m2_d: Annotated[float, Field(ge=0.0, le=80.0)] = 20.0
    """Lamps off once the day's light integral reaches this (tomato: 20-30 mol m-2 d-1, Dorais 2003)."""
    irrigation_below_pct: _Percent = 45.0
    """Irrigate below this substrate water content (5 points above the ``substrate_dry`` warning, 40 %)."""
    irrigation_hysteresis_pct: _Percent = 5.0
    """Irrigation stops this far above ``irrigation_below_pct``."""
    circulation_vpd_below_kpa: _Kpa = 0.5
    """Circulation fans on below this VPD (the tomato band's bottom; Botrytis below about 0.3)."""

    @model_validator(mode="after")
    def _bands_in_order(self) -> Setpoints:
        """Why: a lamp hysteresis upside down would switch the lamps at every poll."""
        if self.lamps_on_par_umol_m2_s > self.lamps_off_par_umol_m2_s:
            raise ValueError("lamps_on_par_umol_m2_s must not be above lamps_off_par_umol_m2_s")
        return self


if TYPE_CHECKING:
    _PlainSetpoints = Setpoints
else:
    _PlainSetpoints = make_dataclass("_PlainSetpoints", list(Setpoints.model_fields), frozen=True, slots=True)


def plain_setpoints(setpoints: Setpoints) -> Setpoints:
    """The same values in a frozen slotted dataclass of the same field names, for the rules to read.

    Why: the rules read a dozen set points at every poll, and a pydantic model's attribute goes
    through ``BaseModel.__getattr__``'s hook, three times the cost of a slot (callgrind,
    docs/advisor.md, "Step time"). Validation stays with :class:`Setpoints`; this is its copy.
    """
    return _PlainSetpoints(**setpoints.model_dump())


class AdvisorSettings(AdvisorDevices):
    """The ``[advisor]`` section: the site's devices, its place on Earth, its set points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Write the ``actions`` stream; advice is always advisory (brain never drives a relay)."""
    devices: dict[Identifier, DeviceKind] = Field(default_factory=lambda: dict(DEFAULT_DEVICE_KINDS))
    """Device name (as the device status names it) to its kind; a device not named gets no advice."""
    latitude: Annotated[float, Field(ge=-90.0, le=90.0)] | None = Field(default=None, exclude=True)
    """The site's latitude, degrees north: day and night from sunrise and sunset. Unset: from PAR.

    In a configuration file this is the top-level ``latitude`` (the site's place, set once for the
    estimator and the advisor): the daemon passes it here. ``[advisor] latitude`` is a deprecated
    alias of it (brain.config), so ``brain config show`` does not list this field."""
    longitude: Annotated[float, Field(ge=-180.0, le=180.0)] | None = Field(default=None, exclude=True)
    """The site's longitude, degrees east (with ``latitude``): the top-level ``longitude`` in a file."""
    act_after_s: _Seconds = 600.0
    """An action is written once a device has differed from the advice this long."""
    fault_after_s: _Seconds = 1800.0
    """A device on while the climate does not respond this long is worth an ``inspect``."""
    setpoints: Setpoints = Setpoints()
    """``[advisor.setpoints]``."""

    @model_validator(mode="after")
    def _place_is_whole(self) -> AdvisorSettings:
        """Why: a latitude without a longitude would put sunrise at the wrong hour, silently."""
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: set both or neither")
        return self
