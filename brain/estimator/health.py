"""Sensor health: whether each reading can be trusted, and if not, which fault it shows.

The fault kinds are those of the sensor-fault literature (Ni et al. 2009,
"Sensor network data fault types", ACM TOSN 5(3); Sharma, Golubchik &
Govindan 2010, "Sensor faults: detection methods and prevalence in real-world
datasets", ACM TOSN 6(3)), detected with their rule-based methods: cheap,
explainable rules with parameters from physics and from the real logs in
``shared/data/field`` (docs/anomaly_thresholds.md, "Sensor health").

Per reading, in order of precedence:

- ``disconnect``: ``disconnect_polls`` null readings in a row, or a null
  reading while the last valid one is older than ``disconnect_after_s``.
  A sensor never seen valid since the start is excluded as ``missing``.
- ``out_of_range``: outside ``[valid_min, valid_max]``; judged on the reading alone.
- ``jump``: a step from the last accepted value larger than the quantity can
  make in the time between them (``jump_step_min``, ``jump_step_per_min``) and
  than ``jump_typical_factor`` typical steps (the mean absolute step, weighted
  exponentially over ``jump_window_s``); flagged on the reading itself. A
  smaller step of at least ``spike_min`` that comes back at the next reading is
  a one-sample spike, flagged when it comes back. The reading after a jump ends
  it, whether it returns (a spike) or stays (a real change becomes the reference).
- ``stuck_at``: no change beyond ``stuck_band`` while the sensor should have
  moved: for ``stuck_daylight_s`` of daylight, for ``stuck_colocated_s`` while
  the co-located quantity moved ``stuck_colocated_move``, or for ``stuck_any_s``.
- ``drift``: set by :mod:`brain.estimator.drift`.

``degraded`` (value still used, trust halved by the confidence rule): a null
reading whose last trusted value is at most ``stale_after_s`` old (held), or
``recovery_s`` after a fault ended. A faulty sensor's value is never used.

Why the code looks flat: :meth:`SensorTracker.observe` runs five times per
poll, so the common case (a valid reading that moved a little) is handled
inline with plain floats, and the rare cases go to helper methods.
"""

from __future__ import annotations

import math

from brain.contracts import ExclusionReason, HealthStatus, SensorFault, SensorKey
from brain.estimator.settings import HealthSettings, SensorLimits

Evidence = tuple[float, str, float | None, float | None]
"""window_s, statistic, value, limit: the numbers behind a diagnosis."""

HealthSnapshot = tuple[HealthStatus, SensorFault, float, Evidence | None]
"""status, fault, since (estimator time), evidence: one sensor's diagnosis at one step."""

_OK = HealthStatus.OK
_DEGRADED = HealthStatus.DEGRADED
_FAULTY = HealthStatus.FAULTY
_NONE = SensorFault.NONE
_INF = math.inf


class SensorTracker:
    """The health of one sensor, updated once per observation.

    After :meth:`observe`, ``used`` is the value the state may use (``None``
    when excluded), ``used_age_s`` its age, ``reason`` why it is excluded,
    ``snapshot`` the diagnosis, ``changed`` whether status or fault changed and
    ``accepted`` the reading if it passed the range and jump checks. ``steady``
    says the step took the common path: this poll's reading is used, the sensor
    was and is ok, and ``snapshot`` is the very object of the step before, so a
    caller may reuse what it derived from it (trust 1, nothing changed).
    """

    __slots__ = (
        "_candidate",
        "_co_max",
        "_co_min",
        "_day_s",
        "_drift",
        "_first_null_t",
        "_first_t",
        "_flat_last_t",
        "_flat_max",
        "_flat_min",
        "_flat_start",
        "_gap_s",
        "_jump_min",
        "_jump_per_min",
        "_k",
        "_null_polls",
        "_pending",
        "_recovery_until",
        "_ref",
        "_ref_t",
        "_settings",
        "_spike_min",
        "_stale_after_s",
        "_stuck_band",
        "_stuck_soonest_s",
        "_suspect",
        "_suspect_t",
        "_trusted",
        "_typical",
        "_vmax",
        "_vmin",
        "_window_s",
        "accepted",
        "changed",
        "fault",
        "limits",
        "reason",
        "sensor",
        "since",
        "snapshot",
        "status",
        "steady",
        "used",
        "used_age_s",
    )

    def __init__(self, sensor: SensorKey, settings: HealthSettings, *, stale_after_s: float, gap_s: float):
        self.sensor = sensor
        self.limits: SensorLimits = settings.limits(sensor)
        limits = self.limits
        self._settings = settings
        self._stale_after_s = stale_after_s
        self._gap_s = gap_s
        self._vmin, self._vmax = limits.valid_min, limits.valid_max
        self._jump_min, self._jump_per_min = limits.jump_step_min, limits.jump_step_per_min / 60.0
        self._spike_min = limits.spike_min
        self._k = settings.jump_typical_factor
        self._window_s = settings.jump_window_s
        self._stuck_band = limits.stuck_band
        windows = [limits.stuck_any_s, limits.stuck_daylight_s, limits.stuck_colocated_s]
        self._stuck_soonest_s = min(w for w in windows if w > 0)
        self.used: float | None = None
        self.used_age_s = 0.0
        self.reason: ExclusionReason | None = ExclusionReason.MISSING
        self.status = _DEGRADED
        self.fault = _NONE
        self.since = 0.0
        self.snapshot: HealthSnapshot = (_DEGRADED, _NONE, 0.0, None)
        self.changed = False
        self.steady = False
        self.accepted: float | None = None
        self._first_t: float | None = None
        """When the first null or out-of-range reading came: the sensor's start while none was valid."""
        self._trusted = False
        self._null_polls = 0
        self._first_null_t = 0.0
        self._ref: float | None = None
        self._ref_t = 0.0
        self._typical = 0.0
        self._pending = False
        self._suspect = 0.0
        self._suspect_t = 0.0
        self._candidate: tuple[float, float, float, float, float, float] | None = None
        """before, before_t, step, t, spike limit, typical before: the last accepted reading stepped far."""
        self._flat_start = -_INF
        self._flat_last_t = -_INF
        self._flat_min = self._flat_max = 0.0
        self._day_s = 0.0
        self._co_min, self._co_max = _INF, -_INF
        self._recovery_until = -1.0
        self._drift: tuple[float, Evidence] | None = None

    def set_drift(self, drift: tuple[float, Evidence] | None) -> None:
        """Mark the sensor as drifting since ``drift[0]`` with evidence ``drift[1]``, or clear it."""
        self._drift = drift

    def observe(  # noqa: PLR0912, PLR0915 - the common path inline, see the docstring
        self, t: float, gap: bool, value: float | None, daylight: bool, colocated: float | None
    ) -> None:
        """Judge this step's reading (``None`` when the read gave nothing).

        Why one long method: it runs five times per poll, and a call costs as much
        as the arithmetic of a whole rule, so the common case (nothing pending, a
        small step, a flat stretch too short to judge, an ok sensor) runs here
        on locals, and only the rare cases call helpers.
        """
        if value is None:
            self._on_null(t)
            return
        if value < self._vmin or value > self._vmax:
            self._on_out_of_range(t, value)
            return
        self._null_polls = 0

        # Jump (see the module docstring): a step within every limit, with no suspect pending and
        # no spike coming back, is counted as typical inline; the rest goes to the helpers.
        ref = self._ref
        ref_t = self._ref_t
        elapsed = t - ref_t
        if ref is None or gap or elapsed > self._gap_s:
            self._take(t, value)
        else:
            step = value - ref
            size = step if step >= 0.0 else -step
            typical = self._typical
            floor = self._k * typical
            candidate = self._candidate
            impossible = size > self._jump_min and size > self._jump_per_min * elapsed and size > floor
            if self._pending or impossible:
                jump = self._judge_step(t, value, ref, floor)
                if jump is not None:
                    self.accepted = None
                    self._exclude_as(t, ExclusionReason.JUMP, SensorFault.JUMP, jump)
                    return
            elif (
                candidate is not None
                and step * candidate[2] < 0
                and (spike := self._spike_returned(t, value, candidate))
            ):
                self.accepted = None
                self._exclude_as(t, ExclusionReason.JUMP, SensorFault.JUMP, spike)
                return
            else:
                weight = elapsed / self._window_s
                self._typical = typical + (weight if weight < 1.0 else 1.0) * (size - typical)
                spike_limit = self._spike_min if self._spike_min > floor else floor
                # A large step may be a spike: remembered until the next reading tells.
                self._candidate = (ref, ref_t, step, t, spike_limit, typical) if size >= spike_limit else None
                self._ref = value
                self._ref_t = t
        self.accepted = value  # and the reference is now this reading: the last valid one

        # Stuck: extend or restart the flat stretch; judge it only once it could be long enough.
        low = self._flat_min if self._flat_min < value else value
        high = self._flat_max if self._flat_max > value else value
        if gap or t - self._flat_last_t > self._gap_s or high - low > self._stuck_band:
            self._flat_start = self._flat_last_t = t
            self._flat_min = self._flat_max = value
            self._day_s = 0.0
            if colocated is None:
                self._co_min = _INF
                self._co_max = -_INF
            else:
                self._co_min = self._co_max = colocated
        else:
            if daylight:
                self._day_s += t - self._flat_last_t
            self._flat_min, self._flat_max, self._flat_last_t = low, high, t
            if colocated is not None:
                self._co_min = colocated if colocated < self._co_min else self._co_min
                self._co_max = colocated if colocated > self._co_max else self._co_max
            if t - self._flat_start >= self._stuck_soonest_s:
                stuck = self._judge_flatness(t, high - low)
                if stuck is not None:
                    self._exclude_as(t, ExclusionReason.STUCK_AT, SensorFault.STUCK_AT, stuck)
                    return
        drift = self._drift
        if drift is not None:
            self._exclude_as(t, ExclusionReason.DRIFT, SensorFault.DRIFT, drift)
            return
        self.used = value
        self.used_age_s = 0.0
        self.reason = None
        if self.status is _OK and t >= self._recovery_until:
            # Still ok, nothing to say: the snapshot stays the same object (see ``steady``).
            # (_trusted is true already: only a fault clears it, and no fault ends but in _settle.)
            self.changed = False
            self.steady = True
        else:
            self._settle(t, _NONE, t, None)

    def _judge_step(self, t: float, value: float, ref: float, floor: float) -> tuple[float, Evidence] | None:
        """A step past every limit, or any step while a suspect is pending: a jump, or a level settling."""
        elapsed = t - self._ref_t
        limit = max(self._jump_min, self._jump_per_min * elapsed, floor)
        step = value - ref
        size = abs(step)
        if size <= limit:  # a small step while pending: back to normal
            self._take(t, value)
            return None
        if self._pending:
            settle_limit = max(self._jump_min, self._jump_per_min * (t - self._suspect_t), floor)
            if abs(value - self._suspect) <= settle_limit:
                self._take(t, value)
                return None
        self._pending = True
        self._suspect = value
        self._suspect_t = t
        self._candidate = None
        return t, (elapsed, "step", size, limit)

    def _spike_returned(
        self, t: float, value: float, candidate: tuple[float, float, float, float, float, float]
    ) -> tuple[float, Evidence] | None:
        """The last accepted reading was a one-sample spike if this step back returns to the one before it."""
        before, before_t, spike_step, spike_t, spike_limit, typical_before = candidate
        if abs(value - before) > self._settings.spike_return_fraction * abs(spike_step):
            return None
        self._typical = typical_before  # the spike was not a step of the air
        self._take(t, value)
        return spike_t, (t - before_t, "spike_step", abs(spike_step), spike_limit)

    def _take(self, t: float, value: float) -> None:
        """Take ``value`` as the new reference without counting its step as typical."""
        self._candidate = None
        self._pending = False
        self._ref = value
        self._ref_t = t

    def _judge_flatness(self, t: float, spread: float) -> tuple[float, Evidence] | None:
        """Stuck evidence when the current flat stretch is too long for its context."""
        limits = self.limits
        if limits.stuck_ignore_below is not None and self._flat_max <= limits.stuck_ignore_below:
            return None
        start = self._flat_start
        duration = t - start
        band = self._stuck_band
        if duration >= limits.stuck_any_s:
            return start, (duration, "range", spread, band)
        if limits.stuck_daylight_s and self._day_s >= limits.stuck_daylight_s:
            return start, (self._day_s, "range_in_daylight", spread, band)
        colocated_moved = self._co_max - self._co_min >= limits.stuck_colocated_move
        if limits.stuck_colocated_s and duration >= limits.stuck_colocated_s and colocated_moved:
            return start, (duration, "range_while_colocated_moved", spread, band)
        return None

    def _on_null(self, t: float) -> None:
        first_t = self._first_t
        if first_t is None:
            first_t = self._first_t = t
        self.accepted = None
        self._null_polls += 1
        if self._null_polls == 1:
            self._first_null_t = t
        polls = self._null_polls
        limit = self._settings.disconnect_polls
        last_valid = self._ref  # every accepted reading becomes the jump rule's reference
        if last_valid is None:
            since = first_t
            evidence: Evidence = (t - since, "valid_readings_since_start", 0.0, None)
            self._exclude(ExclusionReason.MISSING)
            if polls >= limit:
                self._settle(t, SensorFault.DISCONNECT, since, evidence)
            else:
                self._settle(t, _NONE, t, evidence, degraded=True)
            return
        age = t - self._ref_t
        if polls >= limit or age >= self._settings.disconnect_after_s:
            self._exclude(ExclusionReason.DISCONNECT)
            evidence = (age, "null_polls", float(polls), float(limit))
            self._settle(t, SensorFault.DISCONNECT, self._first_null_t, evidence)
            return
        evidence = (age, "value_age_s", age, self._stale_after_s)
        if self._trusted and age <= self._stale_after_s:
            self.used = last_valid
            self.used_age_s = age
            self.reason = None
        else:
            self._exclude(ExclusionReason.STALE)
        self._settle(t, _NONE, t, evidence, degraded=True)

    def _on_out_of_range(self, t: float, value: float) -> None:
        if self._first_t is None:
            self._first_t = t
        self.accepted = None
        self._null_polls = 0
        limit = self._vmax if value > self._vmax else self._vmin
        self._exclude(ExclusionReason.OUT_OF_RANGE)
        self._settle(t, SensorFault.OUT_OF_RANGE, t, (0.0, "value", value, limit))

    def _exclude(self, reason: ExclusionReason) -> None:
        self.used = None
        self.used_age_s = 0.0
        self.reason = reason

    def _exclude_as(
        self, t: float, reason: ExclusionReason, fault: SensorFault, verdict: tuple[float, Evidence]
    ) -> None:
        """Exclude the reading for ``fault``, found with ``verdict`` (onset, evidence)."""
        self._exclude(reason)
        self._settle(t, fault, verdict[0], verdict[1])

    def _settle(
        self, t: float, fault: SensorFault, onset: float, evidence: Evidence | None, *, degraded: bool = False
    ) -> None:
        if fault is not _NONE:
            status = _FAULTY
            self._trusted = False
        else:
            if self.fault is not _NONE:
                self._recovery_until = t + self._settings.recovery_s
            recovering = t < self._recovery_until
            if recovering and evidence is None:
                elapsed = self._settings.recovery_s - (self._recovery_until - t)
                evidence = (elapsed, "seconds_since_fault_ended", elapsed, self._settings.recovery_s)
            status = _DEGRADED if degraded or recovering else _OK
            if not degraded:
                self._trusted = True
        changed = status is not self.status or fault is not self.fault
        if changed:
            self.status = status
            self.fault = fault
            self.since = onset
            self.snapshot = (status, fault, onset, evidence)
        elif evidence is not None or self.snapshot[3] is not None:
            self.snapshot = (status, fault, self.since, evidence)
        self.changed = changed
        self.steady = False
