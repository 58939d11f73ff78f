"""The estimator pipeline: one observation in, one estimate out.

A functional core: no I/O after construction, no clock, no randomness, so the
same observations give the same records, byte for byte. Per observation:

1. place its timestamp on estimator time (:mod:`~brain.estimator.timeline`);
   a duplicate or out-of-order observation raises before anything changes;
2. judge every sensor's reading (:mod:`~brain.estimator.health`,
   :mod:`~brain.estimator.drift`); PAR first, since daylight is context for the others;
3. build the state from the trusted values, with VPD and dew point
   (:mod:`~brain.estimator.vpd`) and confidence (:mod:`~brain.estimator.confidence`);
4. judge anomalies on the trusted values (:mod:`~brain.estimator.anomalies`);
5. append the state's values to the 48-hour history (:mod:`~brain.estimator.ring_buffer`).

Why records are built lazily: the daemon stores a state at every base cycle
and on events, not at every poll, so :class:`Estimate` keeps plain floats and
builds ``state`` and ``sensor_health`` only when they are read. They are built
with full validation: in pydantic 2.14 that is faster than ``model_construct``
(1.8 against 2.0 us for a health record), and it checks every invariant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from brain.contracts import (
    SENSOR_KEYS,
    AnomalyV1,
    DeviceStatusV1,
    Evidence,
    ExclusionReason,
    HealthStatus,
    ObservationV1,
    SensorHealthV1,
    StateV1,
)
from brain.estimator.anomalies import AnomalyDetector
from brain.estimator.confidence import confidence, sensor_trust
from brain.estimator.drift import DriftDetector
from brain.estimator.health import HealthSnapshot, SensorTracker
from brain.estimator.ring_buffer import RingBuffer
from brain.estimator.settings import EstimatorSettings
from brain.estimator.timeline import Timeline
from brain.estimator.vpd import fast_vpd_and_dew_point

HISTORY_SERIES: tuple[str, ...] = (*(key.value for key in SENSOR_KEYS), "vpd_kpa", "dew_point_c")
"""The series of :attr:`Estimator.history`: the five sensors, then VPD and dew point."""

_T, _RH, _CO2, _PAR, _SUB = range(5)
_OK = HealthStatus.OK


class Estimate:
    """What one observation revealed (see the module docstring for when records are built)."""

    def __init__(
        self,
        observation: ObservationV1,
        device_status: DeviceStatusV1,
        *,
        values: tuple[float | None, ...],
        derived: tuple[float | None, float | None],
        confidence: float,
        exclusions: tuple[ExclusionReason | None, ...],
        health: tuple[HealthSnapshot, ...],
        t: float,
        anomalies: list[AnomalyV1],
        health_changed: bool,
    ) -> None:
        self.observation = observation
        self.device_status = device_status
        self.values = values
        """Trusted value per sensor (``SENSOR_KEYS`` order), ``None`` where excluded."""
        self.vpd_kpa, self.dew_point_c = derived
        self.confidence = confidence
        self.anomalies = anomalies
        """Episode starts and ends revealed by this observation (usually none)."""
        self.health_changed = health_changed
        """Some sensor's (status, fault) differs from the previous step (always true for the first)."""
        self._exclusions = exclusions
        self._health = health
        self._t = t

    @property
    def timestamp(self) -> datetime:
        """The observation's timestamp, carried by every record."""
        return self.observation.timestamp

    @cached_property
    def state(self) -> StateV1:
        """The estimated state (its ``device_status`` is the one passed to ``step``)."""
        excluded = {
            key: reason
            for key, reason in zip(SENSOR_KEYS, self._exclusions, strict=True)
            if reason is not None
        }
        values = self.values
        return StateV1(
            schema_version="1.0",
            timestamp=self.observation.timestamp,
            site_id=self.observation.site_id,
            air_temperature_c=values[_T],
            relative_humidity_pct=values[_RH],
            co2_ppm=values[_CO2],
            par_umol_m2_s=values[_PAR],
            substrate_moisture_pct=values[_SUB],
            vpd_kpa=self.vpd_kpa,
            dew_point_c=self.dew_point_c,
            confidence=self.confidence,
            device_status=self.device_status,
            excluded_sensors=excluded,
        )

    @cached_property
    def sensor_health(self) -> list[SensorHealthV1]:
        """One diagnosis per sensor, in ``SENSOR_KEYS`` order."""
        timestamp = self.observation.timestamp
        site_id = self.observation.site_id
        records = []
        for key, (status, fault, since, evidence) in zip(SENSOR_KEYS, self._health, strict=True):
            since_ts = timestamp - timedelta(seconds=round(self._t - since, 6))
            proof = None
            if evidence is not None:
                window_s, statistic, value, limit = evidence
                proof = Evidence(window_s=max(0.0, window_s), statistic=statistic, value=value, limit=limit)
            records.append(
                SensorHealthV1(
                    schema_version="1.0",
                    timestamp=timestamp,
                    site_id=site_id,
                    sensor=key,
                    status=status,
                    fault=fault,
                    since=since_ts,
                    evidence=proof,
                )
            )
        return records


class Estimator:
    """Turns observations into estimates; one instance per greenhouse, fed in time order."""

    def __init__(self, settings: EstimatorSettings | None = None) -> None:
        self.settings = settings if settings is not None else EstimatorSettings.load()
        timing = self.settings.timing
        health = self.settings.health
        stale_after_s = self.settings.confidence.stale_after_s
        self._timeline = Timeline(clock_step_back_s=timing.clock_step_back_s, gap_s=timing.gap_s)
        self._trackers = tuple(
            SensorTracker(key, health, stale_after_s=stale_after_s, gap_s=timing.gap_s) for key in SENSOR_KEYS
        )
        self._drift = DriftDetector(self.settings.drift)
        self._anomalies = AnomalyDetector(self.settings.anomalies)
        self._weights = tuple(self.settings.confidence.weights[key] for key in SENSOR_KEYS)
        self._degraded_factor = self.settings.confidence.degraded_factor
        self._stale_after_s = stale_after_s
        self._daylight_par = health.daylight_par_umol_m2_s
        self.history = RingBuffer(
            HISTORY_SERIES,
            window_s=timing.history_window_s,
            min_spacing_s=timing.history_min_spacing_s,
            bucket_s=timing.history_bucket_s,
        )
        """The last 48 hours of estimated values (``HISTORY_SERIES``), by estimator time."""

    def step(self, observation: ObservationV1, device_status: DeviceStatusV1) -> Estimate:
        """Estimate the state at ``observation``; raises :class:`ObservationOrderError` if it is not newer."""
        previous = self._timeline.last_timestamp
        step = self._timeline.advance(observation.timestamp)
        t, gap = step.t, step.gap
        site_id = observation.site_id
        records: list[AnomalyV1] = []
        if step.stepped_back_s and previous is not None:
            why = f"the wall clock stepped back by {step.stepped_back_s:.0f} s"
            records.extend(self._anomalies.close_all(previous, site_id, why))

        sensors = observation.sensors
        temp_c = sensors.air_temperature_c
        rh_pct = sensors.relative_humidity_pct
        temperature, humidity, co2, par, substrate = self._trackers
        par.observe(t, gap, sensors.par_umol_m2_s, False, None)
        par_used = par.used
        daylight = None if par_used is None else par_used >= self._daylight_par
        is_day = daylight is True

        drift = self._drift
        if drift.advance(t):
            temperature.set_drift(drift.temperature.verdict())
            humidity.set_drift(drift.humidity.verdict())
        temperature.observe(t, gap, temp_c, is_day, _in_range(rh_pct, humidity))
        humidity.observe(t, gap, rh_pct, is_day, _in_range(temp_c, temperature))
        co2.observe(t, gap, sensors.co2_ppm, is_day, None)
        substrate.observe(t, gap, sensors.substrate_moisture_pct, is_day, None)
        drift.add(temperature.accepted, humidity.accepted)

        temp_used = temperature.used
        rh_used = humidity.used
        if rh_used is not None and rh_used > 100.0:
            rh_used = 100.0
        values = (temp_used, rh_used, co2.used, par_used, substrate.used)
        vpd: float | None = None
        dew_point: float | None = None
        margin: float | None = None
        if temp_used is not None and rh_used is not None:
            vpd, dew_point = fast_vpd_and_dew_point(temp_used, rh_used)
            if dew_point is not None:
                margin = temp_used - dew_point
        metrics = (*values, vpd, margin)  # METRICS order
        found = self._anomalies.step(t, observation.timestamp, metrics, site_id, daylight)
        if found:
            records.extend(found)

        score = confidence(self._weights, [self._trust(tracker) for tracker in self._trackers])
        changed = step.dt is None or any(tracker.changed for tracker in self._trackers)
        self.history.push(t, (*values, vpd, dew_point))
        return Estimate(
            observation,
            device_status,
            values=values,
            derived=(vpd, dew_point),
            confidence=score,
            exclusions=(temperature.reason, humidity.reason, co2.reason, par.reason, substrate.reason),
            health=(temperature.snapshot, humidity.snapshot, co2.snapshot, par.snapshot, substrate.snapshot),
            t=t,
            anomalies=records,
            health_changed=changed,
        )

    def _trust(self, tracker: SensorTracker) -> float:
        """The sensor's trust for the confidence (docs/confidence_scoring.md); the common case first."""
        if tracker.used is None:
            return 0.0
        if tracker.status is _OK and not tracker.used_age_s:
            return 1.0
        return sensor_trust(
            tracker.status,
            True,
            tracker.used_age_s,
            degraded_factor=self._degraded_factor,
            stale_after_s=self._stale_after_s,
        )


def _in_range(value: float | None, tracker: SensorTracker) -> float | None:
    """``value`` if it is a plausible reading of ``tracker``'s sensor (co-located context), else ``None``."""
    if value is None or value < tracker.limits.valid_min or value > tracker.limits.valid_max:
        return None
    return value


__all__ = ["HISTORY_SERIES", "Estimate", "Estimator"]
