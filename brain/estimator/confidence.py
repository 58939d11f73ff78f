"""Confidence of a state: how much of what it claims rests on trusted, fresh readings.

The algorithm is the one in docs/confidence_scoring.md (a test recomputes its
worked examples through this function):

    confidence = round( sum_s  w_s * status_factor_s * freshness_s , 3 )

- ``w_s``: the sensor's weight (``[confidence.weights]``, summing to 1); air
  temperature and humidity weigh most because VPD, dew point and four of the
  nine anomaly kinds rest on them.
- ``status_factor_s``: 1 for ``ok``, ``degraded_factor`` for ``degraded``,
  0 for ``faulty`` or any sensor excluded from the state (missing, stale).
- ``freshness_s``: 1 for a reading of this poll; for a held value of age
  ``a`` seconds, ``1 - a / stale_after_s`` (so it reaches 0 as the value turns stale).

Why a weighted sum and not a product: one absent optional sensor (no
substrate probe in the greenhouse) should lower trust in the state by its
share, not zero it.
"""

from __future__ import annotations

from collections.abc import Sequence

from brain.contracts import HealthStatus


def sensor_trust(
    status: HealthStatus, used: bool, age_s: float, *, degraded_factor: float, stale_after_s: float
) -> float:
    """Trust in one sensor's contribution, 0 to 1 (``used``: its value is in the state)."""
    if not used or status is HealthStatus.FAULTY:
        return 0.0
    factor = 1.0 if status is HealthStatus.OK else degraded_factor
    freshness = 1.0 - age_s / stale_after_s if age_s > 0 else 1.0
    return factor * max(0.0, min(1.0, freshness))


def confidence(weights: Sequence[float], trusts: Sequence[float]) -> float:
    """Weighted trust of all sensors, rounded to 3 decimals and clamped to [0, 1]."""
    total = 0.0
    for weight, trust in zip(weights, trusts, strict=True):
        total += weight * trust
    return round(max(0.0, min(1.0, total)), 3)
