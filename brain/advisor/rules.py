"""One rule per device kind: the situation in, the case that applies and its target position out.

Each rule lists its cases in the order a grower would weigh them, first match wins
(docs/advisor.md, "Rules and priorities"). A case is a constant (:class:`Case`): on or off,
the sentence a reason gives and the readings it cites. A rule returns only the case and
the target position, a small value; the advisor turns it into a
:class:`~brain.advisor.situation.Desire` only when the advice changes, and fills in the
reason's readings only then or when it writes an action (the advisor runs at every poll
within a quarter of the estimator's step: docs/advisor.md, "Step time").

A rule returns ``None`` when an input it needs (the table's ``needs``,
:mod:`brain.advisor.kinds`) is not trusted: no advice. ``held`` is the kind's current
advice, so every threshold has a deadband: a value that crossed it must come back past the
band before the advice flips (the hysteresis; the minimum on and off times are the table's).
The set points are :class:`~brain.advisor.settings.Setpoints`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brain.advisor.settings import Setpoints
from brain.advisor.situation import Desire, Situation
from brain.names import DeviceKind

POSITION_STEP_PCT = 10.0
"""Target positions are whole tens of percent: a vent target that moved by 0.4 % is not new advice."""


@dataclass(frozen=True, slots=True)
class Case:
    """One outcome of a rule: on or off, and the reason's clause with the readings it cites.

    A frozen slotted dataclass: the advisor reads ``on`` and ``why`` of one per kind at every
    poll, and a slot is read in a fifth of a named tuple's field (docs/advisor.md, "Step time").
    """

    on: bool
    why: str
    """A format string (:class:`~brain.advisor.situation.Desire`)."""
    cites: Callable[[Situation, Setpoints], tuple[object, ...]]
    """The readings the clause cites, from the situation the case was decided on."""


Decision = tuple[Case, float | None]
"""What a rule returns: the case that applies and the target position (``None``: on/off only)."""


def _step(position: float) -> float:
    """``position`` in whole tens of percent (it is already within 0-100)."""
    return round(position / POSITION_STEP_PCT) * POSITION_STEP_PCT


def _line(s: Situation, p: Setpoints) -> float:
    """The ventilation line: the heating set point in force plus ``ventilation_above_heating_k``."""
    return s.heating_c + p.ventilation_above_heating_k


VENT_FOR_HEAT = Case(
    True,
    "Air {:.1f} °C{!t}, above the ventilation line {:.1f} °C",
    lambda s, p: (s.air_c, s.air_trend_k, _line(s, p)),
)
VENT_HEAT_HELD = Case(
    True,
    "Air {:.1f} °C{!t}, not yet down to {:.1f} °C (the ventilation line less its band)",
    lambda s, p: (s.air_c, s.air_trend_k, _line(s, p) - p.ventilation_hysteresis_k),
)
"""The vents advised open stay so until the air is a band under the line (the hysteresis): the
reason names that line, not the one the air is now under."""
VENT_COLD_HOUSE = Case(
    False,
    "RH {:.0f} % but air {:.1f} °C, below {:.1f} °C: heat before venting",
    lambda s, p: (s.rh_pct, s.air_c, s.heating_c - p.no_ventilation_below_heating_k),
)
VENT_FROST = Case(
    False,
    "RH {:.0f} % but outside {:.1f} °C: do not vent into freezing air, heat a little",
    lambda s, p: (s.rh_pct, s.outside_c),
)
VENT_FOR_HUMIDITY = Case(
    True,
    "RH {:.0f} % above {:.0f} %: vent a crack and heat a little",
    lambda s, p: (s.rh_pct, p.humidity_high_pct),
)
VENT_HUMIDITY_HELD = Case(
    True,
    "RH {:.0f} %, drying towards {:.0f} %: keep the vents cracked and heat a little",
    lambda s, p: (s.rh_pct, p.humidity_high_pct - p.humidity_hysteresis_pct / 2.0),
)
"""Humidity venting that goes on while the air dries inside the band (aimed at the band's middle)."""
_HUMIDITY_VENTING = (VENT_FOR_HUMIDITY.why, VENT_HUMIDITY_HELD.why)
"""The advice of venting for humidity, above the line or drying inside its band: either goes on drying."""
VENT_CLOSED = Case(
    False,
    "Air {:.1f} °C{!t}, not above the ventilation line {:.1f} °C",
    lambda s, p: (s.air_c, s.air_trend_k, _line(s, p)),
)


def ventilation(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Vent for heat over a proportional band; for humidity from a crack, never into frost or a cold house."""
    air = s.air_c
    if air is None:
        return None
    was_on = held is not None and held.on
    line = s.heating_c + p.ventilation_above_heating_k
    rh = s.rh_pct
    # Above the line, or still above it less the hysteresis while the vents are advised open.
    if air > (line - p.ventilation_hysteresis_k if was_on else line):
        # From a crack at the line to fully open a band above it.
        share = max(0.0, air - line) / p.ventilation_band_k if p.ventilation_band_k else 1.0
        position = _step(p.crack_pct + (100.0 - p.crack_pct) * min(1.0, share))
        if rh is not None and rh > p.humidity_high_pct:  # warm and humid: the wider opening
            position = max(position, _humidity_band_opening(rh, p))
        return VENT_FOR_HEAT if air > line else VENT_HEAT_HELD, max(position, p.crack_pct)
    drying = was_on and held is not None and held.why in _HUMIDITY_VENTING
    if rh is not None and (
        drying or rh > (p.humidity_high_pct - p.humidity_hysteresis_pct if was_on else p.humidity_high_pct)
    ):
        if air <= s.heating_c - p.no_ventilation_below_heating_k:
            return VENT_COLD_HOUSE, 0.0
        outside = s.outside_c
        if outside is not None and outside <= p.no_humidity_venting_below_outside_c:
            return VENT_FROST, 0.0
        position = _humidity_opening(s, p, held if drying else None, rh)
        if position > 0.0:  # as the heating valve: humidity venting ends once the vents have shut
            return VENT_FOR_HUMIDITY if rh > p.humidity_high_pct else VENT_HUMIDITY_HELD, position
    return VENT_CLOSED, 0.0


def _humidity_band_opening(rh: float, p: Setpoints) -> float:
    """From a crack at the humidity line to fully open a band above it (GreenLight's ``ventRhPband``)."""
    band = p.humidity_hysteresis_pct
    share = min(1.0, max(0.0, rh - p.humidity_high_pct) / band) if band else 1.0
    return max(p.crack_pct, _step(p.crack_pct + (100.0 - p.crack_pct) * share))


def _humidity_opening(s: Situation, p: Setpoints, held: Desire | None, rh: float) -> float:
    """The vents' opening for humidity: a crack (or more, over the band) first, then proportional-integral.

    Why not on/off cracks: in winter a 10 % crack dried the closed loop's air from 76 % to 65 % RH
    within its 15 minutes, and the vents opened and shut 27-36 times a day (docs/advisor.md, "The
    closed loop"). As the heating valve, the opening then moves in velocity form (its memory is the
    advice in force), aimed at the middle of the hysteresis band, in whole percent.
    """
    previous = s.previous_rh_pct
    if held is None or held.position is None or previous is None:
        return _humidity_band_opening(rh, p)
    aim = p.humidity_high_pct - p.humidity_hysteresis_pct / 2.0
    error = rh - aim
    change = p.humidity_gain_pct_per_pct * ((rh - previous) + error * s.step_s / p.humidity_integral_s)
    return round(min(100.0, max(0.0, held.position + change)))


HEAT_VALVE = Case(
    True, "Air {:.1f} °C{!t}, heating set point {:.1f} °C", lambda s, p: (s.air_c, s.air_trend_k, s.heating_c)
)
HEAT_BELOW = Case(
    True,
    "Air {:.1f} °C{!t}, below the heating set point {:.1f} °C",
    lambda s, p: (s.air_c, s.air_trend_k, s.heating_c),
)
HEAT_HELD = Case(
    True,
    "Air {:.1f} °C{!t}, not yet up to {:.1f} °C (the heating set point {:.1f} °C and its band)",
    lambda s, p: (s.air_c, s.air_trend_k, s.heating_c + p.heating_hysteresis_k, s.heating_c),
)
HEAT_FOR_HUMIDITY = Case(
    True,
    "RH {:.0f} % above {:.0f} % at {:.1f} °C: heat a little with the vents cracked",
    lambda s, p: (s.rh_pct, p.humidity_high_pct, s.air_c),
)
HEAT_HUMIDITY_HELD = Case(
    True,
    "RH {:.0f} %, not yet down to {:.0f} % at {:.1f} °C: keep a little heat with the vents cracked",
    lambda s, p: (s.rh_pct, p.humidity_high_pct - p.humidity_hysteresis_pct, s.air_c),
)
HEAT_OFF = Case(
    False, "Air {:.1f} °C, not below the heating set point {:.1f} °C", lambda s, p: (s.air_c, s.heating_c)
)


def heating(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Heat below the set point, in proportion over a band; heat a little when humid, unless hot.

    The position is a mixing valve's (a relay is simply on); "a little" is the minimum pipe.
    """
    air = s.air_c
    if air is None:
        return None
    was_on = held is not None and held.on
    if was_on and held is not None and held.position and s.previous_air_c is not None:
        position = _heating_position(s, p, held, air)
        if position > 0.0:  # a modulating valve closes by itself: it is off only once shut
            return HEAT_VALVE, position
    if air < (s.heating_c + p.heating_hysteresis_k if was_on else s.heating_c):
        return HEAT_BELOW if air < s.heating_c else HEAT_HELD, _heating_position(s, p, held, air)
    rh = s.rh_pct
    if (
        rh is not None
        and air < s.heating_c + p.ventilation_above_heating_k
        and rh > (p.humidity_high_pct - p.humidity_hysteresis_pct if was_on else p.humidity_high_pct)
    ):
        return HEAT_FOR_HUMIDITY if rh > p.humidity_high_pct else HEAT_HUMIDITY_HELD, p.crack_pct
    return HEAT_OFF, 0.0


def _heating_position(s: Situation, p: Setpoints, held: Desire | None, air: float) -> float:
    """A mixing valve's position: proportional on the first step, then proportional-integral.

    Velocity form (the change of the position from the error's change and the error itself),
    so the advice in force is the controller's whole memory. Aimed at the middle of the
    hysteresis band, so that a settled house stays between the on and the off lines.
    """
    aim = s.heating_c + p.heating_hysteresis_k / 2.0
    error = aim - air
    previous = s.previous_air_c
    if held is None or not held.on or held.position is None or previous is None:
        start = 100.0 * (error + p.heating_hysteresis_k / 2.0) / p.heating_band_k
        return round(min(100.0, max(p.crack_pct, start)), 1)
    change = p.heating_gain_pct_per_k * ((error - (aim - previous)) + error * s.step_s / p.heating_integral_s)
    return round(min(100.0, max(0.0, held.position + change)), 1)


COOLING_NOT_HOT = Case(False, "Air {:.1f} °C, not above {:.1f} °C", lambda s, p: (s.air_c, p.cooling_on_c))
COOLING_TOO_HUMID = Case(
    False,
    "Air {:.1f} °C but VPD {:.2f} kPa: too humid for evaporative cooling",
    lambda s, p: (s.air_c, s.vpd_kpa),
)
COOLING_ON = Case(
    True, "Air {:.1f} °C{!t} and VPD {:.2f} kPa", lambda s, p: (s.air_c, s.air_trend_k, s.vpd_kpa)
)
_COOLING_NOT_HOT: Decision = (COOLING_NOT_HOT, None)
_COOLING_TOO_HUMID: Decision = (COOLING_TOO_HUMID, None)
_COOLING_ON: Decision = (COOLING_ON, 100.0)


def cooling(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Evaporative cooling when hot and dry; never into air already humid."""
    air, vpd = s.air_c, s.vpd_kpa
    if air is None or vpd is None:
        return None
    was_on = held is not None and held.on
    if not air > (p.cooling_on_c - p.cooling_hysteresis_k if was_on else p.cooling_on_c):
        return _COOLING_NOT_HOT
    if not vpd > (p.cooling_min_vpd_kpa - 0.3 if was_on else p.cooling_min_vpd_kpa):
        return _COOLING_TOO_HUMID
    return _COOLING_ON


def _when(s: Situation) -> str:
    return "Day" if s.is_day else "Night"


def _screen_limit(s: Situation, p: Setpoints) -> float:
    return p.energy_screen_day_outside_c if s.is_day else p.energy_screen_night_outside_c


SCREEN_GAP = Case(
    True,
    "{}, outside {:.1f} °C below {:.0f} °C, RH {:.0f} %",
    lambda s, p: (_when(s), s.outside_c, _screen_limit(s, p), s.rh_pct),
)
SCREEN_CLOSED = Case(
    True, "{}, outside {:.1f} °C below {:.0f} °C", lambda s, p: (_when(s), s.outside_c, _screen_limit(s, p))
)
SCREEN_OPEN = Case(False, "{}, outside {:.1f} °C", lambda s, p: (_when(s), s.outside_c))


def energy_screen(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Closed on cold nights (and very cold days), opened a gap when humid."""
    outside = s.outside_c
    if outside is None or s.is_day is None:
        return None
    limit = p.energy_screen_day_outside_c if s.is_day else p.energy_screen_night_outside_c
    if outside < (limit + 1.0 if held is not None and held.on else limit):
        rh = s.rh_pct
        if rh is not None and rh >= p.humidity_high_pct:
            return SCREEN_GAP, p.energy_screen_gap_pct
        return SCREEN_CLOSED, 100.0
    return SCREEN_OPEN, 0.0


SHADE_FOR_LAMPS = Case(True, "Night, lamps at {:.0f} %", lambda s, p: (s.position_of(DeviceKind.LAMPS),))
SHADE_FOR_HEAT = Case(True, "Air {:.1f} °C{!t} by day", lambda s, p: (s.air_c, s.air_trend_k))
_SHADE_NIGHT_LAMPS_OFF: Decision = (Case(False, "Night, lamps off", lambda s, p: ()), 0.0)
_SHADE_DAY: Decision = (Case(False, "Day", lambda s, p: ()), 0.0)
_SHADE_FOR_LAMPS: Decision = (SHADE_FOR_LAMPS, 100.0)


def shade_screen(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Closed at night while the lamps are on (blackout); by day, closed part way in the heat."""
    if s.is_day is None:
        return None
    if not s.is_day:
        return _SHADE_FOR_LAMPS if s.position_of(DeviceKind.LAMPS) > 0.0 else _SHADE_NIGHT_LAMPS_OFF
    air = s.air_c
    if air is not None and air > (p.shade_above_c - 1.5 if held is not None and held.on else p.shade_above_c):
        return SHADE_FOR_HEAT, p.shade_position_pct
    return _SHADE_DAY


def _co2_target(s: Situation, p: Setpoints) -> float:
    """Dose to the target with the vents closed, only to ambient with them open."""
    vents_open = s.position_of(DeviceKind.VENTILATION) >= p.co2_vents_open_pct
    return p.co2_ambient_ppm if vents_open else p.co2_target_ppm


CO2_DARK = Case(False, "Dark, CO2 {:.0f} ppm: dosing at night is wasted gas", lambda s, p: (s.co2_ppm,))
CO2_VENTED = Case(
    False,
    "CO2 {:.0f} ppm, vents at {:.0f} %: dosed CO2 would be vented away",
    lambda s, p: (s.co2_ppm, s.position_of(DeviceKind.VENTILATION)),
)
CO2_DOSE = Case(
    True,
    "CO2 {:.0f} ppm below {:.0f} ppm, vents at {:.0f} %",
    lambda s, p: (s.co2_ppm, _co2_target(s, p), s.position_of(DeviceKind.VENTILATION)),
)
CO2_REACHED = Case(
    False, "CO2 {:.0f} ppm, target {:.0f} ppm reached", lambda s, p: (s.co2_ppm, _co2_target(s, p))
)


def co2_dosing(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Dose in light with vents closed; only to ambient with vents open; never in the dark or wide open."""
    co2 = s.co2_ppm
    if co2 is None or s.is_day is None:
        return None
    if not s.is_day:
        return CO2_DARK, None
    vents = s.position_of(DeviceKind.VENTILATION)
    if vents >= p.co2_vents_wide_open_pct:
        return CO2_VENTED, None
    wide = vents >= p.co2_vents_open_pct
    target = p.co2_ambient_ppm if wide else p.co2_target_ppm
    band = p.co2_band_ppm / 2.0 if wide else p.co2_band_ppm
    if co2 < (target if held is not None and held.on else target - band):
        return CO2_DOSE, None
    return CO2_REACHED, None


LAMPS_OUT_OF_HOURS = Case(
    False,
    "{:02d}:{:02d}, outside the lamps' hours",
    lambda s, p: (int(s.local_hour), int(s.local_hour % 1 * 60)),
)
LAMPS_INTEGRAL_REACHED = Case(
    False,
    "Day's light integral {:.1f} mol m-2 reached {:.0f}",
    lambda s, p: (s.light_integral_mol_m2, p.daily_light_integral_mol_m2_d),
)
LAMPS_DAYLIGHT = Case(False, "Daylight {:.0f} umol m-2 s-1", lambda s, p: (s.natural_par,))
LAMPS_ON = Case(
    True,
    "Daylight {:.0f} umol m-2 s-1, light integral {:.1f} of {:.0f} mol m-2",
    lambda s, p: (s.natural_par, s.light_integral_mol_m2, p.daily_light_integral_mol_m2_d),
)
_LAMPS_OUT_OF_HOURS: Decision = (LAMPS_OUT_OF_HOURS, 0.0)
_LAMPS_INTEGRAL_REACHED: Decision = (LAMPS_INTEGRAL_REACHED, 0.0)
_LAMPS_DAYLIGHT: Decision = (LAMPS_DAYLIGHT, 0.0)
_LAMPS_ON: Decision = (LAMPS_ON, 100.0)


def lamps(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """In the lamps' hours, on while daylight is low and the day's light integral is short of its target."""
    natural = s.natural_par
    if natural is None:
        return None
    hour = s.local_hour
    start, stop = p.lamps_on_hour, p.lamps_off_hour
    if not (start <= hour < stop if start <= stop else (hour >= start or hour < stop)):
        return _LAMPS_OUT_OF_HOURS
    if s.light_integral_mol_m2 >= p.daily_light_integral_mol_m2_d:
        return _LAMPS_INTEGRAL_REACHED
    if natural >= (p.lamps_off_par_umol_m2_s if held is not None and held.on else p.lamps_on_par_umol_m2_s):
        return _LAMPS_DAYLIGHT
    return _LAMPS_ON


IRRIGATION_ON = Case(
    True, "Substrate {:.0f} % below {:.0f} %", lambda s, p: (s.substrate_pct, p.irrigation_below_pct)
)
IRRIGATION_HELD = Case(
    True,
    "Substrate {:.0f} %, not yet up to {:.0f} %",
    lambda s, p: (s.substrate_pct, p.irrigation_below_pct + p.irrigation_hysteresis_pct),
)
IRRIGATION_OFF = Case(False, "Substrate {:.0f} %", lambda s, p: (s.substrate_pct,))


def irrigation(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Water below the dry line, stop a band above it."""
    water = s.substrate_pct
    if water is None:
        return None
    was_on = held is not None and held.on
    if water < (p.irrigation_below_pct + p.irrigation_hysteresis_pct if was_on else p.irrigation_below_pct):
        return IRRIGATION_ON if water < p.irrigation_below_pct else IRRIGATION_HELD, None
    return IRRIGATION_OFF, None


CIRCULATION_BAND_KPA = 0.1
"""The circulation's hysteresis: on below ``circulation_vpd_below_kpa``, off again this far above it."""
CIRCULATION_HUMID = Case(
    True, "VPD {:.2f} kPa below {:.1f} kPa", lambda s, p: (s.vpd_kpa, p.circulation_vpd_below_kpa)
)
CIRCULATION_HELD = Case(
    True,
    "VPD {:.2f} kPa, not yet up to {:.1f} kPa",
    lambda s, p: (s.vpd_kpa, p.circulation_vpd_below_kpa + CIRCULATION_BAND_KPA),
)
CIRCULATION_HEATING = Case(True, "Heating on, VPD {:.2f} kPa", lambda s, p: (s.vpd_kpa,))
CIRCULATION_OFF = Case(False, "VPD {:.2f} kPa", lambda s, p: (s.vpd_kpa,))


def circulation(s: Situation, p: Setpoints, held: Desire | None) -> Decision | None:
    """Keep the air moving when it is humid or the heating runs."""
    vpd = s.vpd_kpa
    if vpd is None:
        return None
    was_on = held is not None and held.on
    if vpd < (p.circulation_vpd_below_kpa + CIRCULATION_BAND_KPA if was_on else p.circulation_vpd_below_kpa):
        return CIRCULATION_HUMID if vpd < p.circulation_vpd_below_kpa else CIRCULATION_HELD, None
    heat = s.desired.get(DeviceKind.HEATING)
    if heat is not None and heat.on:
        return CIRCULATION_HEATING, None
    return CIRCULATION_OFF, None
