"""The outside weather of the synthetic greenhouse: seasonal normals plus seeded randomness.

Why random processes on a fixed grid: the weather must be the same whatever the
poll interval (so the physics at 12:00 does not depend on how often it is looked
at), and it must change smoothly. Ornstein-Uhlenbeck processes stepped on the
model's own grid give both, with bounded memory for runs of any length.

Climate normals are a smooth annual cosine fitted by eye to the KNMI 1991-2020
normals for De Bilt, the Netherlands (daily minimum about 1 degC in January and
13 degC in July, daily maximum about 6 degC and 23 degC). The dew point sits
about 1 K below the daily minimum, the usual rule for humid climates (FAO
Irrigation and Drainage Paper 56, Allen et al. 1998, section 3: "Tdew ~ Tmin").
Day-to-day anomalies are clipped, so no seed makes a ``normal`` day abnormal.
"""

from __future__ import annotations

import math
import random

from brain.sources.synthetic.greenhouse_model import Conditions

WARMEST_DAY_OF_YEAR = 200.0
"""Mid-July: the peak of the annual temperature cosine in north-west Europe."""


class OrnsteinUhlenbeck:
    """Mean-reverting noise stepped on a fixed grid: smooth-looking, bounded in the long run."""

    __slots__ = ("_a", "_b", "_limit", "_rng", "_value")

    def __init__(
        self, rng: random.Random, *, sigma: float, tau_s: float, step_s: float, limit: float
    ) -> None:
        self._rng = rng
        self._a = math.exp(-step_s / tau_s)
        self._b = sigma * math.sqrt(1.0 - self._a * self._a)
        self._limit = limit
        self._value = rng.gauss(0.0, sigma)

    @property
    def value(self) -> float:
        """The current deviation, clipped to ``+-limit``."""
        return max(-self._limit, min(self._limit, self._value))

    def step(self) -> None:
        """Advance one grid step (exact discretisation, so the step size only sets the grid)."""
        self._value = self._a * self._value + self._b * self._rng.gauss(0.0, 1.0)


class Weather:
    """Outside temperature range, dew point and cloudiness for any day of the year."""

    def __init__(self, rng: random.Random, *, step_s: float) -> None:
        day = 86_400.0
        self._temperature = OrnsteinUhlenbeck(rng, sigma=1.0, tau_s=3 * day, step_s=step_s, limit=2.0)
        self._dew_point = OrnsteinUhlenbeck(rng, sigma=0.8, tau_s=2 * day, step_s=step_s, limit=1.5)
        # Passing clouds: a 40-minute correlation time keeps PAR changes gradual, as under thin cloud.
        self._clouds = OrnsteinUhlenbeck(rng, sigma=0.05, tau_s=2400.0, step_s=step_s, limit=0.12)

    def step(self) -> None:
        """Advance the random parts by one grid step."""
        self._temperature.step()
        self._dew_point.step()
        self._clouds.step()

    def conditions(self, day_of_year: float) -> Conditions:
        """The weather now, with the greenhouse equipment at its normal capacity."""
        season = math.cos(2.0 * math.pi * (day_of_year - WARMEST_DAY_OF_YEAR) / 365.0)
        anomaly = self._temperature.value
        daily_min = 6.8 + 6.1 * season + anomaly
        return Conditions(
            outside_min_c=daily_min,
            outside_max_c=14.6 + 8.4 * season + anomaly,
            outside_dew_point_c=daily_min - 1.0 + self._dew_point.value,
            cloud_factor=0.88 + self._clouds.value,
        )
