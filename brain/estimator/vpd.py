"""Psychrometrics of greenhouse air: saturation vapour pressure, VPD and dew point.

Why one Magnus coefficient set for all three: the dew point is the inverse of
the saturation curve; mixing sets would make ``dew_point_c(t, 100) != t`` and
VPD disagree with the dew point margin the condensation rule uses.

The set is FAO-56's (Allen et al. 1998, *Crop evapotranspiration*, FAO
Irrigation and Drainage Paper 56, eq. 11): ``e_s = 0.6108 exp(17.27 T / (T + 237.3))``
kPa. Against ASHRAE's Hyland-Wexler formulation (PsychroLib) it is within
0.112 % over 0-50 degC, and it is what the OSU greenhouse computer in the field
data reports as VPD (docs/estimator.md has the figures and tests check both).

Example::

    >>> round(vpd_kpa(25.0, 60.0), 4)
    1.2671
"""

from __future__ import annotations

import math

MAGNUS_A_KPA = 0.6108
"""Saturation vapour pressure at 0 degC, kPa (FAO-56 eq. 11)."""
MAGNUS_B = 17.27
"""Magnus exponent numerator (FAO-56 eq. 11), dimensionless."""
MAGNUS_C_DEGC = 237.3
"""Magnus exponent denominator offset (FAO-56 eq. 11), degC."""

_LN_A = math.log(MAGNUS_A_KPA)


class PsychrometricInputError(ValueError):
    """A temperature or humidity the formulas cannot take (NaN, infinite, RH outside 0-100)."""


def vpd_and_dew_point(temp_c: float, rh_pct: float) -> tuple[float, float | None]:
    """VPD (kPa) and dew point (degC; ``None`` for dry air, RH 0) of air at ``temp_c`` and ``rh_pct``.

    The one implementation of the saturation curve (every function below returns a part
    of it): the dew point is the curve read backwards, so both share its exponent.
    ``e_s`` is written ``exp(ln a + b T / (T + c))``, which is ``a exp(b T / (T + c))``: the
    form the estimator has always used, so its values stay the same to the last bit.
    Why one body without helper calls: the estimator calls it at every poll, and three
    calls were a tenth of its share of ``Estimator.step`` (``bench/estimator.py``).
    """
    if not math.isfinite(rh_pct) or not 0.0 <= rh_pct <= 100.0:
        raise PsychrometricInputError(f"relative humidity must be within 0-100 %, got {rh_pct!r}")
    if not math.isfinite(temp_c):
        raise PsychrometricInputError(f"air temperature must be a finite number, got {temp_c!r}")
    if temp_c <= -MAGNUS_C_DEGC:
        raise PsychrometricInputError(f"air temperature {temp_c!r} degC is below the formula's pole")
    exponent = MAGNUS_B * temp_c / (temp_c + MAGNUS_C_DEGC)
    ratio = rh_pct / 100.0
    vpd = math.exp(_LN_A + exponent) * (1.0 - ratio)
    if ratio <= 0.0:
        return vpd, None
    gamma = math.log(ratio) + exponent  # the temperature whose e_s is ratio x e_s(T)
    return vpd, MAGNUS_C_DEGC * gamma / (MAGNUS_B - gamma)


def saturation_vapour_pressure_kpa(temp_c: float) -> float:
    """Saturation vapour pressure over water at ``temp_c``, kPa (FAO-56 Magnus form): the VPD of dry air."""
    return vpd_and_dew_point(temp_c, 0.0)[0]


def vpd_kpa(temp_c: float, rh_pct: float) -> float:
    """Vapour pressure deficit of air at ``temp_c`` and ``rh_pct``, kPa; 0 at saturation."""
    return vpd_and_dew_point(temp_c, rh_pct)[0]


def dew_point_c(temp_c: float, rh_pct: float) -> float:
    """Dew point of air at ``temp_c`` and ``rh_pct``, degC.

    Why RH 0 raises: perfectly dry air has no dew point (the formula goes to
    minus infinity); the estimator reports ``dew_point_c: null`` for it instead.
    """
    dew_point = vpd_and_dew_point(temp_c, rh_pct)[1]
    if dew_point is None:
        raise PsychrometricInputError("dew point is undefined at 0 % relative humidity (dry air)")
    return dew_point
