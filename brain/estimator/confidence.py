"""Confidence of a state: how much of what it claims rests on trusted, fresh readings.

The algorithm is the one in docs/confidence_scoring.md (a test recomputes its
worked examples through this function):

    confidence = round( sum_s  w_s * status_factor_s * freshness_s  /  sum_s w_s , 3 )

over the sensors the site has installed (a sensor it never had is neither
trusted nor distrusted: it is not part of the state's claim).

- ``w_s``: the sensor's weight (``[confidence.weights]``, summing to 1); air
  temperature and humidity weigh most because VPD, dew point and four of the
  nine anomaly kinds rest on them.
- ``status_factor_s``: 1 for ``ok``, ``degraded_factor`` for ``degraded``,
  0 for ``faulty`` or any sensor excluded from the state (missing, stale).
- ``freshness_s``: 1 for a reading of this poll; for a held value of age
  ``a`` seconds, ``1 - a / stale_after_s`` (so it reaches 0 as the value turns stale).

Why a weighted mean and not a product: one failed optional sensor (an
unplugged substrate probe) should lower trust in the state by its share, not
zero it. Why over the installed sensors only: a greenhouse that never had a
substrate probe is not less trustworthy for it (docs/confidence_scoring.md).
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
    """Weighted mean trust of the installed sensors, rounded to 3 decimals and clamped to [0, 1].

    ``weights`` and ``trusts`` hold the installed sensors only; none installed gives 0.
    """
    total = weight_sum = 0.0
    for weight, trust in zip(weights, trusts, strict=True):
        total += weight * trust
        weight_sum += weight
    if weight_sum <= 0.0:
        return 0.0
    return round(max(0.0, min(1.0, total / weight_sum)), 3)
