"""Fault detection, with the detection-time goals of the brief, on seeded synthetic greenhouses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from brain.contracts import SensorKey
from brain.estimator import Estimate, Estimator
from brain.estimator.vpd import saturation_vapour_pressure_kpa
from tests.estimator.synthetic import START, Row, fault_episodes, greenhouse, health_of, modify, run

HOUR = 3600.0


def _first_faulty(rows: list[Row], sensor: str, since_index: int) -> tuple[int, str, Estimate] | None:
    """(polls after ``since_index``, fault, estimate) of the first fault diagnosed on ``sensor``.

    Faulty or suspect: a drift leaves the sensor ``degraded`` with fault ``drift``.
    """
    for i, (_, estimate) in enumerate(run(rows)):
        if i >= since_index:
            _, fault = health_of(estimate, sensor)
            if fault != "none":
                return i - since_index, fault, estimate
    return None


def _index(step_s: float, hours: float) -> int:
    return int(hours * HOUR / step_s)


@pytest.mark.parametrize("step_s", [60.0, 300.0])
def test_fault_detection_stuck_at(step_s: float) -> None:
    """An RH sensor frozen in daytime is stuck within an hour; 'since' is when it froze."""
    base = greenhouse(days=2, step_s=step_s, seed=3)
    freeze = _index(step_s, 34)  # day 2, 10:00
    value = base[freeze].readings["relative_humidity_pct"]
    rows = modify(base, "relative_humidity_pct", lambda i, r: value, since=freeze)
    found = _first_faulty(rows, "relative_humidity_pct", freeze)
    assert found is not None
    polls, fault, estimate = found
    assert fault == "stuck_at"
    assert polls * step_s <= HOUR
    record = next(r for r in estimate.sensor_health if r.sensor.value == "relative_humidity_pct")
    assert record.since == rows[freeze].timestamp
    assert record.evidence is not None and record.evidence.value == 0.0
    assert estimate.state.relative_humidity_pct is None
    assert estimate.state.excluded_sensors == {"relative_humidity_pct": "stuck_at"}


@pytest.mark.parametrize(("step_s", "hour"), [(60.0, 20.0), (60.0, 2.0), (300.0, 10.0), (300.0, 20.0)])
def test_co2_holding_one_value_for_a_day_is_stuck_within_six_hours(step_s: float, hour: float) -> None:
    base = greenhouse(days=3, step_s=step_s, seed=4)
    start = _index(step_s, 24 + hour)
    value = base[start].readings["co2_ppm"]
    day = _index(step_s, 24)
    rows = modify(base, "co2_ppm", lambda i, r: value if start <= i < start + day else r.readings["co2_ppm"])
    found = _first_faulty(rows, "co2_ppm", start)
    assert found is not None and found[1] == "stuck_at"
    assert found[0] * step_s <= 6 * HOUR


@pytest.mark.parametrize("step_s", [60.0, 300.0])
@pytest.mark.parametrize(
    ("sensor", "size"), [("air_temperature_c", 8.0), ("relative_humidity_pct", -40.0), ("co2_ppm", 600.0)]
)
def test_fault_detection_jump(step_s: float, sensor: str, size: float) -> None:
    """A one-sample spike beyond what the quantity can do is flagged on the spike itself."""
    base = greenhouse(days=1, step_s=step_s, seed=5)
    spike = _index(step_s, 10)
    rows = modify(base, sensor, lambda i, r: r.readings[sensor] + size if i == spike else r.readings[sensor])
    found = _first_faulty(rows, sensor, spike)
    assert found is not None
    polls, fault, estimate = found
    assert (polls, fault) == (0, "jump")
    assert estimate.state.get(SensorKey(sensor)) is None
    # It ends at once, the sensor recovers, and it was one episode.
    episodes = fault_episodes(e for _, e in run(rows))
    assert episodes == {sensor: [(rows[spike].timestamp, "jump")]}


@pytest.mark.parametrize("step_s", [60.0, 300.0])
@pytest.mark.parametrize(
    ("sensor", "size"), [("air_temperature_c", 3.0), ("relative_humidity_pct", 15.0), ("co2_ppm", 150.0)]
)
def test_smaller_spike_is_flagged_when_it_comes_back(step_s: float, sensor: str, size: float) -> None:
    base = greenhouse(days=1, step_s=step_s, seed=6)
    spike = _index(step_s, 11)
    rows = modify(base, sensor, lambda i, r: r.readings[sensor] - size if i == spike else r.readings[sensor])
    found = _first_faulty(rows, sensor, spike)
    assert found is not None
    polls, fault, estimate = found
    assert (polls, fault) == (1, "jump")
    record = next(r for r in estimate.sensor_health if r.sensor.value == sensor)
    assert record.since == rows[spike].timestamp, "since: the spike, not its return"


def test_fault_detection_drift() -> None:
    """A temperature sensor drifting 0.4 degC/h from the second morning is flagged within a day."""
    step_s = 300.0
    base = greenhouse(days=3, step_s=step_s, seed=3)
    onset = _index(step_s, 30)  # day 2, 06:00
    rows = modify(
        base,
        "air_temperature_c",
        lambda i, r: round((r.readings["air_temperature_c"] or 0.0) + 0.4 * (i - onset) * step_s / HOUR, 2),
        since=onset,
    )
    found = _first_faulty(rows, "air_temperature_c", onset)
    assert found is not None
    polls, fault, estimate = found
    assert fault == "drift"
    assert polls * step_s <= 24 * HOUR
    # A suspect, not excluded: its value stays in the state (and anomalies are judged on it).
    assert health_of(estimate, "air_temperature_c") == ("degraded", "drift")
    assert estimate.state.air_temperature_c == rows[onset + polls].readings["air_temperature_c"]
    assert estimate.state.vpd_kpa is not None and estimate.state.excluded_sensors == {}
    assert estimate.confidence < 1.0
    record = next(r for r in estimate.sensor_health if r.sensor.value == "air_temperature_c")
    assert record.evidence is not None and record.evidence.value is not None and record.evidence.value >= 3.0
    # Humidity, which stayed right, is not blamed.
    assert health_of(estimate, "relative_humidity_pct") == ("ok", "none")


def test_humidity_drift_is_found_and_temperature_not_blamed() -> None:
    step_s = 300.0
    base = greenhouse(days=3, step_s=step_s, seed=8)
    onset = _index(step_s, 30)
    rows = modify(
        base,
        "relative_humidity_pct",
        lambda i, r: min(
            100.0, (r.readings["relative_humidity_pct"] or 0.0) + 1.5 * (i - onset) * step_s / HOUR
        ),
        since=onset,
    )
    found = _first_faulty(rows, "relative_humidity_pct", onset)
    assert found is not None and found[1] == "drift"
    assert found[0] * step_s <= 24 * HOUR
    assert "air_temperature_c" not in fault_episodes(e for _, e in run(rows))


@pytest.mark.parametrize("step_s", [60.0, 300.0])
def test_disconnect_within_three_polls(step_s: float) -> None:
    base = greenhouse(days=1, step_s=step_s, seed=2)
    cut = _index(step_s, 9)
    rows = modify(base, "co2_ppm", lambda i, r: None if cut <= i < cut + 10 else r.readings["co2_ppm"])
    statuses = [health_of(e, "co2_ppm") for i, (_, e) in enumerate(run(rows)) if cut <= i < cut + 3]
    assert statuses[0] == ("degraded", "none")  # held value, still used
    assert statuses[2] == ("faulty", "disconnect")


def test_held_value_is_used_then_stale() -> None:
    step_s = 300.0
    rows = modify(
        greenhouse(days=1, step_s=step_s, seed=2),
        "co2_ppm",
        lambda i, r: None if i in (100, 101) else r.readings["co2_ppm"],
    )
    estimates = [e for _, e in run(rows)]
    held, stale = estimates[100], estimates[101]
    assert held.state.co2_ppm == rows[99].readings["co2_ppm"]
    assert held.confidence == pytest.approx(1 - 0.15 + 0.15 * 0.5 * 0.0, abs=1e-9)  # 300 s old: freshness 0
    assert stale.state.co2_ppm is None and stale.state.excluded_sensors == {"co2_ppm": "stale"}


@pytest.mark.parametrize("value", [120.0, -5.0])
def test_impossible_humidity_is_flagged_on_that_poll(value: float) -> None:
    rows = modify(
        greenhouse(days=1, step_s=60.0, seed=2),
        "relative_humidity_pct",
        lambda i, r: value if i == 500 else r.readings["relative_humidity_pct"],
    )
    estimates = [e for _, e in run(rows)]
    assert health_of(estimates[500], "relative_humidity_pct") == ("faulty", "out_of_range")
    assert estimates[500].state.excluded_sensors == {"relative_humidity_pct": "out_of_range"}
    assert health_of(estimates[501], "relative_humidity_pct") == ("degraded", "none")  # recovering
    assert health_of(estimates[511], "relative_humidity_pct") == ("ok", "none")


def test_humidity_within_sensor_tolerance_is_clamped_not_faulty() -> None:
    rows = modify(
        greenhouse(days=1, step_s=60.0, seed=2),
        "relative_humidity_pct",
        lambda i, r: 101.5 if i == 300 else r.readings["relative_humidity_pct"],
    )
    estimate = [e for _, e in run(rows)][300]
    assert health_of(estimate, "relative_humidity_pct")[1] != "out_of_range"


@pytest.mark.parametrize("step_s", [60.0, 300.0])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_fault_flags_on_clean_days(step_s: float, seed: int) -> None:
    rows = greenhouse(days=3, step_s=step_s, seed=seed)
    assert fault_episodes(e for _, e in run(rows)) == {}


def test_missing_sensor_is_one_episode_and_lowers_confidence() -> None:
    """A configured sensor that never reads is one disconnect episode, excluded as missing."""
    rows = [
        row.with_reading("substrate_moisture_pct", None, "ADS1115 at 0x48: no ACK")
        for row in greenhouse(days=2, step_s=300.0, seed=1)
    ]
    estimates = [e for _, e in run(rows, Estimator(installed_sensors=list(SensorKey)))]
    assert fault_episodes(estimates) == {"substrate_moisture_pct": [(rows[2].timestamp, "disconnect")]}
    assert all(e.state.excluded_sensors == {"substrate_moisture_pct": "missing"} for e in estimates)
    assert health_of(estimates[0], "substrate_moisture_pct") == ("degraded", "none")
    record = next(r for r in estimates[-1].sensor_health if r.sensor.value == "substrate_moisture_pct")
    assert record.since == rows[0].timestamp
    assert {e.confidence for e in estimates[3:]} == {0.9}


def test_sporadic_read_errors_do_not_disconnect() -> None:
    """DHT-style: one failed read in five is a held value, never a disconnect, never a stuck sensor."""
    base = greenhouse(days=1, step_s=60.0, seed=9)
    rows = modify(
        base, "air_temperature_c", lambda i, r: None if i % 5 == 0 else r.readings["air_temperature_c"]
    )
    assert fault_episodes(e for _, e in run(rows)) == {}


def test_par_dark_all_night_is_not_stuck_but_a_lit_flat_day_is() -> None:
    base = greenhouse(days=3, step_s=300.0, seed=1)
    start = _index(300.0, 30)
    rows = modify(base, "par_umol_m2_s", lambda i, r: 310.0, since=start)
    found = _first_faulty(rows, "par_umol_m2_s", start)
    assert found is not None and found[1] == "stuck_at"
    assert found[0] * 300.0 == pytest.approx(24 * HOUR, abs=600)


def test_forward_gap_is_not_a_jump_and_restarts_flatness() -> None:
    base = greenhouse(days=1, step_s=60.0, seed=2)
    later = [Row(r.timestamp + timedelta(hours=5), r.readings) for r in base[700:760]]
    rows = base[:600] + later
    assert fault_episodes(e for _, e in run(rows)) == {}


def test_level_shift_is_one_short_jump_then_the_new_reference() -> None:
    """A real, fast change (heating switched on hard) is flagged once, then accepted as the new level."""
    base = greenhouse(days=1, step_s=60.0, seed=4)
    shift = _index(60.0, 3)
    rows = modify(
        base, "air_temperature_c", lambda i, r: (r.readings["air_temperature_c"] or 0.0) + 7.0, since=shift
    )
    estimates = [e for _, e in run(rows)]
    assert health_of(estimates[shift], "air_temperature_c") == ("faulty", "jump")
    assert health_of(estimates[shift + 1], "air_temperature_c") == ("degraded", "none")
    assert estimates[shift + 1].state.air_temperature_c == rows[shift + 1].readings["air_temperature_c"]
    assert fault_episodes(estimates) == {"air_temperature_c": [(rows[shift].timestamp, "jump")]}


def test_a_sensor_jumping_about_stays_faulty_until_it_settles() -> None:
    base = greenhouse(days=1, step_s=60.0, seed=4)
    start = _index(60.0, 3)
    wild = {start: 800.0, start + 1: -350.0, start + 2: 800.0}
    rows = modify(base, "co2_ppm", lambda i, r: r.readings["co2_ppm"] + wild.get(i, 0.0))
    statuses = [health_of(e, "co2_ppm") for i, (_, e) in enumerate(run(rows)) if start <= i <= start + 4]
    assert statuses[:3] == [("faulty", "jump")] * 3
    assert statuses[3][0] != "faulty"


def test_dark_par_is_never_stuck() -> None:
    from brain.estimator import EstimatorSettings
    from brain.estimator.health import SensorTracker

    tracker = SensorTracker(
        sensor=SensorKey.PAR_UMOL_M2_S, settings=EstimatorSettings.load().health, stale_after_s=300, gap_s=900
    )
    for minute in range(0, 26 * 60, 5):
        tracker.observe(minute * 60.0, gap=False, value=0.0, daylight=False, colocated=None)
        assert tracker.status.value == "ok" or minute == 0


def test_a_step_offset_is_drift_before_the_reference_catches_up() -> None:
    """A temperature sensor reading 7 degC high from one poll on: a jump, then an offset within 24 h."""
    step_s = 300.0
    base = greenhouse(days=3, step_s=step_s, seed=3)
    onset = _index(step_s, 30)
    rows = modify(
        base, "air_temperature_c", lambda i, r: (r.readings["air_temperature_c"] or 0.0) + 7.0, since=onset
    )
    episodes = fault_episodes(e for _, e in run(rows))
    faults = [fault for _, fault in episodes["air_temperature_c"]]
    assert faults == ["jump", "drift"]
    found = episodes["air_temperature_c"][1][0] - rows[onset].timestamp
    assert found <= timedelta(hours=24)


def test_drift_from_the_first_reading_is_found_by_the_large_offset_rule() -> None:
    step_s = 300.0
    base = greenhouse(days=3, step_s=step_s, seed=3)
    rows = modify(
        base,
        "air_temperature_c",
        lambda i, r: (r.readings["air_temperature_c"] or 0.0) + 0.4 * i * step_s / HOUR,
    )
    found = _first_faulty(rows, "air_temperature_c", 0)
    assert found is not None and found[1] == "drift"
    assert found[0] * step_s <= 48 * HOUR


def _freeze_frame(rows: list[Row], start: int, polls: int) -> list[Row]:
    """Every reading of ``polls`` rows from ``start`` repeats the frame of row ``start``."""
    frame = rows[start].readings
    return [
        replace(row, readings=dict(frame)) if start <= i < start + polls else row
        for i, row in enumerate(rows)
    ]


def test_a_feed_repeating_its_last_frame_is_stale_after_ten_minutes() -> None:
    """Every channel frozen together (a logger repeating its frame): stale, confidence 0, and it says why."""
    step_s = 60.0
    rows = greenhouse(days=1, step_s=step_s, seed=4)
    start = _index(step_s, 20)  # 20:00, dark: no single sensor's rule could call it this soon
    frozen = rows[start].readings
    rows = [
        row if not start <= i < start + 40 else replace(row, readings=dict(frozen))
        for i, row in enumerate(rows)
    ]
    estimates = [e for _, e in run(rows)]
    before = estimates[start + 9]
    assert before.confidence == 1.0, "9 minutes of a repeated frame is not yet a verdict"
    flagged = estimates[start + 10]
    assert flagged.confidence == 0.0
    assert set(flagged.state.excluded_sensors.values()) == {"stale"}
    for record in flagged.sensor_health:
        assert (record.status.value, record.fault.value) == ("faulty", "stuck_at")
        assert record.evidence is not None and record.evidence.statistic == "whole_frame_repeated_s"
        assert record.since == rows[start].timestamp
    assert estimates[start + 41].confidence > 0.0, "the feed is live again"


def test_a_short_repeated_frame_is_not_a_frozen_feed() -> None:
    """Four identical 5-minute frames (15 min, three repeats: OSU's live data has them) are not a freeze;
    the fifth makes one (20 min: ten minutes and four repeats)."""
    step_s = 300.0
    base = greenhouse(days=1, step_s=step_s, seed=4)
    start = _index(step_s, 2)

    def held(frames: int) -> list[float]:
        rows = [
            row if not start <= i < start + frames else replace(row, readings=dict(base[start].readings))
            for i, row in enumerate(base)
        ]
        return [e.confidence for _, e in run(rows)]

    assert all(confidence == 1.0 for confidence in held(4))
    assert held(5)[start + 4] == 0.0


def test_a_round_fill_value_is_stuck_within_half_an_hour_at_night() -> None:
    """CO2 held at exactly 400 at night (a logger's fill): no daylight rule needed, found in 30 min."""
    step_s = 300.0
    rows = greenhouse(days=1, step_s=step_s, seed=5)
    start = _index(step_s, 1)  # 01:00, dark
    rows = modify(rows, "co2_ppm", lambda i, r: 400.0 if start <= i < start + 24 else r.readings["co2_ppm"])
    found = _first_faulty(rows, "co2_ppm", start)
    assert found is not None
    polls, fault, estimate = found
    assert fault == "stuck_at" and polls * step_s == 1800.0
    record = next(r for r in estimate.sensor_health if r.sensor.value == "co2_ppm")
    assert record.evidence is not None and record.evidence.statistic == "round_value_held"
    assert record.evidence.value == 400.0 and record.since == rows[start].timestamp


def test_a_repeated_plain_value_needs_longer_than_a_round_one() -> None:
    step_s = 300.0
    rows = greenhouse(days=1, step_s=step_s, seed=5)
    start = _index(step_s, 1)
    rows = modify(rows, "co2_ppm", lambda i, r: 437.0 if start <= i < start + 24 else r.readings["co2_ppm"])
    found = _first_faulty(rows, "co2_ppm", start)
    assert found is not None and found[1] == "stuck_at" and found[0] * step_s == 5400.0


def test_humidity_swinging_with_the_air_temperature_is_not_a_jump() -> None:
    """Fans cycling: RH 72 -> 61 -> 72 % as the air warms 1.3 degC and back; the dew point barely moves."""
    step_s = 300.0
    rows = greenhouse(days=1, step_s=step_s, seed=6)
    start = _index(step_s, 21)
    swings = {start + k: k % 2 for k in range(12)}

    def temperature(i: int, row: Row) -> float | None:
        return 21.0 + 1.3 * swings[i] if i in swings else row.readings["air_temperature_c"]

    def humidity(i: int, row: Row) -> float | None:
        # RH at a constant vapour pressure of 1.80 kPa: a swing of 11 % with the temperature.
        if i not in swings:
            return row.readings["relative_humidity_pct"]
        return round(100.0 * 1.80 / saturation_vapour_pressure_kpa(temperature(i, row) or 0.0), 2)

    rows = modify(modify(rows, "air_temperature_c", temperature), "relative_humidity_pct", humidity)
    assert fault_episodes(e for _, e in run(rows)).get("relative_humidity_pct") is None


def test_a_humidity_glitch_moves_the_dew_point_and_is_a_jump() -> None:
    step_s = 300.0
    rows = greenhouse(days=1, step_s=step_s, seed=6)
    at = _index(step_s, 14)
    rows = modify(
        rows,
        "relative_humidity_pct",
        lambda i, r: (r.readings["relative_humidity_pct"] or 0.0) + (25.0 if i == at else 0.0),
    )
    found = _first_faulty(rows, "relative_humidity_pct", at)
    assert found is not None and found[1] == "jump"
    record = next(r for r in found[2].sensor_health if r.sensor.value == "relative_humidity_pct")
    assert record.evidence is not None and record.evidence.statistic.endswith("dew_point_step")


def _par_outage(step_s: float = 300.0) -> list[Row]:
    """Lamps all day and evening at one exact PAR value, dark at night, a half-value ramp reading at
    lamp-on: Cornell's frozen PAR (306.1078 from 2020-12-24 11:05 to 12-27 08:50 local)."""
    rows = greenhouse(days=3, step_s=step_s, seed=6)

    def frozen(i: int, row: Row) -> float:
        hour = (i * step_s / 3600.0) % 24.0
        if 4.0 <= hour < 8.0:
            return 0.0
        return 153.0539 if 8.0 <= hour < 8.0 + step_s / 3600.0 else 306.1078

    return modify(rows, "par_umol_m2_s", frozen)


def test_par_frozen_at_an_exact_value_is_one_fault_through_dark_hours_and_lamp_ramps() -> None:
    found = fault_episodes(e for _, e in run(_par_outage())).get("par_umol_m2_s", [])
    assert [fault for _, fault in found] == ["stuck_at"], found
    assert found[0][0] - START <= timedelta(hours=1, minutes=5)


def test_a_whole_percent_humidity_plateau_is_not_a_fault_but_a_fine_value_held_is() -> None:
    rows = greenhouse(days=1, step_s=300.0, seed=4)
    start = _index(300.0, 1)  # 01:00, dark: only the exact rule could call it this soon
    for held, expected in ((78.0, []), (89.6667, []), (71.3, ["stuck_at"])):
        plateau = modify(
            rows,
            "relative_humidity_pct",
            lambda i, r, v=held: v if start <= i < start + 18 else r.readings["relative_humidity_pct"],
        )
        found = fault_episodes(e for _, e in run(plateau)).get("relative_humidity_pct", [])
        assert [fault for _, fault in found] == expected, held


def test_a_group_of_channels_frozen_together_is_stuck_though_each_alone_is_a_plateau() -> None:
    """Temperature and humidity held at whole values (22.0 degC, 70 %) at night while CO2 moves: each
    alone is a coarse sensor's plateau; the two together for an hour are a frozen group."""
    step_s = 300.0
    rows = greenhouse(days=1, step_s=step_s, seed=4)
    start = _index(step_s, 1)  # 01:00, dark

    def hold(sensors: dict[str, float]) -> dict[str, list[tuple[datetime, str]]]:
        held = rows
        for sensor, value in sensors.items():
            held = modify(
                held, sensor, lambda i, r, v=value, s=sensor: v if start <= i < start + 16 else r.readings[s]
            )
        return fault_episodes(e for _, e in run(held))

    both = hold({"air_temperature_c": 22.0, "relative_humidity_pct": 70.0})
    for sensor in ("air_temperature_c", "relative_humidity_pct"):
        [(flagged, fault)] = both[sensor]
        assert fault == "stuck_at" and flagged == rows[start + 13].timestamp, (
            sensor
        )  # an hour, told a poll on
    assert "relative_humidity_pct" not in hold({"relative_humidity_pct": 70.0})
