"""A tomato greenhouse and its climate computer, stepped on a one-minute grid.

Why a lumped model and not white noise: the estimator downstream judges VPD,
dew point, CO2 and sensor health, so the synthetic climate must hang together
the way a real one does: relative humidity falls when the air warms because the
vapour in it barely changes, CO2 is drawn down while the crop photosynthesises,
the heater runs on cold nights and the vents open on sunny afternoons.

Every number below is either a typical set point of Dutch and North-American
tomato growing or a rough physical magnitude; docs/sources.md lists them with
their sources. The model has four state variables (air temperature, vapour
pressure, CO2, substrate water content), each relaxing towards a target that
the weather and the climate computer set, so its outputs are continuous in time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from brain.sources.synthetic.sun import clear_sky_par, sin_solar_elevation

# Climate computer set points (degC): Snyder, *Greenhouse Tomato Handbook*, Mississippi State Univ.
# Extension P1828 (night 62-64 degF, day 70-82 degF); Heuvelink (ed.), *Tomatoes*, CABI 2018.
NIGHT_HEATING_C = 18.5
DAY_HEATING_C = 20.0
VENTILATION_ABOVE_HEATING_K = 4.0
"""Vents open this far above the heating line (Dutch practice: 2-5 K)."""
VENTILATION_LIGHT_RAISE_K = 2.0
"""The ventilation line rises with light, so the crop uses warmth it is given (light-dependent venting)."""
DEHUMIDIFY_ABOVE_RH = 0.76
"""Vent and heat when RH exceeds this (botrytis risk rises above 80-85 %; Elad & Shtienberg 1995)."""
HUMIDITY_CRACK = 0.1
"""The smallest vent opening for humidity: a crack (de Zwart 1996)."""
MAX_VPD_KPA = 1.1
"""Fogging holds VPD below this by day (tomato stress above about 1.2-1.5 kPa)."""
MIST_CAPACITY_KPA = 0.8
"""Most vapour pressure a fog system can add."""
CO2_SET_POINT_PPM = 800.0
"""Dosing target with vents closed (Nederhoff 1994: 700-1000 ppm is common practice)."""
CO2_OPEN_VENT_SET_POINT_PPM = 430.0
"""With vents open, dose only to keep ambient level: more would blow out of the vents."""
OUTSIDE_CO2_PPM = 425.0
"""Outside air, the 2025 global mean (NOAA Global Monitoring Laboratory)."""

# Greenhouse physics, rough magnitudes.
TRANSMISSION = 0.65
"""Share of outside PAR reaching the crop through glass and structure (Venlo glasshouse: 0.6-0.75)."""
FULL_SUN_PAR = 1200.0
"""Inside PAR at a clear June noon at 52 deg N; the unit of solar load below."""
CLOSED_SOLAR_GAIN_K = 20.0
"""Temperature rise over outside of a shut greenhouse in full sun."""
OPEN_SOLAR_GAIN_K = 4.0
"""Temperature rise over outside with vents fully open in full sun (3-5 K by rule of thumb)."""
AIR_TIME_CONSTANT_S = 600.0
VAPOUR_TIME_CONSTANT_S = 600.0
HEAT_STORAGE_TIME_CONSTANT_S = 5400.0
"""Floor, crop and structure store the sun's heat: the warmest hour comes after solar noon."""
DAY_VAPOUR_EXCESS_KPA = 4.5
"""Transpiration's vapour excess at full sun before ventilation dilutes it (calibrated: RH 65-70 % at 14h)."""
VENT_DILUTION = 4.0
"""Fully open vents dilute the vapour excess this many times more than leakage alone."""
LEAKAGE_PER_H = 0.5
VENT_EXCHANGE_PER_H = 20.0
"""Air exchanges per hour: leakage of a shut Venlo house, and the extra with vents fully open."""
NIGHT_RESPIRATION_PPM_H = 40.0
"""Crop respiration, about 0.37 g CO2 per m2 per hour in a 5 m high house."""
MAX_UPTAKE_PPM_H = 600.0
"""Light- and CO2-saturated canopy uptake; about 2 g CO2/m2/h at ambient CO2 and 1000 umol/m2/s."""
MAX_DOSING_PPM_H = 1600.0
"""Pure CO2 dosing at about 150 kg/ha/h."""

# Lighting and irrigation.
PHOTOPERIOD_H = (5.0, 21.0)
"""LED top-up lighting window: 16 h, below the 17 h beyond which tomato leaves yellow."""
LAMP_TARGET_PAR = 150.0
LAMP_RAMP_H = 0.25
SHOT_PCT = 3.0
SHOT_S = 240.0
SHOT_PAUSE_S = 900.0
IRRIGATE_BELOW_PCT = 67.0
IRRIGATION_STOP_H = 17.0
"""No irrigation after this local hour, so the slab dries back overnight (stone-wool practice)."""
NIGHT_DRAW_PCT_H = 0.35
DAY_DRAW_PCT_H = 2.2


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the greenhouse faces and what its equipment can do at one instant; scenarios change these."""

    outside_min_c: float
    """Today's minimum outside temperature (reached at 05:00)."""
    outside_max_c: float
    """Today's maximum outside temperature (reached at 15:00)."""
    outside_dew_point_c: float
    """Dew point of the outside air."""
    cloud_factor: float
    """Share of clear-sky light that gets through the clouds, 0-1."""
    heating_capacity_k: float = 25.0
    """How far the heating can lift the air above the unheated greenhouse temperature."""
    vent_limit: float = 1.0
    """Largest vent opening allowed, 0 (held shut) to 1."""
    co2_supply: bool = True
    """Whether the CO2 tank has gas."""
    dehumidify: bool = True
    """Whether the climate computer vents and heats against high humidity."""
    night_vapour_excess_kpa: float = 0.45
    """Vapour pressure the shut greenhouse holds above the outside air at night."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The true climate at one grid instant and the relays the climate computer set for the next step."""

    air_temperature_c: float
    relative_humidity_pct: float
    co2_ppm: float
    par_umol_m2_s: float
    substrate_moisture_pct: float
    relays_on: frozenset[str]


@dataclass(frozen=True, slots=True)
class Controls:
    """Devices set from outside the model, in place of its built-in climate computer.

    Why: to close the loop in simulation (``simulation.control = "advice"``): the devices follow
    brain's advice and the climate answers them, so the advice can be judged by the climate it
    makes. With every field at its default nothing runs (``simulation.control = "none"``).
    """

    heating: float = 0.0
    """Share of the heating capacity (``Conditions.heating_capacity_k``), 0-1: a mixing valve's position."""
    vents: float = 0.0
    """Vent opening, 0-1 (limited by ``Conditions.vent_limit``)."""
    misting: bool = False
    """The fog system at full capacity, by day."""
    dosing: bool = False
    """CO2 dosing at full rate."""
    lamps: bool = False
    """The top-up lamps at full output."""
    irrigation: bool = False
    """The irrigation pump running."""
    circulation: bool = False
    """The circulation fans (no effect on the modelled climate; reported as they are set)."""


def saturation_vapour_pressure_kpa(temperature_c: float) -> float:
    """Magnus formula over water (Alduchov & Eskridge 1996, J. Appl. Meteor. 35:601)."""
    return 0.61094 * math.exp(17.625 * temperature_c / (temperature_c + 243.04))


def dew_point_c(vapour_kpa: float) -> float:
    """The temperature at which ``vapour_kpa`` saturates: :func:`saturation_vapour_pressure_kpa` inverted."""
    x = math.log(vapour_kpa / 0.61094)
    return 243.04 * x / (17.625 - x)


def outside_temperature_c(conditions: Conditions, local_hour: float) -> float:
    """Outside air temperature: coolest at 05:00, warmest at 15:00, two half-cosines between."""
    if 5.0 <= local_hour < 15.0:
        share = (1.0 - math.cos(math.pi * (local_hour - 5.0) / 10.0)) / 2.0
    else:
        share = (1.0 + math.cos(math.pi * ((local_hour - 15.0) % 24.0) / 14.0)) / 2.0
    return conditions.outside_min_c + (conditions.outside_max_c - conditions.outside_min_c) * share


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class GreenhouseModel:
    """The four climate states and the irrigation timer; :meth:`step` advances them one grid step."""

    def __init__(self, *, latitude_deg: float, rng: random.Random, step_s: float) -> None:
        self.latitude_deg = latitude_deg
        self.step_s = step_s
        self._rng = rng
        self._air_c = NIGHT_HEATING_C
        self._vapour_kpa = 1.6
        self._co2_ppm = 500.0
        self._substrate_pct = 64.0
        self._shot_left_s = 0.0
        self._since_shot_s = math.inf
        self._stored_solar = 0.0
        self._a_air = 1.0 - math.exp(-step_s / AIR_TIME_CONSTANT_S)
        self._a_vapour = 1.0 - math.exp(-step_s / VAPOUR_TIME_CONSTANT_S)
        self._a_storage = 1.0 - math.exp(-step_s / HEAT_STORAGE_TIME_CONSTANT_S)

    def step(
        self, conditions: Conditions, local_hour: float, day_of_year: float, controls: Controls | None = None
    ) -> Snapshot:
        """Decide the controls for now (or take ``controls``), return the state now, then integrate."""
        sin_elevation = sin_solar_elevation(self.latitude_deg, day_of_year, local_hour)
        natural_par = clear_sky_par(sin_elevation) * conditions.cloud_factor * TRANSMISSION
        lamp_par = (
            _lamp_par(natural_par, local_hour) if controls is None else LAMP_TARGET_PAR * controls.lamps
        )
        par = natural_par + lamp_par
        solar = natural_par / FULL_SUN_PAR
        daylight = _clamp(sin_elevation / 0.25, 0.0, 1.0)
        outside_c = outside_temperature_c(conditions, local_hour)

        if controls is None:
            humidity_vents = self._humidity_vents(conditions, par / FULL_SUN_PAR)
            drying_c = self._drying_temperature(conditions, par / FULL_SUN_PAR, humidity_vents)
            target_c, heating, vents = _temperature_control(
                conditions,
                outside_c,
                self._stored_solar,
                daylight,
                humidity_vents=humidity_vents,
                drying_c=drying_c,
            )
            vapour_target, misting = self._vapour_target(conditions, par / FULL_SUN_PAR, vents, daylight)
            dosing = self._co2_dosing(conditions, par, vents)
            pumping = self._irrigation(sin_elevation, local_hour)
        else:
            target_c, heating, vents = _controlled_temperature(
                conditions, outside_c, self._stored_solar, controls
            )
            vapour_target, misting = self._controlled_vapour(
                conditions, par / FULL_SUN_PAR, vents, daylight, controls
            )
            dosing = MAX_DOSING_PPM_H if controls.dosing and conditions.co2_supply else 0.0
            pumping = controls.irrigation
            if pumping:
                self._shot_left_s = max(self._shot_left_s, self.step_s)

        saturation = saturation_vapour_pressure_kpa(self._air_c)
        relays = {
            "heater": heating > 0.02,
            "vent_fan": vents > 0.0,
            "circulation_fan": vents < 0.2 if controls is None else controls.circulation,
            "irrigation_pump": pumping,
            "misting": misting > 0.01,
            "grow_lights": lamp_par > 1.0,
            "co2_valve": dosing > 1.0,
        }
        snapshot = Snapshot(
            air_temperature_c=self._air_c,
            relative_humidity_pct=100.0 * self._vapour_kpa / saturation,
            co2_ppm=self._co2_ppm,
            par_umol_m2_s=par,
            substrate_moisture_pct=self._substrate_pct,
            relays_on=frozenset(name for name, on in relays.items() if on),
        )
        self._integrate(target_c, vapour_target, dosing, par, vents)
        self._stored_solar += (solar - self._stored_solar) * self._a_storage
        return snapshot

    def _humidity_vents(self, conditions: Conditions, light: float) -> float:
        """The vent opening that dilutes the vapour excess to ``DEHUMIDIFY_ABOVE_RH`` (0 when not humid).

        Why through the vents: the climate computer dries the air only with the devices the model
        shows ("vent a crack and heat": the heating holds its line against the vents' cooling,
        :func:`_temperature_control`), the same physics the devices have under brain's advice.
        """
        if not conditions.dehumidify:
            return 0.0
        outside = saturation_vapour_pressure_kpa(conditions.outside_dew_point_c)
        allowed = DEHUMIDIFY_ABOVE_RH * saturation_vapour_pressure_kpa(self._air_c) - outside
        excess = conditions.night_vapour_excess_kpa + DAY_VAPOUR_EXCESS_KPA * light
        if excess <= allowed:
            return 0.0
        if allowed <= 0.0:  # the outside air itself is too humid: venting cannot dry, a crack keeps it moving
            return HUMIDITY_CRACK
        return _clamp((excess / allowed - 1.0) / VENT_DILUTION, HUMIDITY_CRACK, conditions.vent_limit)

    def _drying_temperature(self, conditions: Conditions, light: float, vents: float) -> float:
        """The air temperature at which the vented air is at ``DEHUMIDIFY_ABOVE_RH`` ("heat and vent").

        Only once the vents are at their limit: below it, opening them further dries more cheaply
        than heating. ``-inf`` when no heat is needed for humidity.
        """
        if not conditions.dehumidify or vents < conditions.vent_limit:
            return -math.inf
        outside = saturation_vapour_pressure_kpa(conditions.outside_dew_point_c)
        excess = (conditions.night_vapour_excess_kpa + DAY_VAPOUR_EXCESS_KPA * light) / (
            1.0 + VENT_DILUTION * vents
        )
        return dew_point_c((outside + excess) / DEHUMIDIFY_ABOVE_RH)

    def _vapour_target(
        self, conditions: Conditions, light: float, vents: float, daylight: float
    ) -> tuple[float, float]:
        """Vapour pressure the air heads for, and how much the fog system adds to it (by day only)."""
        outside = saturation_vapour_pressure_kpa(conditions.outside_dew_point_c)
        saturation = saturation_vapour_pressure_kpa(self._air_c)
        excess = (conditions.night_vapour_excess_kpa + DAY_VAPOUR_EXCESS_KPA * light) / (
            1.0 + VENT_DILUTION * vents
        )
        target = outside + excess
        misting = _clamp(saturation - MAX_VPD_KPA - target, 0.0, MIST_CAPACITY_KPA * daylight)
        return target + misting, misting

    def _controlled_vapour(
        self, conditions: Conditions, light: float, vents: float, daylight: float, controls: Controls
    ) -> tuple[float, float]:
        """As :meth:`_vapour_target` without the climate computer: only the vents dry, only the fog wets."""
        outside = saturation_vapour_pressure_kpa(conditions.outside_dew_point_c)
        excess = (conditions.night_vapour_excess_kpa + DAY_VAPOUR_EXCESS_KPA * light) / (
            1.0 + VENT_DILUTION * vents
        )
        misting = MIST_CAPACITY_KPA * daylight if controls.misting else 0.0
        return outside + excess + misting, misting

    def _co2_dosing(self, conditions: Conditions, par: float, vents: float) -> float:
        """Dosing rate, ppm/h, in light (sun or lamps): the set point falls as the vents open."""
        if not conditions.co2_supply or par < 120.0:
            return 0.0
        set_point = CO2_SET_POINT_PPM - (CO2_SET_POINT_PPM - CO2_OPEN_VENT_SET_POINT_PPM) * min(
            1.0, vents / 0.2
        )
        return MAX_DOSING_PPM_H * _clamp((set_point - self._co2_ppm) / 100.0, 0.0, 1.0)

    def _irrigation(self, sin_elevation: float, local_hour: float) -> bool:
        """Start a shot when the slab is drier than the trigger by day; return whether the pump runs."""
        in_window = sin_elevation > 0.17 and local_hour < IRRIGATION_STOP_H
        if (
            self._shot_left_s <= 0.0
            and in_window
            and self._substrate_pct < IRRIGATE_BELOW_PCT
            and self._since_shot_s >= SHOT_PAUSE_S
        ):
            self._shot_left_s = SHOT_S
            self._since_shot_s = 0.0
        return self._shot_left_s > 0.0

    def _integrate(
        self, target_c: float, vapour_target: float, dosing: float, par: float, vents: float
    ) -> None:
        dt = self.step_s
        self._air_c += (target_c - self._air_c) * self._a_air
        self._air_c += self._rng.gauss(0.0, 0.03)  # mixing and control ripple: about 0.07 K around the target
        self._vapour_kpa += (vapour_target - self._vapour_kpa) * self._a_vapour
        # Condensation on the cover keeps the air just short of saturation.
        self._vapour_kpa = min(self._vapour_kpa, 0.97 * saturation_vapour_pressure_kpa(self._air_c))

        exchange = LEAKAGE_PER_H + VENT_EXCHANGE_PER_H * vents
        co2 = self._co2_ppm
        uptake = MAX_UPTAKE_PPM_H * par / (par + 400.0) * max(0.0, co2 - 50.0) / (co2 + 300.0)
        equilibrium = OUTSIDE_CO2_PPM + (NIGHT_RESPIRATION_PPM_H - uptake + dosing) / exchange
        self._co2_ppm = equilibrium + (co2 - equilibrium) * math.exp(-exchange * dt / 3600.0)
        self._co2_ppm += self._rng.gauss(0.0, 1.5)  # eddies past the sensor: a live CO2 line is never flat

        draw = NIGHT_DRAW_PCT_H + DAY_DRAW_PCT_H * par / FULL_SUN_PAR
        self._substrate_pct -= draw * dt / 3600.0
        if self._shot_left_s > 0.0:
            running = min(dt, self._shot_left_s)
            self._substrate_pct += SHOT_PCT * running / SHOT_S
            self._shot_left_s -= running
        self._since_shot_s += dt


def _lamp_par(natural_par: float, local_hour: float) -> float:
    """Dimmable LED top-up to a minimum PAR within the photoperiod, ramped at its edges."""
    start, end = PHOTOPERIOD_H
    envelope = _clamp((local_hour - start) / LAMP_RAMP_H, 0.0, 1.0) * _clamp(
        (end - local_hour) / LAMP_RAMP_H, 0.0, 1.0
    )
    return envelope * _clamp(LAMP_TARGET_PAR - natural_par, 0.0, LAMP_TARGET_PAR)


def _temperature_control(
    conditions: Conditions,
    outside_c: float,
    solar: float,
    daylight: float,
    *,
    humidity_vents: float = 0.0,
    drying_c: float = -math.inf,
) -> tuple[float, float, float]:
    """Return the air temperature the climate computer achieves, the heating share and the vent opening.

    ``solar`` is the solar load the house has stored (lagging the sun by about 1.5 h);
    ``humidity_vents`` the opening the humidity control wants (:meth:`GreenhouseModel._humidity_vents`),
    ``drying_c`` the temperature it heats to when the vents alone cannot dry (at most the vent line).

    The unheated, shut greenhouse would sit at ``free``; heating lifts it at most
    ``heating_capacity_k``; vents cool it at best to ``fully_open`` (a few kelvin
    above outside in full sun). Between the heating and ventilation lines it floats.
    Vents opened for humidity cool the house too, and the heating holds its line against them.
    """
    heating_line = NIGHT_HEATING_C + (DAY_HEATING_C - NIGHT_HEATING_C) * daylight
    vent_line = heating_line + VENTILATION_ABOVE_HEATING_K + VENTILATION_LIGHT_RAISE_K * solar
    heating_line = max(heating_line, min(drying_c, vent_line))
    free = outside_c + 1.0 + CLOSED_SOLAR_GAIN_K * solar
    fully_open = outside_c + OPEN_SOLAR_GAIN_K * solar
    vents = 0.0
    if free > vent_line and free > fully_open:
        vents = min(conditions.vent_limit, (free - vent_line) / (free - fully_open))
    vents = max(vents, min(humidity_vents, conditions.vent_limit))
    vented = free + (fully_open - free) * vents
    best_cooled = free + (fully_open - free) * conditions.vent_limit
    lowest = min(heating_line, vented + conditions.heating_capacity_k)
    highest = max(vent_line, best_cooled, vented)
    target = min(max(vented, lowest), highest)
    heating = (target - vented) / conditions.heating_capacity_k if target > vented else 0.0
    return target, heating, vents


def _controlled_temperature(
    conditions: Conditions, outside_c: float, solar: float, controls: Controls
) -> tuple[float, float, float]:
    """The air temperature the devices make (no climate computer), the heating share and the vent opening.

    The same physics as :func:`_temperature_control`: the shut, unheated house sits at ``free``;
    open vents pull it towards ``fully_open``; the heating lifts it by its share of the capacity.
    """
    free = outside_c + 1.0 + CLOSED_SOLAR_GAIN_K * solar
    fully_open = outside_c + OPEN_SOLAR_GAIN_K * solar
    vents = _clamp(controls.vents, 0.0, conditions.vent_limit)
    heating = _clamp(controls.heating, 0.0, 1.0)
    return free + (fully_open - free) * vents + conditions.heating_capacity_k * heating, heating, vents
