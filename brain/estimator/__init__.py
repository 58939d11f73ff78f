"""The estimator: observations in; state, anomalies and sensor health out (TOMATO-5).

The public API the daemon calls::

    from brain.estimator import Estimator, EstimatorSettings, Estimate

    settings = EstimatorSettings.load(None)   # None: the packaged thresholds.toml
    estimator = Estimator(settings)
    estimate = estimator.step(observation, device_status)
    estimate.state            # StateV1
    estimate.anomalies        # list[AnomalyV1]: episode starts and ends revealed now
    estimate.sensor_health    # list[SensorHealthV1], one per sensor, SENSOR_KEYS order
    estimate.health_changed   # some sensor's (status, fault) changed

The psychrometric formulas are public too (``vpd_kpa``, ``dew_point_c``), so consumers of the
data root (``brain report``, ``brain export-csv``) compute VPD exactly as the estimator does.

The algorithms and every threshold are specified in docs/confidence_scoring.md
and docs/anomaly_thresholds.md (TOMATO-2b); docs/estimator.md shows the data flow.
"""

from brain.estimator.errors import (
    DuplicateObservationError,
    ObservationOrderError,
    OutOfOrderObservationError,
)
from brain.estimator.pipeline import HISTORY_SERIES, Estimate, Estimator
from brain.estimator.settings import EstimatorSettings
from brain.estimator.vpd import PsychrometricInputError, dew_point_c, vpd_kpa

__all__ = [
    "HISTORY_SERIES",
    "DuplicateObservationError",
    "Estimate",
    "Estimator",
    "EstimatorSettings",
    "ObservationOrderError",
    "OutOfOrderObservationError",
    "PsychrometricInputError",
    "dew_point_c",
    "vpd_kpa",
]
