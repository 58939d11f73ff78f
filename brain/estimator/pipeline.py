"""The estimator pipeline: one observation in, one estimate out.

A functional core: no I/O after construction, no clock, no randomness, so the
same observations give the same records, byte for byte. Per observation:

1. place its timestamp on estimator time (:mod:`~brain.estimator.timeline`);
   a duplicate or out-of-order observation raises before anything changes;
2. judge every sensor's reading (:mod:`~brain.estimator.health`,
   :mod:`~brain.estimator.drift`, and the feed as a whole: :mod:`~brain.estimator.feed`),
   in the order of :data:`~brain.estimator.sensors.SENSOR_KINDS`
   (PAR first, since daylight is context for the others);
3. build the state from the trusted values, with VPD and dew point
   (:mod:`~brain.estimator.vpd`) and confidence (:mod:`~brain.estimator.confidence`);
4. judge anomalies on the trusted values (:mod:`~brain.estimator.anomalies`);
5. append the state's values to the 48-hour history (:mod:`~brain.estimator.ring_buffer`).

Why records are built lazily: the daemon stores a state at every base cycle
and on events, not at every poll, so :class:`Estimate` keeps plain values and
builds ``state`` and ``sensor_health`` only when they are read.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from brain.contracts import (
    SENSOR_KEYS,
    STATE_SCHEMA_VERSION,
    AnomalyV1,
    DeviceStatusV1,
    Evidence,
    ExclusionReason,
    ObservationV1,
    SensorHealthV1,
    SensorKey,
    StateV1,
)
from brain.device_kinds import SiteDevices
from brain.estimator.anomalies import AnomalyDetector
from brain.estimator.co2_outside import Co2OutsideCheck
from brain.estimator.confidence import confidence, sensor_trust
from brain.estimator.daily import DailyFigures
from brain.estimator.drift import DriftDetector
from brain.estimator.feed import FeedWatch
from brain.estimator.health import GROUP_STATISTIC, HealthSnapshot, SensorTracker, Verdict
from brain.estimator.light import LightHours, kind_on
from brain.estimator.ring_buffer import RingBuffer
from brain.estimator.sensors import SENSOR_KINDS
from brain.estimator.settings import EstimatorSettings, SensorLimits
from brain.estimator.timeline import Timeline
from brain.estimator.vpd import vpd_and_dew_point
from brain.names import DeviceKind

_USED = attrgetter("used")
"""A tracker's value for the state (``map`` over the trackers runs in C: a fifth of a list's cost)."""

_Diagnosis = tuple[tuple[ExclusionReason | None, ...], tuple[HealthSnapshot | None, ...], float]
"""Every sensor's exclusion reason and health snapshot (``SENSOR_KEYS`` order), and the state's confidence."""

HISTORY_SERIES: tuple[str, ...] = (*(key.value for key in SENSOR_KEYS), "vpd_kpa", "dew_point_c")
"""The series of :attr:`Estimator.history`: the five sensors, then VPD and dew point."""


@dataclass(eq=False, slots=True)
class Estimate:
    """What one observation revealed (see the module docstring for when records are built).

    Why ``Estimator.step`` passes the fields by position: Python 3.11 calls a class with
    keywords through a dict of them, which cost about 6,000 instructions per step for these
    thirteen fields (docs/performance.md, issue 29); its locals are named as the fields.
    """

    observation: ObservationV1
    device_status: DeviceStatusV1
    values: tuple[float | None, ...]
    """Trusted value per sensor (``SENSOR_KEYS`` order), ``None`` where excluded."""
    vpd_kpa: float | None
    """VPD of the trusted temperature and humidity, ``None`` when either is excluded."""
    dew_point_c: float | None
    """Dew point of the trusted temperature and humidity, ``None`` when either is excluded or RH is 0."""
    confidence: float
    exclusions: tuple[ExclusionReason | None, ...]
    """Why each sensor is left out of the state (``SENSOR_KEYS`` order), ``None`` where it is in."""
    health: tuple[HealthSnapshot | None, ...]
    """Each sensor's diagnosis (``SENSOR_KEYS`` order), ``None`` for a sensor not installed."""
    t: float
    """Estimator time of the observation (``since`` in the health records is measured on it)."""
    anomalies: list[AnomalyV1]
    """Episode starts, severity changes and ends revealed by this observation (usually none)."""
    episodes_started: int
    """How many of ``anomalies`` start a new episode: what a counter of anomalies counts."""
    health_changed: bool
    """Some sensor's (status, fault) differs from the previous step (always true for the first)."""
    daily: tuple[float | None, float | None, float | None] = (None, None, None)
    """The grower's-day figures: the last whole day's light integral (mol/m2/d), the last whole
    night's mean and the 24-hour mean air temperature (degC); ``None`` where not known."""
    _state: StateV1 | None = field(default=None, repr=False)
    _sensor_health: list[SensorHealthV1] | None = field(default=None, repr=False)

    @property
    def timestamp(self) -> datetime:
        """The observation's timestamp, carried by every record."""
        return self.observation.timestamp

    @property
    def state(self) -> StateV1:
        """The estimated state (its ``device_status`` is the one passed to ``step``); built on first read."""
        if self._state is None:
            pairs = list(zip(SENSOR_KEYS, self.values, self.exclusions, strict=True))
            light, night, mean_24h = self.daily
            self._state = StateV1(
                schema_version=STATE_SCHEMA_VERSION,
                timestamp=self.observation.timestamp,
                site_id=self.observation.site_id,
                **{key.value: value for key, value, _ in pairs},
                vpd_kpa=self.vpd_kpa,
                dew_point_c=self.dew_point_c,
                confidence=self.confidence,
                device_status=self.device_status,
                excluded_sensors={key: reason for key, _, reason in pairs if reason is not None},
                daily_light_integral_mol_m2_d=None if light is None else round(light, 3),
                night_mean_air_temperature_c=None if night is None else round(night, 3),
                mean_24h_air_temperature_c=None if mean_24h is None else round(mean_24h, 3),
            )
        return self._state

    @property
    def sensor_health(self) -> list[SensorHealthV1]:
        """One diagnosis per installed sensor, in ``SENSOR_KEYS`` order; built on first read.

        A sensor the site does not have gets no record: it is not faulty, it is not there.
        """
        if self._sensor_health is None:
            pairs = zip(SENSOR_KEYS, self.health, strict=True)
            self._sensor_health = [
                self._health_record(key, snapshot) for key, snapshot in pairs if snapshot is not None
            ]
        return self._sensor_health

    def _health_record(self, key: SensorKey, snapshot: HealthSnapshot) -> SensorHealthV1:
        status, fault, since, evidence = snapshot
        timestamp = self.observation.timestamp
        proof = None
        if evidence is not None:
            window_s, statistic, value, limit = evidence
            proof = Evidence(window_s=max(0.0, window_s), statistic=statistic, value=value, limit=limit)
        return SensorHealthV1(
            schema_version="1.0",
            timestamp=timestamp,
            site_id=self.observation.site_id,
            sensor=key,
            status=status,
            fault=fault,
            since=timestamp - timedelta(seconds=round(self.t - since, 6)),
            evidence=proof,
        )


def _in_groups(limits: SensorLimits, group_frozen_s: float) -> float:
    """How long a sensor's value held exactly makes it part of a frozen group (``inf``: never).

    Only sensors whose own exact-repeat time is at most that long take part: not CO2, whose
    integer readings hold for 45 minutes live, nor a slab probe, which plateaus overnight.
    """
    return group_frozen_s if 0.0 < limits.stuck_exact_s <= group_frozen_s else math.inf


class Estimator:
    """Turns observations into estimates; one instance per greenhouse, fed in time order."""

    def __init__(
        self,
        settings: EstimatorSettings | None = None,
        *,
        installed_sensors: Collection[SensorKey] | None = None,
        timezone: str = "UTC",
        latitude: float | None = None,
        longitude: float | None = None,
        device_kinds: Mapping[str, str] | None = None,
    ) -> None:
        """Judge by ``settings`` (the packaged thresholds by default) the sensors a site has.

        ``installed_sensors``: the site's sensors (the Pi's configuration); ``None``: learned
        from the data, a sensor counting as installed from its first non-null reading on (a
        streaming replay cannot know in advance which columns will ever carry a value).
        ``timezone``: the site's (IANA name): its nights and days are the local ones.
        ``latitude``/``longitude`` (degrees, north and east positive): where the site is, for its
        light hours and nights when PAR does not tell (:mod:`brain.estimator.light`).
        ``device_kinds``: device name to kind (``[advisor.devices]``), for whether the lamps or
        the ventilation run; a device not in it is told by its name (:mod:`brain.device_kinds`).
        """
        self.settings = settings if settings is not None else EstimatorSettings.load()
        self._inventory_fixed = installed_sensors is not None
        installed = set(SENSOR_KEYS if installed_sensors is None else installed_sensors)
        timing = self.settings.timing
        health = self.settings.health
        conf = self.settings.confidence
        self._timeline = Timeline(clock_step_back_s=timing.clock_step_back_s, gap_s=timing.gap_s)
        self._init_group()
        trackers = {
            kind.key: SensorTracker(
                sensor=kind.key,
                settings=health,
                stale_after_s=conf.stale_after_s,
                gap_s=timing.gap_s,
                installed=installed_sensors is not None and kind.key in installed,
                jump_on_dew_point=kind.jump_on_dew_point,
                group=(self._held_long, _in_groups(health.limits(kind.key), self._group_s)),
            )
            for kind in SENSOR_KINDS
        }
        self._trackers = tuple(trackers[key] for key in SENSOR_KEYS)
        """One per sensor, in ``SENSOR_KEYS`` order (the order of every record)."""
        order = [kind.key for kind in SENSOR_KINDS]
        self._read_frame = attrgetter(*(kind.key.value for kind in SENSOR_KINDS))
        """The readings of an observation in the order of judgement (one C call, a tuple)."""
        self._judged = tuple(
            (
                trackers[kind.key],
                None if kind.colocated is None else order.index(kind.colocated),
                health.limits(kind.colocated).valid_min if kind.colocated is not None else 0.0,
                health.limits(kind.colocated).valid_max if kind.colocated is not None else 0.0,
                index,
            )
            for index, kind in enumerate(SENSOR_KINDS)
        )
        """In the order of judgement (``SENSOR_KINDS``: PAR first): each sensor's tracker, where
        its co-located quantity's reading is in that order, and that quantity's valid range (its
        reading is context only when plausible), and its place in the frame."""
        self._temperature = trackers[SensorKey.AIR_TEMPERATURE_C]
        self._humidity = trackers[SensorKey.RELATIVE_HUMIDITY_PCT]
        self._par = trackers[SensorKey.PAR_UMOL_M2_S]
        self._weights = tuple(conf.weights[key] for key in SENSOR_KEYS)
        self._degraded_factor = conf.degraded_factor
        self._last_trusts: list[float | None] = []
        self._last_confidence = 0.0
        self._all_fresh = False
        """Every installed sensor was ok with this poll's reading at the last step."""
        self._steady: _Diagnosis | None = None
        """The exclusions, health and confidence of the last step, while reusable (see ``_diagnosis``)."""
        self._stale_after_s = conf.stale_after_s
        self._drift = DriftDetector(self.settings.drift)
        self._init_watches(timing.gap_s)
        self._co2 = trackers[SensorKey.CO2_PPM]
        self._anomalies = AnomalyDetector(self.settings.anomalies, self.settings.families)
        self._daily = DailyFigures(
            self.settings.daily, timezone=timezone, gap_s=timing.gap_s, latitude=latitude, longitude=longitude
        )
        self._daylight_par = health.daylight_par_umol_m2_s
        self._devices = SiteDevices(device_kinds or {})
        self._light = LightHours(latitude, longitude, self._devices)
        self.history = RingBuffer(
            HISTORY_SERIES,
            window_s=timing.history_window_s,
            min_spacing_s=timing.history_min_spacing_s,
            bucket_s=timing.history_bucket_s,
        )
        """The last 48 hours of estimated values (``HISTORY_SERIES``), by estimator time."""

    def _init_group(self) -> None:
        """The frozen-group state: how many sensors hold their value long, and the last verdict."""
        self._held_long = [0]
        """How many sensors hold their value exactly long enough to make a frozen group."""
        self._group: tuple[Verdict | None, ...] | None = None
        """Per sensor (``SENSOR_KINDS`` order), the frozen group's verdict found at the last step."""
        self._group_s = self.settings.feed.group_frozen_s

    def _init_watches(self, gap_s: float) -> None:
        """The rules above the sensors: a frozen feed, CO2 against outside air."""
        feed = self.settings.feed
        self._feed = FeedWatch(
            frozen_s=feed.frozen_s, min_channels=feed.min_channels, gap_s=gap_s, min_repeats=feed.min_repeats
        )
        self._co2_check = Co2OutsideCheck(self.settings.co2_outside, gap_s=gap_s)

    def step(self, observation: ObservationV1, device_status: DeviceStatusV1) -> Estimate:
        """Estimate the state at ``observation``; raises :class:`ObservationOrderError` if it is not newer."""
        timeline = self._timeline
        previous = timeline.last_timestamp
        t = timeline.advance(observation.timestamp)
        site_id = observation.site_id
        closed = self._close_episodes(previous, site_id) if timeline.stepped_back_s else []

        temperature, humidity = self._temperature, self._humidity
        if self._drift.advance(t):  # a half hour closed: the drift verdicts may have changed
            temperature.set_drift(self._drift.temperature.verdict())
            humidity.set_drift(self._drift.humidity.verdict())
        changed = self._judge_sensors(t, observation, gap=timeline.gap)
        self._drift.add(temperature.accepted, humidity.accepted)

        temp_c = temperature.used
        rh_pct = humidity.used
        if rh_pct is not None and rh_pct > 100.0:
            rh_pct = 100.0  # within the sensor's tolerance (docs/estimator.md, "State values")
        vpd_kpa = dew_point_c = margin = None
        if temp_c is not None and rh_pct is not None:
            vpd_kpa, dew_point_c = self._psychrometrics(temp_c, rh_pct)
            margin = None if dew_point_c is None else temp_c - dew_point_c
        values: tuple[float | None, ...] = tuple(map(_USED, self._trackers))
        if rh_pct is not humidity.used:  # clamped: the state says 100
            values = tuple([rh_pct if tracker is humidity else tracker.used for tracker in self._trackers])
        par = self._par.used
        daylight = None if par is None else par >= self._daylight_par
        if daylight is None:  # no trusted PAR: the lamps, else the sun at the site
            daylight = self._light.light(timeline.epoch_s, None, device_status)
        co2 = self._co2.used
        check = self._co2_check
        if daylight is False and co2 is not None and (co2 < check.clear or check.verdict is not None):
            ventilated = kind_on(device_status, DeviceKind.VENTILATION, self._devices)
            if check.observe(t, co2, ventilated, dark=True):  # judged at the next step, like drift
                self._co2.set_drift(check.verdict)
        daily = self._daily  # the rest of METRICS: the grower's-day figures
        daily.step(t, timeline.epoch_s, temp_c, par, daylight)
        metrics = (
            *values,
            vpd_kpa,
            margin,
            daily.night_mean_c,
            daily.mean_24h_c,
            daily.light_integral,
        )  # METRICS
        anomalies = self._anomalies.step(
            t, observation.timestamp, metrics, site_id, daylight, since=daily.period_starts
        )
        if closed:
            anomalies = closed + anomalies
        self.history.push(t, (*values, vpd_kpa, dew_point_c))  # HISTORY_SERIES order
        exclusions, health, confidence = self._diagnosis(changed)
        episodes_started = self._anomalies.episodes_started
        health_changed = previous is None or changed
        figures = (daily.light_integral, daily.night_mean_c, daily.mean_24h_c)
        return Estimate(  # every field, in order (see the class docstring)
            observation,
            device_status,
            values,
            vpd_kpa,
            dew_point_c,
            confidence,
            exclusions,
            health,
            t,
            anomalies,
            episodes_started,
            health_changed,
            figures,
        )

    def _judge_sensors(self, t: float, observation: ObservationV1, *, gap: bool) -> bool:
        """Judge every sensor's reading, in the table's order (PAR first: daylight is context).

        Returns whether some sensor's (status, fault) changed.
        """
        frame: tuple[float | None, ...] = self._read_frame(observation.sensors)
        frozen = self._feed.observe(t, frame, gap=gap)
        group = self._group
        daylight = False
        changed = False
        fresh = True
        temperature = self._temperature
        par = self._par
        for (tracker, colocated_at, low, high, index), value in zip(self._judged, frame, strict=True):
            if not tracker.installed:
                if self._inventory_fixed or value is None:
                    continue  # not this site's sensor (yet): nothing to judge, nothing to report
                tracker.installed = True
            colocated = None
            if colocated_at is not None:
                other = frame[colocated_at]
                if other is not None and low <= other <= high:
                    colocated = other
            held = group[index] if frozen is None and group is not None else frozen
            steady = tracker.observe(t, gap, value, daylight, colocated, temperature.accepted, held)
            if not steady:  # look closer: the steady path is ok, fresh and unchanged
                changed = changed or tracker.changed
                used = tracker.used
                fresh = fresh and tracker.ok and used is not None and not tracker.used_age_s
            if tracker is par:
                daylight = tracker.used is not None and tracker.used >= self._daylight_par
        self._all_fresh = fresh
        if self._held_long[0] >= 2 or self._group is not None:
            self._group = self._frozen_group(t)
        return changed

    def _frozen_group(self, t: float) -> tuple[Verdict | None, ...] | None:
        """Per sensor, the frozen group's verdict, told to the trackers at the next step; ``None``: none.

        A group: two or more sensors each holding its value exactly for ``feed.group_frozen_s``
        (docs/anomaly_thresholds.md, "A frozen feed"), though each alone may be a coarse plateau.
        A sensor whose value changed by then is not excluded (``SensorTracker.observe``).
        """
        held = [tracker.held_long for tracker, *_ in self._judged]
        if sum(held) < 2:
            return None
        limit = self._group_s
        verdicts: list[Verdict | None] = []
        for (tracker, *_), long in zip(self._judged, held, strict=True):
            since = tracker.exact_since
            verdicts.append((since, (t - since, GROUP_STATISTIC, t - since, limit)) if long else None)
        return tuple(verdicts)

    def _diagnosis(self, changed: bool) -> _Diagnosis:
        """Every sensor's exclusion reason and health snapshot, in ``SENSOR_KEYS`` order, and the confidence.

        Why the steady path: ``bench/estimator.py`` holds ``step`` to a budget (issue 29), and
        building these is a tenth of it. While every installed sensor is ok with this poll's
        reading and none changed (status, fault), each tracker's ``reason`` is ``None`` and its
        ``snapshot`` is the very tuple of the last step (an ``ok`` snapshot carries no evidence:
        ``SensorTracker._settle``), every trust is 1, and no sensor became installed (that
        changes its status), so last step's diagnosis is this step's.
        """
        steady = self._steady
        if steady is not None and self._all_fresh and not changed:
            return steady
        trackers = self._trackers
        steady = (
            tuple([tracker.reason for tracker in trackers]),
            tuple([tracker.snapshot if tracker.installed else None for tracker in trackers]),
            self._confidence(),
        )
        self._steady = steady if self._all_fresh else None
        return steady

    def _psychrometrics(self, temp_c: float, rh_pct: float) -> tuple[float, float | None]:
        """VPD and dew point of the state's temperature and humidity.

        Why the reuse: ``bench/estimator.py`` holds ``step`` to a budget (issue 29), and the
        humidity tracker has usually just computed them for the same pair (its jumps are judged
        on the dew point); they are a function of the pair alone, so equal inputs give the
        very same figures.
        """
        last = self._humidity.psychrometrics
        if last is not None and last[0] == temp_c and last[1] == rh_pct:
            return last[2]
        return vpd_and_dew_point(temp_c, rh_pct)

    def _close_episodes(self, previous: datetime | None, site_id: str) -> list[AnomalyV1]:
        """The wall clock stepped back: end every open episode at the last observation before the step."""
        assert previous is not None  # a step back is measured from an observation taken before
        why = f"the wall clock stepped back by {self._timeline.stepped_back_s:.0f} s"
        return self._anomalies.close_all(previous, site_id, why)

    def _confidence(self) -> float:
        """The state's confidence from every sensor's trust (docs/confidence_scoring.md).

        Called only when the diagnosis is not the steady one (``_diagnosis``), which carries it.
        """
        trusts = [
            None  # not installed: not part of the state's claim
            if not tracker.installed
            else 1.0  # the common case, as sensor_trust has it
            if tracker.ok and tracker.used is not None and not tracker.used_age_s
            else sensor_trust(
                tracker.status,
                tracker.used is not None,
                tracker.used_age_s,
                degraded_factor=self._degraded_factor,
                stale_after_s=self._stale_after_s,
            )
            for tracker in self._trackers
        ]
        if trusts != self._last_trusts:  # rounding is slow (a decimal conversion): once per change
            self._last_trusts = trusts
            pairs = [(w, trust) for w, trust in zip(self._weights, trusts, strict=True) if trust is not None]
            self._last_confidence = confidence([w for w, _ in pairs], [trust for _, trust in pairs])
        return self._last_confidence


__all__ = ["HISTORY_SERIES", "Estimate", "Estimator"]
