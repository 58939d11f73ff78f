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

Why the step looks the way it does: it runs at every poll, for years, and a
year's replay must keep pace with merely loading the file. So it allocates
little (one tuple of values shared by the estimate and the history), and when
every sensor took its common path (``SensorTracker.steady``) it reuses what
that implies (full confidence, nothing changed, the previous health snapshots)
rather than recomputing it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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

_T, _RH, _CO2, _PAR, _SUB, _VPD, _DEW_POINT = range(7)
"""Positions in a row of ``HISTORY_SERIES``."""
_OK = HealthStatus.OK
_NONE_EXCLUDED: tuple[ExclusionReason | None, ...] = (None,) * len(SENSOR_KEYS)


class Estimate:
    """What one observation revealed (see the module docstring for when records are built)."""

    __slots__ = (
        "_exclusions",
        "_health",
        "_row",
        "_sensor_health",
        "_state",
        "_t",
        "anomalies",
        "confidence",
        "device_status",
        "health_changed",
        "observation",
    )

    def __init__(  # noqa: PLR0917 - built at every poll: keywords would cost 0.2 us
        self,
        observation: ObservationV1,
        device_status: DeviceStatusV1,
        row: tuple[float | None, ...],
        confidence: float,
        exclusions: tuple[ExclusionReason | None, ...],
        health: tuple[HealthSnapshot, ...],
        t: float,
        anomalies: list[AnomalyV1],
        health_changed: bool,
    ) -> None:
        self.observation = observation
        self.device_status = device_status
        self.confidence = confidence
        self.anomalies = anomalies
        """Episode starts and ends revealed by this observation (usually none)."""
        self.health_changed = health_changed
        """Some sensor's (status, fault) differs from the previous step (always true for the first)."""
        self._row = row
        self._exclusions = exclusions
        self._health = health
        self._t = t
        self._state: StateV1 | None = None
        self._sensor_health: list[SensorHealthV1] | None = None

    @property
    def values(self) -> tuple[float | None, ...]:
        """Trusted value per sensor (``SENSOR_KEYS`` order), ``None`` where excluded."""
        return self._row[:_VPD]

    @property
    def vpd_kpa(self) -> float | None:
        """VPD of the trusted temperature and humidity, ``None`` when either is excluded."""
        return self._row[_VPD]

    @property
    def dew_point_c(self) -> float | None:
        """Dew point of the trusted temperature and humidity, ``None`` when either is excluded or RH is 0."""
        return self._row[_DEW_POINT]

    @property
    def timestamp(self) -> datetime:
        """The observation's timestamp, carried by every record."""
        return self.observation.timestamp

    @property
    def state(self) -> StateV1:
        """The estimated state (its ``device_status`` is the one passed to ``step``); built on first read."""
        if self._state is None:
            self._state = self._build_state()
        return self._state

    @property
    def sensor_health(self) -> list[SensorHealthV1]:
        """One diagnosis per sensor, in ``SENSOR_KEYS`` order; built on first read."""
        if self._sensor_health is None:
            self._sensor_health = self._build_sensor_health()
        return self._sensor_health

    def _build_state(self) -> StateV1:
        excluded = {
            key: reason
            for key, reason in zip(SENSOR_KEYS, self._exclusions, strict=True)
            if reason is not None
        }
        row = self._row
        return StateV1(
            schema_version="1.0",
            timestamp=self.observation.timestamp,
            site_id=self.observation.site_id,
            air_temperature_c=row[_T],
            relative_humidity_pct=row[_RH],
            co2_ppm=row[_CO2],
            par_umol_m2_s=row[_PAR],
            substrate_moisture_pct=row[_SUB],
            vpd_kpa=row[_VPD],
            dew_point_c=row[_DEW_POINT],
            confidence=self.confidence,
            device_status=self.device_status,
            excluded_sensors=excluded,
        )

    def _build_sensor_health(self) -> list[SensorHealthV1]:
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
        rh_limits, t_limits = health.relative_humidity_pct, health.air_temperature_c
        self._context_ranges = (
            rh_limits.valid_min,
            rh_limits.valid_max,
            t_limits.valid_min,
            t_limits.valid_max,
        )
        """Valid humidity, then temperature: each is the other's co-located context only when plausible."""
        self._full_confidence = confidence(self._weights, [1.0] * len(SENSOR_KEYS))
        """The confidence when every sensor is steady: computed by the same rule, so the same float."""
        self._health: tuple[HealthSnapshot, ...] | None = None
        """The snapshots of the last step (still every sensor's when all of them are steady), or
        ``None`` before the first step and while a step runs: a step that raised half-way
        leaves no snapshots to reuse."""
        self._last_trusts: tuple[float, ...] = ()
        self._last_score = 0.0
        """The confidence last computed from ``_last_trusts``: the same trusts give the same float."""
        self.history = RingBuffer(
            HISTORY_SERIES,
            window_s=timing.history_window_s,
            min_spacing_s=timing.history_min_spacing_s,
            bucket_s=timing.history_bucket_s,
        )
        """The last 48 hours of estimated values (``HISTORY_SERIES``), by estimator time."""

    def step(self, observation: ObservationV1, device_status: DeviceStatusV1) -> Estimate:
        """Estimate the state at ``observation``; raises :class:`ObservationOrderError` if it is not newer."""
        timeline = self._timeline
        previous = timeline.last_timestamp
        t = timeline.advance(observation.timestamp)
        last_health, self._health = self._health, None  # reusable again once this step is done
        gap = timeline.gap
        site_id = observation.site_id
        closed = self._close_episodes(previous, site_id) if timeline.stepped_back_s else None

        sensors = observation.sensors
        temp_c = sensors.air_temperature_c
        rh_pct = sensors.relative_humidity_pct
        temperature, humidity, co2, par, substrate = self._trackers
        par.observe(t, gap, sensors.par_umol_m2_s, False, None)
        par_used = par.used
        daylight = None if par_used is None else par_used >= self._daylight_par
        is_day = daylight is True

        drift = self._drift
        if drift.advance(t):  # a half hour closed: the drift verdicts may have changed
            temperature.set_drift(drift.temperature.verdict())
            humidity.set_drift(drift.humidity.verdict())
        rh_low, rh_high, t_low, t_high = self._context_ranges
        rh_context = None if rh_pct is None or rh_pct < rh_low or rh_pct > rh_high else rh_pct
        t_context = None if temp_c is None or temp_c < t_low or temp_c > t_high else temp_c
        temperature.observe(t, gap, temp_c, is_day, rh_context)
        humidity.observe(t, gap, rh_pct, is_day, t_context)
        co2.observe(t, gap, sensors.co2_ppm, is_day, None)
        substrate.observe(t, gap, sensors.substrate_moisture_pct, is_day, None)
        drift.add(temperature.accepted, humidity.accepted)

        temp_used = temperature.used
        rh_used = humidity.used
        if rh_used is not None and rh_used > 100.0:
            rh_used = 100.0
        if temp_used is None or rh_used is None:
            vpd = dew_point = margin = None
        else:
            vpd, dew_point = fast_vpd_and_dew_point(temp_used, rh_used)
            margin = None if dew_point is None else temp_used - dew_point
        co2_used = co2.used
        substrate_used = substrate.used
        row = (temp_used, rh_used, co2_used, par_used, substrate_used, vpd, dew_point)  # HISTORY_SERIES
        metrics = (temp_used, rh_used, co2_used, par_used, substrate_used, vpd, margin)  # METRICS order
        found = self._anomalies.step(t, observation.timestamp, metrics, site_id, daylight)
        if closed:
            found = closed + found

        if last_health is not None and (
            temperature.steady and humidity.steady and co2.steady and par.steady and substrate.steady
        ):
            # The common step: every sensor ok with this poll's reading, no snapshot replaced.
            score, changed, exclusions, health = self._full_confidence, False, _NONE_EXCLUDED, last_health
            self._health = health
        else:
            score, changed, exclusions, health = self._diagnose(first=previous is None)
        self.history.push(t, row)
        return Estimate(observation, device_status, row, score, exclusions, health, t, found, changed)

    def _close_episodes(self, previous: datetime | None, site_id: str) -> list[AnomalyV1]:
        """The wall clock stepped back: end every open episode at the last observation before the step."""
        assert previous is not None  # a step back is measured from an observation taken before
        why = f"the wall clock stepped back by {self._timeline.stepped_back_s:.0f} s"
        return self._anomalies.close_all(previous, site_id, why)

    def _diagnose(
        self, *, first: bool
    ) -> tuple[float, bool, tuple[ExclusionReason | None, ...], tuple[HealthSnapshot, ...]]:
        """Confidence, health changed, exclusions and snapshots, read from every tracker.

        Not the common step, yet every step of a site that lacks a sensor, whose
        snapshot changes at every poll (its evidence counts the time since it was
        last seen): so steady sensors are not asked again, and the confidence is
        recomputed only when some trust changed.
        """
        temperature, humidity, co2, par, substrate = self._trackers
        trust = self._trust
        trusts = (
            1.0 if temperature.steady else trust(temperature),
            1.0 if humidity.steady else trust(humidity),
            1.0 if co2.steady else trust(co2),
            1.0 if par.steady else trust(par),
            1.0 if substrate.steady else trust(substrate),
        )
        if trusts != self._last_trusts:
            self._last_trusts = trusts
            self._last_score = confidence(self._weights, trusts)
        score = self._last_score
        changed = (
            first
            or temperature.changed
            or humidity.changed
            or co2.changed
            or par.changed
            or substrate.changed
        )
        exclusions = (temperature.reason, humidity.reason, co2.reason, par.reason, substrate.reason)
        health = (temperature.snapshot, humidity.snapshot, co2.snapshot, par.snapshot, substrate.snapshot)
        self._health = health
        return score, changed, exclusions, health

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


__all__ = ["HISTORY_SERIES", "Estimate", "Estimator"]
