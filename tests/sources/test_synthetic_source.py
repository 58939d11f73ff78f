"""SyntheticSource: seeded, schema-valid, and a greenhouse day a grower would recognise.

The physics checks are statistical over seeded days; the ranges are the ones a
tomato grower calls normal (docs/sources.md): 18-27 degC, RH 60-85 %, VPD
0.4-1.2 kPa, CO2 400-900 ppm, substrate 55-75 %.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.contracts import DEFAULT_DEVICES, SENSOR_KEYS, DeviceStatusV1, ObservationV1
from brain.errors import ConfigError, SourceError
from brain.sources.base import TimedSource
from brain.sources.synthetic.source import SyntheticSource
from tests.sources.conftest import SIM_START, SimulatedRun, simulate

Run = Callable[..., SimulatedRun]


def _bytes(run: SimulatedRun) -> bytes:
    lines = [o.model_dump_json() for o in run.observations] + [s.model_dump_json() for s in run.statuses]
    return "\n".join(lines).encode()


def test_seeded_generation_is_deterministic() -> None:
    scenarios = ["heatwave", "drift:co2_ppm@2h", "disconnect:par_umol_m2_s@3h,duration=20m"]
    first = simulate(seed=11, scenarios=scenarios, hours=6)
    second = simulate(seed=11, scenarios=scenarios, hours=6)
    assert _bytes(first) == _bytes(second)


def test_different_seeds_differ(synthetic_run: Run) -> None:
    one, other = synthetic_run(seed=7), synthetic_run(seed=8)
    assert one.series("air_temperature_c") != other.series("air_temperature_c")
    assert one.series("co2_ppm") != other.series("co2_ppm")
    # Same timestamps, same schema: only the draws differ.
    assert [o.timestamp for o in one.observations] == [o.timestamp for o in other.observations]


def test_diurnal_cycle_affects_output(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    night_t = statistics.mean(day.window("air_temperature_c", 2, 5))
    afternoon_t = statistics.mean(day.window("air_temperature_c", 12, 16))
    assert afternoon_t > night_t + 4.0
    # The warmest hour is after noon and before evening, the coolest in the night.
    hourly = [statistics.mean(day.window("air_temperature_c", h, h + 1)) for h in range(24)]
    assert 11 <= hourly.index(max(hourly)) <= 16
    assert hourly.index(min(hourly)) <= 5 or hourly.index(min(hourly)) >= 21
    assert max(day.window("par_umol_m2_s", 11, 14)) > 800.0
    assert max(day.window("par_umol_m2_s", 0, 3)) == 0.0


def test_scenario_injection_changes_signal(synthetic_run: Run) -> None:
    clean = synthetic_run(seed=7)
    faulty = synthetic_run(seed=7, scenarios=["spike:co2_ppm@3h"])
    before = [h < 3.0 for h in clean.hours()]
    clean_co2, faulty_co2 = clean.series("co2_ppm"), faulty.series("co2_ppm")
    assert [c for c, b in zip(clean_co2, before, strict=True) if b] == [
        f for f, b in zip(faulty_co2, before, strict=True) if b
    ]
    jumped = [
        f - c  # type: ignore[operator]
        for h, c, f in zip(clean.hours(), clean_co2, faulty_co2, strict=True)
        if 3.0 <= h < 3.0 + 10 / 60
    ]
    assert jumped == pytest.approx([400.0] * 10)
    # The other sensors are untouched: a fault changes what one sensor says, not the greenhouse.
    assert clean.series("air_temperature_c") == faulty.series("air_temperature_c")
    heatwave = synthetic_run(seed=7, scenarios=["heatwave"])
    assert max(heatwave.values("air_temperature_c")) > max(clean.values("air_temperature_c")) + 5.0


def test_observations_match_observation_v1_schema(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    assert len(day.observations) == 24 * 60
    for observation, status in zip(day.observations, day.statuses, strict=True):
        assert ObservationV1.model_validate_json(observation.model_dump_json()) == observation
        assert observation.source == "synthetic"
        assert observation.site_id == "greenhouse-test"
        assert all(observation.sensors.get(key) is not None for key in SENSOR_KEYS)
        assert observation.errors == {}
        assert DeviceStatusV1.model_validate_json(status.model_dump_json()) == status
        assert tuple(status.devices) == DEFAULT_DEVICES
        assert status.timestamp == observation.timestamp


@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_normal_day_stays_within_tomato_ranges(synthetic_run: Run, seed: int) -> None:
    day = synthetic_run(seed=seed)
    ranges = {
        "air temperature": (day.values("air_temperature_c"), 18.0, 27.0),
        "relative humidity": (day.values("relative_humidity_pct"), 60.0, 85.0),
        "VPD": (day.vpd_kpa(), 0.4, 1.2),
        "CO2": (day.values("co2_ppm"), 400.0, 900.0),
        "PAR": (day.values("par_umol_m2_s"), 0.0, 1500.0),
        "substrate moisture": (day.values("substrate_moisture_pct"), 55.0, 75.0),
    }
    for name, (values, low, high) in ranges.items():
        assert low <= min(values), name
        assert max(values) <= high, name
    assert max(day.values("par_umol_m2_s")) >= 1000.0, "a June noon is bright"


def test_relative_humidity_moves_against_temperature(synthetic_run: Run) -> None:
    for seed in (1, 7, 2026):
        day = synthetic_run(seed=seed)
        correlation = statistics.correlation(
            day.values("air_temperature_c"), day.values("relative_humidity_pct")
        )
        assert correlation < -0.4, seed
    day = synthetic_run(seed=7)
    assert statistics.mean(day.window("relative_humidity_pct", 13, 16)) < statistics.mean(
        day.window("relative_humidity_pct", 1, 4)
    )


def test_par_is_zero_at_night_and_bell_shaped_by_day(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    assert set(day.window("par_umol_m2_s", 0, 3.5)) == {0.0}
    assert set(day.window("par_umol_m2_s", 21.5, 24)) == {0.0}
    hourly = [statistics.mean(day.window("par_umol_m2_s", h, h + 1)) for h in range(24)]
    peak = hourly.index(max(hourly))
    assert 10 <= peak <= 13
    # Rising through the morning, falling through the afternoon (the lamps top up the shoulders).
    assert hourly[6] < hourly[8] < hourly[10]
    assert hourly[13] > hourly[15] > hourly[17]


def test_co2_is_drawn_down_by_day_and_rises_at_night(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    assert (
        statistics.mean(day.window("co2_ppm", 13.5, 14.5))
        < statistics.mean(day.window("co2_ppm", 3.5, 4.5)) - 40
    )
    # With no light and the vents shut, respiration builds CO2 up towards dawn from its evening level.
    assert statistics.mean(day.window("co2_ppm", 0, 0.5)) > 450


def test_heater_runs_only_when_cold_or_humid(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    temperature, heater = day.series("air_temperature_c"), day.relay("heater")
    heated = [t for t, on in zip(temperature, heater, strict=True) if on]
    assert sum(on for on, h in zip(heater, day.hours(), strict=True) if h < 4) > 200, "cold night: heater on"
    assert heated and max(heated) < 22.5  # type: ignore[type-var]
    # By day the heater runs only to dry the air ("heat and vent", the vents already at their limit).
    humidity = day.series("relative_humidity_pct")
    midday = [rh for rh, on, h in zip(humidity, heater, day.hours(), strict=True) if on and 11 <= h < 16]
    assert all(rh is not None and rh > 74.0 for rh in midday)
    assert not any(on for on, h in zip(heater, day.hours(), strict=True) if 13 <= h < 16)


def test_vent_fan_runs_when_warm_or_humid(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    air, humidity = day.series("air_temperature_c"), day.series("relative_humidity_pct")
    vented = [(t, rh) for t, rh, on in zip(air, humidity, day.relay("vent_fan"), strict=True) if on]
    assert len(vented) > 60
    assert any(t is not None and t > 21.0 for t, _ in vented)
    # Below the ventilation line the vents open only for humidity (the line is 76 % RH; a vent
    # opened at it dries the air a few percent before the next reading).
    assert all(t is not None and rh is not None and (t > 21.0 or rh > 70.0) for t, rh in vented)


def test_pump_runs_at_irrigation_jumps(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    moisture, pump = day.series("substrate_moisture_pct"), day.relay("irrigation_pump")
    rises = [
        i
        for i in range(len(moisture) - 5)
        if moisture[i + 5] - moisture[i] > 1.5  # type: ignore[operator]
    ]
    assert rises, "irrigation shots must show as jumps in substrate moisture"
    for i in rises:
        assert any(pump[i : i + 5]), f"moisture jump at minute {i} without the pump on"
    # And the pump never runs without the slab wetting up within its shot.
    for i, on in enumerate(pump[:-5]):
        if on:
            assert max(moisture[i + 1 : i + 6]) > moisture[i]  # type: ignore[operator]
    # Between shots the slab dries: overnight it only falls.
    night = day.window("substrate_moisture_pct", 0, 4)
    assert night[0] - night[-1] > 0.8


def test_weather_does_not_depend_on_poll_interval(synthetic_run: Run) -> None:
    fine = synthetic_run(seed=5, poll_interval_s=60.0)
    coarse = synthetic_run(seed=5, poll_interval_s=300.0)
    fine_by_time = {o.timestamp: (o, s) for o, s in zip(fine.observations, fine.statuses, strict=True)}
    assert len(coarse.observations) == 288
    for observation, status in zip(coarse.observations, coarse.statuses, strict=True):
        twin, twin_status = fine_by_time[observation.timestamp]
        assert status.devices == twin_status.devices  # relays are noise-free: the same physics
        for key, tolerance in (("air_temperature_c", 0.4), ("relative_humidity_pct", 2.5), ("co2_ppm", 40.0)):
            assert abs(getattr(observation.sensors, key) - getattr(twin.sensors, key)) < tolerance


def test_signals_are_continuous_at_ten_second_polls(synthetic_run: Run) -> None:
    run = synthetic_run(seed=5, hours=12.0, poll_interval_s=10.0)
    limits = {
        "air_temperature_c": 0.5,
        "relative_humidity_pct": 2.5,
        "co2_ppm": 40.0,
        "par_umol_m2_s": 60.0,
        "substrate_moisture_pct": 0.6,
    }
    for key, limit in limits.items():
        steps = [abs(b - a) for a, b in pairwise(run.values(key))]
        assert max(steps) < limit, key


@settings(max_examples=25, deadline=None)
@given(
    poll=st.floats(min_value=30.0, max_value=7200.0, allow_nan=False),
    hours=st.floats(min_value=0.0, max_value=8.0, allow_nan=False),
)
def test_timestamps_step_by_the_poll_interval_until_the_duration(poll: float, hours: float) -> None:
    duration = hours * 3600.0
    source = SyntheticSource(
        seed=1, start=SIM_START, poll_interval_s=poll, duration_s=duration, site_id="greenhouse-test"
    )
    assert isinstance(source, TimedSource)
    stamps = []
    while (observation := source.next_observation()) is not None:
        stamps.append(observation.timestamp)
    expected = [SIM_START + timedelta(seconds=k * poll) for k in range(len(stamps))]
    assert stamps == expected
    assert all(k * poll < duration for k in range(len(stamps)))
    assert len(stamps) * poll >= duration


def test_a_day_at_60_s_gives_1440_observations_ending_before_midnight(
    synthetic_normal_day: SimulatedRun,
) -> None:
    stamps = [o.timestamp for o in synthetic_normal_day.observations]
    assert len(stamps) == 1440
    assert stamps[0] == SIM_START
    assert stamps[-1] == SIM_START + timedelta(hours=23, minutes=59)


def test_local_time_follows_the_start_offset() -> None:
    plus_two = timezone(timedelta(hours=2))
    start = datetime(2026, 6, 1, tzinfo=plus_two)
    run = simulate(seed=7, hours=24, start=start, poll_interval_s=600.0)
    assert run.observations[0].timestamp.utcoffset() == timedelta(hours=2)
    # Midnight in the start's own offset is dark; local noon is bright.
    by_local_hour = {o.timestamp.hour: o.sensors.par_umol_m2_s for o in run.observations}
    assert by_local_hour[1] == 0.0
    assert by_local_hour[12] > 800.0  # type: ignore[operator]


def test_device_status_before_the_first_observation_is_an_error() -> None:
    source = SyntheticSource(seed=1, start=SIM_START, poll_interval_s=60, duration_s=600, site_id="gh")
    with pytest.raises(SourceError, match="before the first observation"):
        source.device_status()


def test_close_ends_the_stream() -> None:
    source = SyntheticSource(seed=1, start=SIM_START, poll_interval_s=60, duration_s=3600, site_id="gh")
    assert source.next_observation() is not None
    source.close()
    assert source.next_timestamp() is None
    assert source.next_observation() is None
    assert source.device_status().timestamp == SIM_START  # the last poll's relays stay readable


def test_devices_the_model_does_not_know_read_unknown() -> None:
    source = SyntheticSource(
        seed=1,
        start=SIM_START,
        poll_interval_s=60,
        duration_s=60,
        site_id="gh",
        devices=["heater", "heater_2"],
    )
    source.next_observation()
    assert source.device_status().devices == {"heater": "on", "heater_2": "unknown"}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"start": datetime(2026, 6, 1)}, "simulation.start"),  # naive on purpose
        ({"poll_interval_s": 0.0}, "poll_interval_s"),
        ({"poll_interval_s": float("nan")}, "poll_interval_s"),
        ({"duration_s": -1.0}, "simulation.duration_hours"),
        ({"site_id": "green house"}, "site_id"),
        ({"latitude_deg": 80.0}, "latitude_deg"),
    ],
)
def test_settings_the_simulation_cannot_honour_are_config_errors(
    changes: dict[str, object], key: str
) -> None:
    arguments: dict[str, object] = {
        "seed": 1,
        "start": datetime(2026, 6, 1, tzinfo=UTC),
        "poll_interval_s": 60.0,
        "duration_s": 600.0,
        "site_id": "gh",
    }
    arguments.update(changes)
    with pytest.raises(ConfigError) as raised:
        SyntheticSource(**arguments)  # type: ignore[arg-type]
    assert raised.value.key == key


def test_a_live_sensor_never_looks_stuck(synthetic_normal_day: SimulatedRun) -> None:
    """Noise and resolution keep every live reading moving, so a stuck sensor stands out.

    Within any 30 minutes each sensor reports more than one value (PAR only in
    light: darkness reads exactly 0, as a quantum sensor does).
    """
    day = synthetic_normal_day
    for key in ("air_temperature_c", "relative_humidity_pct", "co2_ppm", "substrate_moisture_pct"):
        values = day.values(key)
        for start in range(0, len(values) - 30, 10):
            assert len(set(values[start : start + 30])) > 2, (key, start)
    par = day.values("par_umol_m2_s")
    for start in range(0, len(par) - 30, 10):
        window = par[start : start + 30]
        if min(window) > 10.0:
            assert len(set(window)) > 20


def test_readings_carry_each_sensors_resolution(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    for key, decimals in (
        ("air_temperature_c", 2),
        ("relative_humidity_pct", 1),
        ("co2_ppm", 0),
        ("par_umol_m2_s", 1),
        ("substrate_moisture_pct", 1),
    ):
        values = day.values(key)
        assert all(round(v, decimals) == v for v in values), key
        assert any(round(v, decimals - 1) != v for v in values), f"{key} uses its last digit"


def test_lights_dosing_misting_and_circulation_are_plausible(synthetic_normal_day: SimulatedRun) -> None:
    day = synthetic_normal_day
    hours, par, co2 = day.hours(), day.series("par_umol_m2_s"), day.series("co2_ppm")
    lit = [(h, p) for h, p, on in zip(hours, par, day.relay("grow_lights"), strict=True) if on]
    assert lit, "LEDs top up the dim edges of the day"
    assert all(5.0 <= h < 21.0 and p < 200.0 for h, p in lit)  # type: ignore[operator]
    dosing = [(p, c) for p, c, on in zip(par, co2, day.relay("co2_valve"), strict=True) if on]
    assert dosing and all(p > 100.0 and c < 820.0 for p, c in dosing)  # type: ignore[operator]
    assert not any(on for on, h in zip(day.relay("co2_valve"), hours, strict=True) if h < 4.0)
    vpd = day.vpd_kpa()
    misting = [(h, v) for h, v, on in zip(hours, vpd, day.relay("misting"), strict=True) if on]
    assert misting and all(8.0 <= h <= 21.0 and v > 0.8 for h, v in misting)
    # Circulation fans run while the house is shut (all night) and stop when the vents are wide open.
    assert all(on for on, h in zip(day.relay("circulation_fan"), hours, strict=True) if h < 4.0)
    assert not all(day.relay("circulation_fan"))
