"""Scenarios: parsed from text, listed by help, and visible in the signal where and when asked.

The climate thresholds the scenarios must cross are a tomato grower's (docs/sources.md):
heat stress above 30 degC and critical above 35 degC, chilling below 10 degC,
botrytis risk above 90 % RH / below 0.3 kPa VPD, CO2 starvation well below 300 ppm.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.contracts import SensorKey
from brain.errors import ConfigError
from brain.sources.synthetic.scenarios import (
    DISCONNECT_ERROR,
    DRIFT_PER_H,
    SCENARIOS,
    parse_scenario,
    scenario_help,
)
from tests.sources.conftest import SimulatedRun

Run = Callable[..., SimulatedRun]
MINUTE = 1 / 60


def _hours_where(run: SimulatedRun, flags: list[bool]) -> float:
    return sum(flags) * (run.hours()[1] - run.hours()[0])


# --- parsing -------------------------------------------------------------------------------------


def test_parse_a_climate_scenario() -> None:
    scenario = parse_scenario(" heatwave ")
    assert (scenario.name, scenario.sensor, scenario.start_s, scenario.duration_s) == (
        "heatwave",
        None,
        0.0,
        math.inf,
    )
    assert scenario.params == {"min": 20.0, "max": 33.0, "dew_point": 17.0}
    assert scenario.text == "heatwave"


def test_parse_a_fault_with_offset_and_parameters() -> None:
    scenario = parse_scenario("drift:air_temperature_c@6h,rate=0.4")
    assert scenario.name == "drift"
    assert scenario.sensor is SensorKey.AIR_TEMPERATURE_C
    assert scenario.start_s == 6 * 3600
    assert scenario.params == {"rate": 0.4}
    assert parse_scenario("spike:co2_ppm@3h").params == {"size": 400.0}
    assert parse_scenario("spike:co2_ppm@3h").duration_s == 600.0
    assert parse_scenario("heatwave@24h,max=36").params["max"] == 36.0


@pytest.mark.parametrize(
    ("offset", "seconds"),
    [("3h", 10800.0), ("90m", 5400.0), ("45s", 45.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("0", 0.0)],
)
def test_offsets_accept_hours_minutes_and_seconds(offset: str, seconds: float) -> None:
    assert parse_scenario(f"disconnect:co2_ppm@{offset}").start_s == seconds


def test_duration_is_a_parameter_of_every_scenario() -> None:
    assert parse_scenario("disconnect:co2_ppm@1h,duration=20m").duration_s == 1200.0
    assert parse_scenario("humid_night,duration=8h").duration_s == 8 * 3600.0


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("meteor", "unknown scenario 'meteor'; known: normal, heatwave"),
        ("spike:co2@3h", "unknown sensor 'co2'"),
        ("spike@3h", "spike needs a sensor"),
        ("heatwave:co2_ppm", "takes no sensor"),
        ("spike:co2_ppm@3x", "bad time '3x'"),
        ("spike:co2_ppm@", "bad time ''"),
        ("drift:co2_ppm@1h,speed=3", "drift has no parameter 'speed'; it takes: rate, duration"),
        ("drift:co2_ppm@1h,rate=fast", "must be a finite number"),
        ("drift:co2_ppm@1h,rate=nan", "must be a finite number"),
        ("drift:co2_ppm@1h,rate", "write KEY=VALUE"),
        ("spike:co2_ppm@1h,duration=soon", "bad time 'soon'"),
        ("heatwave,max=300", "must lie within -60..60"),
        ("drift:co2_ppm@1h,rate=1e308", "must lie within -1e+06..1e+06"),
        ("3 heatwaves!", "cannot read scenario"),
        ("", "cannot read scenario"),
    ],
)
def test_parse_errors_are_config_errors_that_say_what_to_write(text: str, hint: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_scenario(text)
    assert raised.value.key == "simulation.scenarios"
    assert hint in str(raised.value)
    assert "--scenario help" in str(raised.value)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=60)
    | st.from_regex(r"[a-z_]{1,12}(:[a-z_]{1,25})?(@[0-9hms.]{0,6})?(,[a-z]+=[^,]{0,6}){0,2}")
)
def test_parse_scenario_either_parses_or_says_what_is_wrong(text: str) -> None:
    try:
        scenario = parse_scenario(text)
    except ConfigError as error:
        assert error.key == "simulation.scenarios"
        return
    assert scenario.name in SCENARIOS
    assert scenario.start_s >= 0.0 and scenario.duration_s >= 0.0


def test_scenario_help_lists_every_registered_scenario() -> None:
    text = scenario_help()
    for name, kind in SCENARIOS.items():
        assert name in text
        assert kind.summary in text
        for parameter in kind.params:
            assert f"{parameter}=" in text
    for key in SensorKey:
        assert key.value in text
    assert "spike:co2_ppm@3h" in text


def test_scenario_help_says_drift_needs_several_days() -> None:
    # In a one-day run drift shows nothing: its reference is the previous days' readings.
    entry = scenario_help().split("\ndrift:SENSOR@OFFSET\n")[1].split("\ndisconnect:")[0]
    assert "several simulated days" in entry and "previous days' readings" in entry
    assert "--duration-hours 72" in scenario_help()


# --- climate scenarios ---------------------------------------------------------------------------


def test_normal_changes_nothing(synthetic_run: Run) -> None:
    assert synthetic_run(seed=7, scenarios=["normal"]).observations == synthetic_run(seed=7).observations


def test_heatwave_crosses_the_heat_thresholds(synthetic_run: Run) -> None:
    run = synthetic_run(seed=7, scenarios=["heatwave"])
    temperature = run.series("air_temperature_c")
    above_30 = [t > 30.0 for t in temperature]  # type: ignore[operator]
    above_35 = [t > 35.0 for t in temperature]  # type: ignore[operator]
    assert _hours_where(run, above_30) >= 4.0
    assert _hours_where(run, above_35) >= 1.0
    afternoon = [h for h, hot in zip(run.hours(), above_35, strict=True) if hot]
    assert min(afternoon) >= 12.0 and max(afternoon) <= 18.0
    assert all(vent for vent, hot in zip(run.relay("vent_fan"), above_30, strict=True) if hot)


def test_cold_night_falls_below_10_degrees_with_the_heater_on(synthetic_run: Run) -> None:
    run = synthetic_run(seed=7, scenarios=["cold_night"])
    chilled = [t < 10.0 for t in run.series("air_temperature_c")]  # type: ignore[operator]
    assert _hours_where(run, chilled) >= 2.0
    hours = [h for h, cold in zip(run.hours(), chilled, strict=True) if cold]
    assert min(hours) >= 0.0 and max(hours) <= 8.0, "chilling happens at night"
    assert all(on for on, cold in zip(run.relay("heater"), chilled, strict=True) if cold)


def test_humid_night_brings_botrytis_weather(synthetic_run: Run) -> None:
    run = synthetic_run(seed=7, scenarios=["humid_night"])
    night = [h < 5.0 or h >= 21.0 for h in run.hours()]
    humid = [rh > 90.0 for rh in run.series("relative_humidity_pct")]  # type: ignore[operator]
    assert _hours_where(run, [a and b for a, b in zip(night, humid, strict=True)]) >= 3.0
    night_vpd = [v for v, n in zip(run.vpd_kpa(), night, strict=True) if n]
    assert sum(v < 0.3 for v in night_vpd) * (run.hours()[1] - run.hours()[0]) >= 3.0


def test_co2_depletion_starves_the_crop_in_daylight(synthetic_run: Run) -> None:
    run = synthetic_run(seed=7, scenarios=["co2_depletion"])
    daylight = [p > 100.0 for p in run.series("par_umol_m2_s")]  # type: ignore[operator]
    starved = [c < 280.0 for c in run.series("co2_ppm")]  # type: ignore[operator]
    assert _hours_where(run, [a and b for a, b in zip(daylight, starved, strict=True)]) >= 3.0
    assert not any(run.relay("vent_fan")), "the vents are held shut"
    assert not any(run.relay("co2_valve")), "the tank is empty"


def test_a_climate_scenario_starts_at_its_offset(synthetic_run: Run) -> None:
    clean = synthetic_run(seed=7)
    late = synthetic_run(seed=7, scenarios=["heatwave@12h"])
    cut = run_index(clean, 12.0)
    assert late.observations[:cut] == clean.observations[:cut]
    assert late.observations[cut + 60 :] != clean.observations[cut + 60 :]


# --- sensor faults -------------------------------------------------------------------------------


def run_index(run: SimulatedRun, hour: float) -> int:
    return next(i for i, h in enumerate(run.hours()) if h >= hour - 1e-9)


@pytest.mark.parametrize("sensor", [key.value for key in SensorKey])
@pytest.mark.parametrize("fault", ["stuck_at", "spike", "drift", "disconnect"])
def test_each_fault_shows_where_and_when_it_was_asked_for(
    synthetic_run: Run, fault: str, sensor: str
) -> None:
    clean = synthetic_run(seed=7, hours=8.0)
    faulty = synthetic_run(seed=7, hours=8.0, scenarios=[f"{fault}:{sensor}@5h"])
    onset = run_index(clean, 5.0)
    # Not before: everything up to the onset is byte for byte the clean run.
    assert faulty.observations[:onset] == clean.observations[:onset]
    # Only the chosen sensor changes.
    for other in SensorKey:
        if other.value != sensor:
            assert faulty.series(other.value) == clean.series(other.value)
    after_clean, after_faulty = clean.series(sensor)[onset:], faulty.series(sensor)[onset:]
    if fault == "stuck_at":
        assert set(after_faulty) == {after_clean[0]}
        assert len(set(after_clean)) > 1 or sensor == "par_umol_m2_s"
    elif fault == "spike":
        size = parse_scenario(f"spike:{sensor}@5h").params["size"]
        deltas = [f - c for c, f in zip(after_clean, after_faulty, strict=True)]  # type: ignore[operator]
        assert deltas[:10] == pytest.approx([size] * 10)
        assert deltas[10:] == pytest.approx([0.0] * len(deltas[10:]))
    elif fault == "drift":
        rate = DRIFT_PER_H[SensorKey(sensor)]
        deltas = [f - c for c, f in zip(after_clean, after_faulty, strict=True)]  # type: ignore[operator]
        expected = [rate * k * MINUTE for k in range(len(deltas))]
        assert deltas == pytest.approx(expected, abs=1e-6)
    else:
        assert set(after_faulty) == {None}
        assert all(o.errors == {sensor: DISCONNECT_ERROR} for o in faulty.observations[onset:])


def test_stuck_at_can_pin_a_value_and_faults_can_end(synthetic_run: Run) -> None:
    pinned = synthetic_run(seed=7, hours=6.0, scenarios=["stuck_at:relative_humidity_pct@2h,value=55.5"])
    assert set(pinned.window("relative_humidity_pct", 2.0, 6.0)) == {55.5}
    healed = synthetic_run(seed=7, hours=6.0, scenarios=["disconnect:co2_ppm@2h,duration=30m"])
    assert set(healed.series("co2_ppm")[120:150]) == {None}
    assert None not in healed.series("co2_ppm")[150:]
    assert healed.observations[150].errors == {}


def test_faults_stack_in_the_order_given(synthetic_run: Run) -> None:
    run = synthetic_run(
        seed=7, hours=4.0, scenarios=["disconnect:co2_ppm@1h,duration=1h", "stuck_at:co2_ppm@1h30m"]
    )
    co2 = run.series("co2_ppm")
    # Disconnected when the stuck fault began: null, and the read error stays in `errors`.
    assert set(co2[90:120]) == {None}
    assert run.observations[100].errors == {"co2_ppm": DISCONNECT_ERROR}
    # Reconnected at 2 h, it comes back stuck at its first reading.
    assert len(set(co2[120:])) == 1 and co2[120] is not None
    assert run.observations[130].errors == {}
