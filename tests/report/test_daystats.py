"""The day's figures against what they must be: hand-computable days and the simulated heatwave's raw file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brain.contracts import SensorKey
from brain.estimator import vpd_kpa
from brain.report.days import resolve_zone
from brain.report.daystats import VPD
from brain.report.report import summarise_day
from tests.report.conftest import DAY

UTC_ZONE = resolve_zone(None, None)


def test_a_steady_day_gives_the_figures_a_grower_would_compute(steady_root: Path) -> None:
    summary, _ = summarise_day(steady_root, DAY, UTC_ZONE)

    # 12 h at 500 umol/m2/s: 500 x 43,200 s / 1e6 = 21.6 mol/m2/day.
    assert summary.dli_mol_m2_d == pytest.approx(21.6)
    assert summary.temperature_means == {"day": 26.0, "night": 18.0, "24h": 22.0}
    assert summary.completeness_pct == 100.0
    assert summary.poll_interval_s == 60.0
    assert summary.gaps == []
    assert summary.notes == []
    assert summary.day_basis.startswith("PAR above")
    # 26 degC / 70 % is 1.008 kPa (in band); 18 degC / 70 % is 0.619 kPa (in band too).
    assert summary.vpd_in_band_pct == 100.0
    assert summary.stats[VPD].maximum is not None
    assert summary.stats[VPD].maximum.value == pytest.approx(vpd_kpa(26.0, 70.0))


def test_the_day_vpd_maximum_is_the_highest_of_every_observation_not_of_the_states(
    heatwave_root: Path,
) -> None:
    summary, _ = summarise_day(heatwave_root, DAY, UTC_ZONE)
    observations = [
        json.loads(line)
        for line in next(heatwave_root.glob("run_*/observations.0000.jsonl")).read_text().splitlines()
    ]
    states = [
        json.loads(line)
        for line in next(heatwave_root.glob("run_*/state.0000.jsonl")).read_text().splitlines()
    ]
    raw = [
        vpd_kpa(o["sensors"]["air_temperature_c"], o["sensors"]["relative_humidity_pct"])
        for o in observations
    ]

    peak = summary.stats[VPD].maximum
    assert peak is not None
    assert peak.value == pytest.approx(max(raw))
    assert peak.value > max(s["vpd_kpa"] for s in states)  # the 15-minute states miss the true peak
    assert summary.observation_count == len(observations) == 1440


def test_a_gap_of_hours_is_named_and_lowers_completeness(gap_root: Path) -> None:
    summary, _ = summarise_day(gap_root, DAY, UTC_ZONE)

    assert [(g.start.hour, g.start.minute, g.hours) for g in summary.gaps] == [(2, 0, 3.5)]
    assert summary.completeness_pct == pytest.approx(100 * (1440 - 210) / 1440)
    assert "No observations from 02:00 to 05:30 (3.5 h)." in summary.notes


def test_a_greenhouse_without_par_sensor_has_no_light_integral_and_says_why(no_par_root: Path) -> None:
    summary, _ = summarise_day(no_par_root, DAY, UTC_ZONE)

    assert summary.dli_mol_m2_d is None
    assert summary.stats[SensorKey.PAR_UMOL_M2_S.value].readings == 0
    assert summary.notes == [
        "No PAR readings all day (not in source log): no light integral, day and night by the clock."
    ]
    assert "no PAR readings" in summary.day_basis  # day and night by the clock instead
    # By the clock, day is 06:00-20:00: twelve warm hours at 26 degC and two cool ones at 18 degC.
    assert summary.temperature_means["day"] == pytest.approx((12 * 26.0 + 2 * 18.0) / 14)
    assert summary.temperature_means["night"] == 18.0


def test_a_sensor_faulty_all_day_is_left_out_and_said(stuck_root: Path) -> None:
    second = DAY.replace(day=DAY.day + 1)
    summary, _ = summarise_day(stuck_root, second, UTC_ZONE)
    rh = summary.series[SensorKey.RELATIVE_HUMIDITY_PCT.value]

    assert rh.values == [] and len(rh.excluded_values) == 1440
    assert summary.stats[VPD].maximum is None  # no VPD without a trusted humidity
    assert any(note.startswith("Relative humidity sensor faulty: stuck_at all day") for note in summary.notes)
    assert summary.stats[SensorKey.AIR_TEMPERATURE_C.value].readings == 1440


def test_an_empty_day_says_there_is_nothing(heatwave_root: Path) -> None:
    summary, _ = summarise_day(heatwave_root, DAY.replace(day=DAY.day + 3), UTC_ZONE)

    assert summary.observation_count == 0
    assert summary.notes == ["No observations on this day: nothing to draw or to compute."]


def test_local_days_cut_a_utc_folder_at_the_site_midnight(heatwave_root: Path) -> None:
    amsterdam = resolve_zone(None, "Europe/Amsterdam")  # UTC+2 in June
    summary, _ = summarise_day(heatwave_root, DAY, amsterdam)

    assert summary.observation_count == 1440 - 120  # 00:00-02:00 local is the previous UTC day, not simulated
    assert summary.gaps[0].start == summary.window.start and summary.gaps[0].hours == pytest.approx(2.0)
    assert amsterdam.origin == "configuration"
