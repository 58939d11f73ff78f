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
  than ``jump_typical_factor`` typical steps of the last ``jump_window_s``;
  flagged on the reading itself. The next reading ends it, whether it returns
  (a spike) or stays at the new level (a real change becomes the new reference).
- ``stuck_at``: no change beyond ``stuck_band`` while the sensor should have
  moved: for ``stuck_daylight_s`` of daylight, for ``stuck_colocated_s`` while
  the co-located quantity moved ``stuck_colocated_move``, or for ``stuck_any_s``.
- ``drift``: set by :mod:`brain.estimator.drift`.

``degraded`` (value still used, trust halved by the confidence rule): a null
reading whose last trusted value is at most ``stale_after_s`` old (held), or
``recovery_s`` after a fault ended. A faulty sensor's value is never used.
"""

from __future__ import annotations

from collections import deque

from brain.contracts import ExclusionReason, HealthStatus, SensorFault, SensorKey
from brain.estimator.settings import HealthSettings, SensorLimits

Evidence = tuple[float, str, float | None, float | None]
"""window_s, statistic, value, limit: the numbers behind a diagnosis."""

HealthSnapshot = tuple[HealthStatus, SensorFault, float, Evidence | None]
"""status, fault, since (estimator time), evidence: one sensor's diagnosis at one step."""

_REASON = {
    SensorFault.DISCONNECT: ExclusionReason.DISCONNECT,
    SensorFault.OUT_OF_RANGE: ExclusionReason.OUT_OF_RANGE,
    SensorFault.JUMP: ExclusionReason.JUMP,
    SensorFault.STUCK_AT: ExclusionReason.STUCK_AT,
    SensorFault.DRIFT: ExclusionReason.DRIFT,
}

_OK = HealthStatus.OK
_DEGRADED = HealthStatus.DEGRADED
_FAULTY = HealthStatus.FAULTY
_NONE = SensorFault.NONE


class SensorTracker:
    """The health of one sensor, updated once per observation.

    After :meth:`observe`, ``used`` is the value the state may use (``None``
    when excluded), ``used_age_s`` its age, ``reason`` why it is excluded,
    ``snapshot`` the diagnosis and ``changed`` whether status or fault changed.
    """

    __slots__ = (
        "_candidate",
        "_co_max",
        "_co_min",
        "_day_s",
        "_drift",
        "_ever_valid",
        "_first_null_t",
        "_first_t",
        "_flat_last_t",
        "_flat_max",
        "_flat_min",
        "_flat_start",
        "_gap_s",
        "_last_valid",
        "_last_valid_t",
        "_null_polls",
        "_pending",
        "_recovery_until",
        "_ref",
        "_ref_t",
        "_settings",
        "_stale_after_s",
        "_step_sum",
        "_steps",
        "_suspect",
        "_suspect_t",
        "_trusted",
        "accepted",
        "changed",
        "fault",
        "limits",
        "reason",
        "sensor",
        "since",
        "snapshot",
        "status",
        "used",
        "used_age_s",
    )

    def __init__(self, sensor: SensorKey, settings: HealthSettings, *, stale_after_s: float, gap_s: float):
        self.sensor = sensor
        self.limits: SensorLimits = settings.limits(sensor)
        self._settings = settings
        self._stale_after_s = stale_after_s
        self._gap_s = gap_s
        self.used: float | None = None
        self.used_age_s = 0.0
        self.reason: ExclusionReason | None = ExclusionReason.MISSING
        self.status = _DEGRADED
        self.fault = _NONE
        self.since = 0.0
        self.snapshot: HealthSnapshot = (_DEGRADED, _NONE, 0.0, None)
        self.changed = False
        self.accepted: float | None = None
        """This step's reading if it passed the range and jump checks (drift is judged on it)."""
        self._first_t: float | None = None
        self._ever_valid = False
        self._trusted = False
        self._null_polls = 0
        self._first_null_t = 0.0
        self._last_valid = 0.0
        self._last_valid_t = 0.0
        self._ref: float | None = None
        self._ref_t = 0.0
        self._pending = False
        self._suspect = 0.0
        self._suspect_t = 0.0
        self._candidate: tuple[float, float, float, float, float] | None = None
        """before, before_t, step, t, spike limit of the last accepted reading if it stepped far."""
        self._steps: deque[tuple[float, float]] = deque()
        self._step_sum = 0.0
        self._flat_start: float | None = None
        self._flat_last_t = 0.0
        self._flat_min = 0.0
        self._flat_max = 0.0
        self._day_s = 0.0
        self._co_min = 0.0
        self._co_max = 0.0
        self._recovery_until = -1.0
        self._drift: tuple[float, Evidence] | None = None

    def set_drift(self, drift: tuple[float, Evidence] | None) -> None:
        """Mark the sensor as drifting since ``drift[0]`` with evidence ``drift[1]``, or clear it."""
        self._drift = drift

    def observe(
        self,
        t: float,
        gap: bool,
        value: float | None,
        daylight: bool,
        colocated: float | None,
    ) -> None:
        """Judge this step's reading (``None`` when the read gave nothing)."""
        if self._first_t is None:
            self._first_t = t
        self.accepted = None
        if value is None:
            self._on_null(t)
        elif value < self.limits.valid_min or value > self.limits.valid_max:
            self._on_out_of_range(t, value)
        else:
            self._on_value(t, gap, value, daylight, colocated)

    def _on_null(self, t: float) -> None:
        self._null_polls += 1
        if self._null_polls == 1:
            self._first_null_t = t
        polls = self._null_polls
        limit = self._settings.disconnect_polls
        if not self._ever_valid:
            since = self._first_t if self._first_t is not None else t
            evidence: Evidence = (t - since, "valid_readings_since_start", 0.0, None)
            self._exclude(ExclusionReason.MISSING)
            if polls >= limit:
                self._settle(t, SensorFault.DISCONNECT, since, evidence)
            else:
                self._settle(t, _NONE, t, evidence, degraded=True)
            return
        age = t - self._last_valid_t
        if polls >= limit or age >= self._settings.disconnect_after_s:
            self._exclude(ExclusionReason.DISCONNECT)
            self._settle(
                t, SensorFault.DISCONNECT, self._first_null_t, (age, "null_polls", float(polls), float(limit))
            )
            return
        evidence = (age, "value_age_s", age, self._stale_after_s)
        if self._trusted and age <= self._stale_after_s:
            self.used = self._last_valid
            self.used_age_s = age
            self.reason = None
        else:
            self._exclude(ExclusionReason.STALE)
        self._settle(t, _NONE, t, evidence, degraded=True)

    def _on_out_of_range(self, t: float, value: float) -> None:
        self._null_polls = 0
        limits = self.limits
        limit = limits.valid_max if value > limits.valid_max else limits.valid_min
        self._exclude(ExclusionReason.OUT_OF_RANGE)
        self._settle(t, SensorFault.OUT_OF_RANGE, t, (0.0, "value", value, limit))

    def _on_value(self, t: float, gap: bool, value: float, daylight: bool, colocated: float | None) -> None:
        self._null_polls = 0
        jump = self._judge_step(t, gap, value)
        if jump is not None:
            self._exclude(ExclusionReason.JUMP)
            self._settle(t, SensorFault.JUMP, jump[0], jump[1])
            return
        self.accepted = value
        self._last_valid = value
        self._last_valid_t = t
        self._ever_valid = True
        stuck = self._judge_flatness(t, gap, value, daylight, colocated)
        if stuck is not None:
            self._exclude(ExclusionReason.STUCK_AT)
            self._settle(t, SensorFault.STUCK_AT, stuck[0], stuck[1])
        elif self._drift is not None:
            self._exclude(ExclusionReason.DRIFT)
            self._settle(t, SensorFault.DRIFT, self._drift[0], self._drift[1])
        else:
            self.used = value
            self.used_age_s = 0.0
            self.reason = None
            self._settle(t, _NONE, t, None)

    def _judge_step(self, t: float, gap: bool, value: float) -> tuple[float, Evidence] | None:
        """Return ``(onset, evidence)`` of a jump: an impossible step now, or a spike that just came back."""
        ref = self._ref
        if ref is None or gap or t - self._ref_t > self._gap_s:
            self._accept(t, value, None, 0.0)
            return None
        limits = self.limits
        self._forget_old_steps(t)
        typical = self._step_sum / len(self._steps) if self._steps else 0.0
        floor = self._settings.jump_typical_factor * typical
        elapsed = t - self._ref_t
        limit = max(limits.jump_step_min, limits.jump_step_per_min * elapsed / 60.0, floor)
        step = value - ref
        size = abs(step)
        if size <= limit:
            spike = self._spike_returned(t, value, step)
            self._accept(
                t, value, None if self._pending or spike is not None else size, max(limits.spike_min, floor)
            )
            return spike
        if self._pending:
            since_suspect = t - self._suspect_t
            settle_limit = max(limits.jump_step_min, limits.jump_step_per_min * since_suspect / 60.0, floor)
            if abs(value - self._suspect) <= settle_limit:
                self._accept(t, value, None, 0.0)
                return None
        self._pending = True
        self._suspect = value
        self._suspect_t = t
        self._candidate = None
        return t, (elapsed, "step", size, limit)

    def _spike_returned(self, t: float, value: float, step: float) -> tuple[float, Evidence] | None:
        """The last accepted reading was a one-sample spike if this one comes back to the one before it."""
        candidate = self._candidate
        if candidate is None:
            return None
        before, before_t, spike_step, spike_t, spike_limit = candidate
        came_back = abs(value - before) <= self._settings.spike_return_fraction * abs(spike_step)
        if not came_back or step * spike_step >= 0:
            return None
        if self._steps and self._steps[-1][0] == spike_t:
            self._step_sum -= self._steps.pop()[1]
        return spike_t, (t - before_t, "spike_step", abs(spike_step), spike_limit)

    def _accept(self, t: float, value: float, step: float | None, spike_limit: float) -> None:
        """Take ``value`` as the new reference; remember it as a spike candidate if its step was large."""
        self._candidate = None
        if step is not None:
            self._steps.append((t, step))
            self._step_sum += step
            if step >= spike_limit and self._ref is not None:
                self._candidate = (self._ref, self._ref_t, value - self._ref, t, spike_limit)
        self._ref = value
        self._ref_t = t
        self._pending = False

    def _forget_old_steps(self, t: float) -> None:
        cutoff = t - self._settings.jump_window_s
        steps = self._steps
        while steps and steps[0][0] < cutoff:
            self._step_sum -= steps.popleft()[1]
        if not steps:
            self._step_sum = 0.0

    def _judge_flatness(
        self, t: float, gap: bool, value: float, daylight: bool, colocated: float | None
    ) -> tuple[float, Evidence] | None:
        """Track how long the value has stayed within ``stuck_band``; return stuck evidence if too long."""
        limits = self.limits
        low = min(self._flat_min, value)
        high = max(self._flat_max, value)
        broken = gap or self._flat_start is None or t - self._flat_last_t > self._gap_s
        if broken or high - low > limits.stuck_band:
            self._restart_flat(t, value, colocated)
            return None
        if daylight:
            self._day_s += t - self._flat_last_t
        self._flat_min, self._flat_max, self._flat_last_t = low, high, t
        if colocated is not None:
            self._co_min = min(self._co_min, colocated)
            self._co_max = max(self._co_max, colocated)
        start = self._flat_start
        if start is None or (limits.stuck_ignore_below is not None and high <= limits.stuck_ignore_below):
            return None
        duration = t - start
        spread = high - low
        if duration >= limits.stuck_any_s:
            return start, (duration, "range", spread, limits.stuck_band)
        if limits.stuck_daylight_s and self._day_s >= limits.stuck_daylight_s:
            return start, (self._day_s, "range_in_daylight", spread, limits.stuck_band)
        colocated_moved = self._co_max - self._co_min >= limits.stuck_colocated_move
        if limits.stuck_colocated_s and duration >= limits.stuck_colocated_s and colocated_moved:
            return start, (duration, "range_while_colocated_moved", spread, limits.stuck_band)
        return None

    def _restart_flat(self, t: float, value: float, colocated: float | None) -> None:
        self._flat_start = t
        self._flat_last_t = t
        self._flat_min = self._flat_max = value
        self._day_s = 0.0
        if colocated is None:
            self._co_min, self._co_max = float("inf"), float("-inf")
        else:
            self._co_min = self._co_max = colocated

    def _exclude(self, reason: ExclusionReason) -> None:
        self.used = None
        self.used_age_s = 0.0
        self.reason = reason

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
