"""One rule per device kind: the situation in, the desired state and its reason out.

Each rule lists its cases in the order a grower would weigh them, first match wins
(docs/advisor.md, "Rules and priorities"). ``was_on`` is the kind's current advice,
so every threshold has a deadband: a value that crossed it must come back past the
band before the advice flips (the hysteresis; the minimum on and off times are the
table's, :mod:`brain.advisor.kinds`). The set points are :class:`~brain.advisor.settings.Setpoints`.
"""

from __future__ import annotations

from brain.advisor.settings import Setpoints
from brain.advisor.situation import Desire, Situation
from brain.names import DeviceKind

POSITION_STEP_PCT = 10.0
"""Target positions are whole tens of percent: a vent target that moved by 0.4 % is not new advice."""


def _past(value: float, threshold: float, band: float, was_on: bool) -> bool:
    """``value`` above ``threshold``, or still above ``threshold - band`` while the advice is on."""
    return value > (threshold - band if was_on else threshold)


def _below(value: float, threshold: float, band: float, was_on: bool) -> bool:
    """``value`` below ``threshold``, or still below ``threshold + band`` while the advice is on."""
    return value < (threshold + band if was_on else threshold)


def _step(position: float) -> float:
    """``position`` in whole tens of percent (it is already within 0-100)."""
    return round(position / POSITION_STEP_PCT) * POSITION_STEP_PCT


def ventilation(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Vent for heat over a proportional band; for humidity from a crack, never into frost or a cold house."""
    was_on = held is not None and held.on
    air = s.air_c
    assert air is not None  # the table's ``needs`` checked it
    line = s.heating_c + p.ventilation_above_heating_k
    if _past(air, line, p.ventilation_hysteresis_k, was_on):
        share = max(0.0, air - line) / p.ventilation_band_k if p.ventilation_band_k else 1.0
        position = _step(p.crack_pct + (100.0 - p.crack_pct) * min(1.0, share))
        if s.rh_pct is not None and s.rh_pct > p.humidity_high_pct:  # warm and humid: the wider opening
            position = max(position, _humidity_band_opening(s.rh_pct, p))
        return Desire(
            True,
            max(position, p.crack_pct),
            "Air {:.1f} °C{!t}, above the ventilation line {:.1f} °C",
            (air, s.air_trend_k, line),
        )
    rh = s.rh_pct
    drying = was_on and held is not None and held.why is _VENT_FOR_HUMIDITY
    if rh is not None and (drying or _past(rh, p.humidity_high_pct, p.humidity_hysteresis_pct, was_on)):
        cold_house = s.heating_c - p.no_ventilation_below_heating_k
        if air <= cold_house:
            return Desire(
                False,
                0.0,
                "RH {:.0f} % but air {:.1f} °C, below {:.1f} °C: heat before venting",
                (rh, air, cold_house),
            )
        outside = s.outside_c
        if outside is not None and outside <= p.no_humidity_venting_below_outside_c:
            return Desire(
                False,
                0.0,
                "RH {:.0f} % but outside {:.1f} °C: do not vent into freezing air, heat a little",
                (rh, outside),
            )
        position = _humidity_opening(s, p, held if drying else None, rh)
        if position > 0.0:  # as the heating valve: humidity venting ends once the vents have shut
            return Desire(True, position, _VENT_FOR_HUMIDITY, (rh, p.humidity_high_pct))
    return Desire(
        False, 0.0, "Air {:.1f} °C{!t}, below the ventilation line {:.1f} °C", (air, s.air_trend_k, line)
    )


_VENT_FOR_HUMIDITY = "RH {:.0f} % above {:.0f} %: vent a crack and heat a little"


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


def heating(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Heat below the set point, in proportion over a band; heat a little when humid, unless hot.

    The position is a mixing valve's (a relay is simply on); "a little" is the minimum pipe.
    """
    was_on = held is not None and held.on
    air = s.air_c
    assert air is not None  # the table's ``needs`` checked it
    if was_on and held is not None and held.position and s.previous_air_c is not None:
        position = _heating_position(s, p, held, air)
        if position > 0.0:  # a modulating valve closes by itself: it is off only once shut
            return Desire(
                True,
                position,
                "Air {:.1f} °C{!t}, heating set point {:.1f} °C",
                (air, s.air_trend_k, s.heating_c),
            )
    if _below(air, s.heating_c, p.heating_hysteresis_k, was_on):
        return Desire(
            True,
            _heating_position(s, p, held, air),
            "Air {:.1f} °C{!t}, below the heating set point {:.1f} °C",
            (air, s.air_trend_k, s.heating_c),
        )
    rh = s.rh_pct
    line = s.heating_c + p.ventilation_above_heating_k
    if rh is not None and air < line and _past(rh, p.humidity_high_pct, p.humidity_hysteresis_pct, was_on):
        return Desire(
            True,
            p.crack_pct,
            "RH {:.0f} % above {:.0f} % at {:.1f} °C: heat a little with the vents cracked",
            (rh, p.humidity_high_pct, air),
        )
    return Desire(False, 0.0, "Air {:.1f} °C, above the heating set point {:.1f} °C", (air, s.heating_c))


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


def cooling(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Evaporative cooling when hot and dry; never into air already humid."""
    was_on = held is not None and held.on
    air = s.air_c
    assert air is not None  # the table's ``needs`` checked it
    vpd = s.vpd_kpa
    assert vpd is not None
    if not _past(air, p.cooling_on_c, p.cooling_hysteresis_k, was_on):
        return Desire(False, None, "Air {:.1f} °C, below {:.1f} °C", (air, p.cooling_on_c))
    if not _past(vpd, p.cooling_min_vpd_kpa, 0.3, was_on):
        return Desire(
            False, None, "Air {:.1f} °C but VPD {:.2f} kPa: too humid for evaporative cooling", (air, vpd)
        )
    return Desire(True, 100.0, "Air {:.1f} °C{!t} and VPD {:.2f} kPa", (air, s.air_trend_k, vpd))


def energy_screen(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Closed on cold nights (and very cold days), opened a gap when humid."""
    was_on = held is not None and held.on
    outside = s.outside_c
    assert outside is not None
    night = not s.is_day
    limit = p.energy_screen_night_outside_c if night else p.energy_screen_day_outside_c
    when = "Night" if night else "Day"
    if _below(outside, limit, 1.0, was_on):
        rh = s.rh_pct
        if rh is not None and rh >= p.humidity_high_pct:
            return Desire(
                True,
                p.energy_screen_gap_pct,
                "{}, outside {:.1f} °C below {:.0f} °C, RH {:.0f} %",
                (when, outside, limit, rh),
            )
        return Desire(True, 100.0, "{}, outside {:.1f} °C below {:.0f} °C", (when, outside, limit))
    return Desire(False, 0.0, "{}, outside {:.1f} °C", (when, outside))


def shade_screen(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Closed at night while the lamps are on (blackout); by day, closed part way in the heat."""
    was_on = held is not None and held.on
    if not s.is_day:
        lamps = s.position_of(DeviceKind.LAMPS)
        if lamps > 0.0:
            return Desire(True, 100.0, "Night, lamps at {:.0f} %", (lamps,))
        return _NIGHT_LAMPS_OFF
    air = s.air_c
    if air is not None and _past(air, p.shade_above_c, 1.5, was_on):
        return Desire(True, p.shade_position_pct, "Air {:.1f} °C{!t} by day", (air, s.air_trend_k))
    return _DAY


_NIGHT_LAMPS_OFF = Desire(False, 0.0, "Night, lamps off")
_DAY = Desire(False, 0.0, "Day")


def co2_dosing(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Dose in light with vents closed; only to ambient with vents open; never in the dark or wide open."""
    was_on = held is not None and held.on
    co2 = s.co2_ppm
    assert co2 is not None
    if not s.is_day:
        return Desire(False, None, "Dark, CO2 {:.0f} ppm: dosing at night is wasted gas", (co2,))
    vents = s.position_of(DeviceKind.VENTILATION)
    if vents >= p.co2_vents_wide_open_pct:
        return Desire(
            False, None, "CO2 {:.0f} ppm, vents at {:.0f} %: dosed CO2 would be vented away", (co2, vents)
        )
    wide = vents >= p.co2_vents_open_pct
    target = p.co2_ambient_ppm if wide else p.co2_target_ppm
    band = p.co2_band_ppm / 2.0 if wide else p.co2_band_ppm
    if co2 < (target if was_on else target - band):
        return Desire(True, None, "CO2 {:.0f} ppm below {:.0f} ppm, vents at {:.0f} %", (co2, target, vents))
    return Desire(False, None, "CO2 {:.0f} ppm, target {:.0f} ppm reached", (co2, target))


def lamps(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """In the lamps' hours, on while daylight is low and the day's light integral is short of its target."""
    was_on = held is not None and held.on
    hour = s.local_hour
    start, stop = p.lamps_on_hour, p.lamps_off_hour
    in_hours = start <= hour < stop if start <= stop else (hour >= start or hour < stop)
    if not in_hours:
        return Desire(False, 0.0, "{:02d}:{:02d}, outside the lamps' hours", (int(hour), int(hour % 1 * 60)))
    dli = s.light_integral_mol_m2
    if dli >= p.daily_light_integral_mol_m2_d:
        return Desire(
            False,
            0.0,
            "Day's light integral {:.1f} mol m-2 reached {:.0f}",
            (dli, p.daily_light_integral_mol_m2_d),
        )
    natural = s.natural_par
    assert natural is not None
    if natural >= (p.lamps_off_par_umol_m2_s if was_on else p.lamps_on_par_umol_m2_s):
        return Desire(False, 0.0, "Daylight {:.0f} umol m-2 s-1", (natural,))
    return Desire(
        True,
        100.0,
        "Daylight {:.0f} umol m-2 s-1, light integral {:.1f} of {:.0f} mol m-2",
        (natural, dli, p.daily_light_integral_mol_m2_d),
    )


def irrigation(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Water below the dry line, stop a band above it."""
    was_on = held is not None and held.on
    water = s.substrate_pct
    assert water is not None
    if _below(water, p.irrigation_below_pct, p.irrigation_hysteresis_pct, was_on):
        return Desire(True, None, "Substrate {:.0f} % below {:.0f} %", (water, p.irrigation_below_pct))
    return Desire(False, None, "Substrate {:.0f} %", (water,))


def circulation(s: Situation, p: Setpoints, held: Desire | None) -> Desire:
    """Keep the air moving when it is humid or the heating runs."""
    was_on = held is not None and held.on
    vpd = s.vpd_kpa
    assert vpd is not None
    if _below(vpd, p.circulation_vpd_below_kpa, 0.1, was_on):
        return Desire(True, None, "VPD {:.2f} kPa below {:.1f} kPa", (vpd, p.circulation_vpd_below_kpa))
    heat = s.desired.get(DeviceKind.HEATING)
    if heat is not None and heat.on:
        return Desire(True, None, "Heating on, VPD {:.2f} kPa", (vpd,))
    return Desire(False, None, "VPD {:.2f} kPa", (vpd,))
