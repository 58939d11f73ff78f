from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.estimator.vpd import (
    MAGNUS_A_KPA,
    PsychrometricInputError,
    dew_point_c,
    saturation_vapour_pressure_kpa,
    vpd_and_dew_point,
    vpd_kpa,
)
from tests.fixtures.vpd_reference_cases import (
    DEW_POINT_ABS_TOL_C,
    SATURATION_REL_TOL,
    VPD_ABS_TOL_KPA,
    VPD_REFERENCE_CASES,
    VPD_REL_TOL,
)

temperatures = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
humidities = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


def test_vpd_matches_reference_values() -> None:
    for case in VPD_REFERENCE_CASES:
        assert saturation_vapour_pressure_kpa(case.temp_c) == pytest.approx(
            case.saturation_kpa, rel=SATURATION_REL_TOL
        ), case
        assert vpd_kpa(case.temp_c, case.rh_pct) == pytest.approx(
            case.vpd_kpa, rel=VPD_REL_TOL, abs=VPD_ABS_TOL_KPA
        ), case
        if case.dew_point_c is not None and case.dew_point_c > 0:
            assert dew_point_c(case.temp_c, case.rh_pct) == pytest.approx(
                case.dew_point_c, abs=DEW_POINT_ABS_TOL_C
            )


def test_vpd_handles_edge_cases() -> None:
    # Saturated air: no deficit, dew point equals the air temperature.
    assert vpd_kpa(25.0, 100.0) == 0.0
    assert dew_point_c(25.0, 100.0) == pytest.approx(25.0, abs=1e-9)
    # Dry air: the deficit is the whole saturation pressure; the dew point is undefined.
    assert vpd_kpa(25.0, 0.0) == saturation_vapour_pressure_kpa(25.0)
    with pytest.raises(PsychrometricInputError, match="undefined"):
        dew_point_c(25.0, 0.0)
    assert vpd_and_dew_point(25.0, 0.0) == (saturation_vapour_pressure_kpa(25.0), None)
    # 0 degC is the formula's anchor.
    assert saturation_vapour_pressure_kpa(0.0) == MAGNUS_A_KPA
    for bad_rh in (-0.1, 100.1, math.nan, math.inf, -math.inf):
        with pytest.raises(PsychrometricInputError):
            vpd_kpa(20.0, bad_rh)
        with pytest.raises(PsychrometricInputError):
            dew_point_c(20.0, bad_rh)
    for bad_t in (math.nan, math.inf, -math.inf, -300.0):
        with pytest.raises(PsychrometricInputError):
            saturation_vapour_pressure_kpa(bad_t)
        with pytest.raises(PsychrometricInputError):
            dew_point_c(bad_t, 50.0)
    assert issubclass(PsychrometricInputError, ValueError)


def test_accuracy_against_psychrolib_over_the_greenhouse_range() -> None:
    """The brief's goal on a 0.5 degC x 5 % grid: 0.25 % for e_s and VPD, 0.1 degC for dew points above 0."""
    psychrolib = pytest.importorskip("psychrolib")
    psychrolib.SetUnitSystem(psychrolib.SI)
    worst_saturation = worst_dew = 0.0
    for tenth in range(0, 501, 5):
        temp = tenth / 10.0
        reference = psychrolib.GetSatVapPres(temp) / 1000.0
        worst_saturation = max(worst_saturation, abs(saturation_vapour_pressure_kpa(temp) / reference - 1.0))
        for rh in range(5, 101, 5):
            dew_reference = psychrolib.GetTDewPointFromRelHum(temp, rh / 100.0)
            if dew_reference > 0:
                worst_dew = max(worst_dew, abs(dew_point_c(temp, rh) - dew_reference))
    assert worst_saturation <= 0.0025
    assert worst_dew <= 0.1


@given(temperatures, humidities)
def test_vpd_and_dew_point_are_the_halves_of_one_computation(temp: float, rh: float) -> None:
    vpd, dew = vpd_and_dew_point(temp, rh)
    assert vpd == vpd_kpa(temp, rh)
    assert vpd == pytest.approx(saturation_vapour_pressure_kpa(temp) * (1.0 - rh / 100.0), rel=1e-12)
    if rh / 100.0 > 0:
        assert dew == dew_point_c(temp, rh)
    else:
        assert dew is None


@given(temperatures, st.floats(min_value=0.1, max_value=100.0))
def test_dew_point_is_never_above_the_air_and_inverts_the_curve(temp: float, rh: float) -> None:
    dew = dew_point_c(temp, rh)
    assert dew <= temp + 1e-9
    # e_s(dew point) is the actual vapour pressure RH * e_s(T).
    assert saturation_vapour_pressure_kpa(dew) == pytest.approx(
        rh / 100 * saturation_vapour_pressure_kpa(temp), rel=1e-9
    )


@given(temperatures, humidities)
def test_vpd_is_between_zero_and_saturation(temp: float, rh: float) -> None:
    assert 0.0 <= vpd_kpa(temp, rh) <= saturation_vapour_pressure_kpa(temp)


@pytest.mark.field_data
def test_vpd_matches_the_osu_greenhouse_computer(field_data: Path) -> None:
    """The OSU Priva computer's VPD column is FAO-56 Magnus, rounded to 4 decimals: we agree to 0.0005 kPa."""
    with (field_data / "osu2024_tomato_reference_environment.csv").open(
        newline="", encoding="utf-8"
    ) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        t_col, rh_col, vpd_col = header.index("T Air"), header.index("RH"), header.index("VPD")
        rows = 0
        worst = 0.0
        for row in reader:
            worst = max(worst, abs(vpd_kpa(float(row[t_col]), float(row[rh_col])) - float(row[vpd_col])))
            rows += 1
    assert rows > 40_000
    assert worst <= 0.0005
