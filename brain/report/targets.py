"""The tomato target bands drawn on the report's curves, each with its source.

These are reading aids for a grower, not verdicts: the estimator's anomaly thresholds
(brain/estimator/thresholds.toml, docs/anomaly_thresholds.md) decide what is an episode.
Figures from the project's reference sheet (docs/operations.md cites them in full):

- Air temperature: day optimum about 21-27 degC, night about 16-18 degC in heated production
  (OMAFRA greenhouse tomato guidance; Peet & Bartholomew 1996).
- VPD: about 0.5-1.2 kPa; below about 0.3 kPa for hours favours Botrytis, above about
  1.5-2.0 kPa stomata close (Prenger & Ling, Ohio State AEX-800; Shamshiri et al. 2018,
  Int Agrophys 32:287).
- Heat and chill: blossom injury and poor fruit set above about 29-30 degC held for hours
  (OMAFRA; Peet & Bartholomew 1996; Sato et al. 2000, Plant Cell Environ 23:719); chilling
  injury below about 10 degC (e-GRO alerts; Lyons 1973).
- Relative humidity: above about 90 % for hours is a disease risk (same sources).
- CO2: ambient about 420 ppm; enrichment targets 700-1000 ppm in light (AHDB CO2 guide;
  Hao et al. 2006, Can J Plant Sci 86).
- Daily light integral: about 20-30 mol m-2 d-1 for good yield, under about 10-12 growth slows
  markedly (Dorais 2003; Morgan 2013).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """A target range in a quantity's unit, with the words a grower reads beside it."""

    low: float
    high: float
    label: str


DAY_TEMPERATURE_C = Band(21.0, 27.0, "day optimum 21-27 °C")
NIGHT_TEMPERATURE_C = Band(16.0, 18.0, "night optimum 16-18 °C")
VPD_KPA = Band(0.5, 1.2, "target 0.5-1.2 kPa")
HOT_C = 30.0
"""Above this for hours, blossoms are injured and fruit set fails: the day's verdict counts these hours."""
CHILL_C = 10.0
"""Below this, chilling injury begins: the day's verdict counts these hours."""
RH_DISEASE_RISK_PCT = 90.0
"""Above this for hours, Botrytis and leaf mould thrive."""
CO2_AMBIENT_PPM = 420.0
"""Outdoor air (2024): below it the crop is starving the house of CO2."""
CO2_ENRICHMENT_PPM = Band(700.0, 1000.0, "enrichment target in light 700-1000 ppm")
DLI_MOL_M2_D = Band(20.0, 30.0, "good yield 20-30 mol/m²/day")
DLI_LOW_MOL_M2_D = 12.0
"""Under about 10-12 mol/m2/day tomato growth slows markedly."""

DAYLIGHT_PAR_UMOL_M2_S = 5.0
"""PAR above this counts as day for the day/night means: roughly sunrise to sunset (twilight gives less)."""
FALLBACK_DAY_HOURS = (6, 20)
"""Local hours counted as day when no PAR reading says so (06:00-20:00), stated on the page."""
