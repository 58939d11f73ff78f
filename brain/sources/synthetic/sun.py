"""How much light reaches a greenhouse floor, for the synthetic source; where the sun is: :mod:`brain.sun`.

Why textbook formulas and not a table: the synthetic day must be a continuous
function of time for any date and latitude, so daylight starts and ends when
the season says, and a 1-minute and a 5-minute poll see the same sky.

Sources:
- The sun's elevation: :mod:`brain.sun` (Cooper 1969 declination), the module the estimator
  and the advisor use too, re-exported here as :func:`sin_solar_elevation`.
- Clear-sky beam irradiance: Meinel & Meinel (1976), *Applied Solar Energy*:
  ``1353 W/m2 * 0.7 ** (AM ** 0.678)``, with about 10 % more as diffuse light
  (both as summarised by PVEducation, "Air Mass" and "Calculation of Solar Insolation").
- PAR: about 45 % of global radiation is photosynthetically active, and PAR
  carries about 4.57 umol photons per joule (Thimijan & Heins 1983, HortScience 18:818),
  so 1 W/m2 of global radiation is about 2.06 umol/m2/s of PAR.
"""

from __future__ import annotations

import math

from brain.sun import sin_solar_elevation

__all__ = [
    "DIFFUSE_SHARE",
    "PAR_UMOL_PER_GLOBAL_W",
    "SOLAR_CONSTANT_W_M2",
    "clear_sky_par",
    "sin_solar_elevation",
]

SOLAR_CONSTANT_W_M2 = 1353.0
"""Extraterrestrial irradiance used by the Meinel air-mass model."""
DIFFUSE_SHARE = 1.1
"""Global horizontal irradiance is about 1.1 times the direct part on a clear day."""
PAR_UMOL_PER_GLOBAL_W = 0.45 * 4.57
"""umol/m2/s of PAR per W/m2 of global radiation (Thimijan & Heins 1983)."""


def clear_sky_par(sin_elevation: float) -> float:
    """Clear-sky PAR on a horizontal surface outside, umol/m2/s; zero while the sun is down.

    At solar noon on 1 June at 52 deg N this is about 1,800 umol/m2/s; it falls
    smoothly to zero at sunrise and sunset because the air mass grows without bound.
    """
    if sin_elevation <= 0.0:
        return 0.0
    air_mass = 1.0 / sin_elevation
    direct = SOLAR_CONSTANT_W_M2 * math.pow(0.7, math.pow(air_mass, 0.678))
    return DIFFUSE_SHARE * direct * sin_elevation * PAR_UMOL_PER_GLOBAL_W
