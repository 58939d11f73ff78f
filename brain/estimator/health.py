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
- ``jump``: a step from the last accepted value (for humidity: of the dew point it
  makes with the accepted temperature) larger than the quantity can
  make in the time between them (``jump_step_min``, ``jump_step_per_min``) and
  than ``jump_typical_factor`` typical steps (the mean absolute step, weighted
  exponentially over ``jump_window_s``); flagged on the reading itself. A
  smaller step of at least ``spike_min`` that comes back at the next reading is
  a one-sample spike, flagged when it comes back. The reading after a jump ends
  it, whether it returns (a spike) or stays (a real change becomes the reference).
- ``stuck_at``: no change beyond ``stuck_band`` while the sensor should have
  moved: for ``stuck_daylight_s`` of daylight, for ``stuck_colocated_s`` while
  the co-located quantity moved ``stuck_colocated_move``, or for ``stuck_any_s``;
  or one value repeated exactly, at any hour: for ``stuck_exact_s``, or for
  ``stuck_round_s`` when it is a multiple of ``stuck_round_multiple`` (a fill value).
- a frozen feed (:mod:`brain.estimator.feed`): every channel repeating its last frame;
  each sensor of it is ``faulty`` / ``stuck_at``, excluded as ``stale``, with the
  feed's evidence (``whole_frame_repeated_s``).
- ``drift``: set by :mod:`brain.estimator.drift`; a drifting sensor is a *suspect*:
  status ``degraded`` with fault ``drift``, its value still used (anomalies are still
  judged on it) at reduced trust, since the drift reference cannot be immune to weather.

``degraded`` (value still used, trust halved by the confidence rule): a null
reading whose last trusted value is at most ``stale_after_s`` old (held), or
``recovery_s`` after a fault ended. A faulty sensor's value is never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from brain.contracts import ExclusionReason, HealthStatus, SensorFault, SensorKey
from brain.estimator.settings import HealthSettings, SensorLimits
from brain.estimator.vpd import vpd_and_dew_point

Evidence = tuple[float, str, float | None, float | None]
"""window_s, statistic, value, limit: the numbers behind a diagnosis."""

GROUP_STATISTIC = "group_repeated_s"
"""The evidence of a frozen group (``Estimator``): told a step late, so a sensor that changed
its value by then is not excluded by it."""
Verdict = tuple[float, Evidence]
"""onset (estimator time), evidence: a fault found by a rule above the sensor (a frozen feed or group)."""

HealthSnapshot = tuple[HealthStatus, SensorFault, float, Evidence | None]
"""status, fault, since (estimator time), evidence: one sensor's diagnosis at one step."""

EXACT_HOLD_S = 900.0
"""An exact-repeat fault holds this long after the repeat breaks (``SensorTracker._exact_verdict``)."""
EXACT_RESUME_S = 86400.0
"""The value a sensor was found frozen at, back within this long, is the same fault resumed."""
_INF = math.inf


@dataclass(frozen=True, slots=True)
class _Candidate:
    """The last accepted reading stepped far: it may be a one-sample spike, told by the next reading."""

    before: float
    """The reading before the step."""
    before_t: float
    step: float
    t: float
    """When the far step came."""
    limit: float
    """The spike limit the step passed."""
    typical_before: float
    """The typical step before it (restored if the step was a spike: not a step of the air)."""


def _coarse(value: float, step: float) -> bool:
    """Whether ``value`` is a coarse sensor's plateau: a whole multiple of ``step``.

    Or the mean of up to four such readings (OSU's RH 89.6667 is the mean of 89, 90 and 90 %).
    """
    for sensors in (1, 2, 3, 4):
        scaled = value * sensors / step
        if abs(scaled - round(scaled)) < 1e-3:
            return True
    return False


class SensorTracker:
    """The health of one sensor, updated once per observation by :meth:`observe`.

    Afterwards ``used`` is the value the state may use (``None`` when excluded),
    ``used_age_s`` its age, ``reason`` why it is excluded, ``status`` and ``fault`` (``ok``:
    the status is ok), ``snapshot`` the diagnosis, ``changed`` whether status or fault changed
    and ``accepted`` the reading if it passed the range and jump checks.
    """

    __slots__ = (
        "_candidate",
        "_co_max",
        "_co_min",
        "_day_s",
        "_drift",
        "_exact_coarse",
        "_exact_dark",
        "_exact_found",
        "_exact_found_t",
        "_exact_held_s",
        "_exact_hold_until",
        "_exact_rules",
        "_exact_since",
        "_exact_soonest_s",
        "_exact_value",
        "_exact_verdict",
        "_exact_watch_from",
        "_exact_watch_s",
        "_first_null_t",
        "_first_t",
        "_flat_last_t",
        "_flat_max",
        "_flat_min",
        "_flat_start",
        "_gap_s",
        "_group_s",
        "_held_count",
        "_jump_on_dew_point",
        "_jump_step_min",
        "_jump_step_per_s",
        "_jump_window_s",
        "_last_valid",
        "_last_valid_t",
        "_null_polls",
        "_pending",
        "_recovery_until",
        "_ref",
        "_ref_t",
        "_settings",
        "_spike_min",
        "_stale_after_s",
        "_step_statistic",
        "_stuck_band",
        "_stuck_soonest_s",
        "_suspect",
        "_suspect_t",
        "_trusted",
        "_typical",
        "_typical_factor",
        "_valid_max",
        "_valid_min",
        "accepted",
        "changed",
        "fault",
        "held_long",
        "installed",
        "limits",
        "ok",
        "psychrometrics",
        "reason",
        "sensor",
        "since",
        "snapshot",
        "status",
        "used",
        "used_age_s",
    )

    def __init__(
        self,
        *,
        sensor: SensorKey,
        settings: HealthSettings,
        stale_after_s: float,
        gap_s: float,
        installed: bool = True,
        jump_on_dew_point: bool = False,
        group: tuple[list[int], float] | None = None,
    ) -> None:
        self.sensor = sensor
        self.installed = installed
        """Whether the site has this sensor (see :class:`~brain.estimator.Estimator`); an uninstalled
        one is not judged and its value stays ``None`` (excluded as ``missing``)."""
        self._held_count, self._group_s = group if group is not None else ([0], _INF)
        """The count, shared by a site's trackers, of those holding a value exactly for ``_group_s``
        (a frozen group when two or more do: ``Estimator``); ``inf``: this sensor never takes part."""
        self.held_long = False
        """Whether this sensor holds its value (above its dark floor) exactly for ``_group_s``."""
        self._jump_on_dew_point = jump_on_dew_point
        self._step_statistic = "dew_point_step" if jump_on_dew_point else "step"
        self.limits: SensorLimits = settings.limits(sensor)
        self._settings = settings
        self._stale_after_s = stale_after_s
        self._gap_s = gap_s
        self._read_limits(settings)
        self._init_diagnosis()
        self.psychrometrics: tuple[float, float, tuple[float, float | None]] | None = None
        """The last temperature and humidity whose dew point judged a jump, with their
        ``vpd_and_dew_point``: the state's VPD is usually of the same pair (see ``Estimator.step``)."""
        self._first_t: float | None = None
        """When the first null or out-of-range reading came: the sensor's start while none was valid."""
        self._trusted = False
        self._null_polls = 0
        self._first_null_t = 0.0
        self._ref: float | None = None
        """The jump rule's reference: the last accepted reading, or for humidity its dew point."""
        self._last_valid: float | None = None
        self._last_valid_t = -_INF
        """The last reading that passed the range and jump checks, and when (also where the
        exact-repeat run was last extended: every such reading extends or restarts it)."""
        self._init_exact_repeat()
        self._ref_t = 0.0
        self._typical = 0.0
        self._pending = False
        self._suspect = 0.0
        self._suspect_t = 0.0
        self._candidate: _Candidate | None = None
        self._flat_start = -_INF
        self._flat_last_t = -_INF
        self._flat_min = self._flat_max = 0.0
        self._day_s = 0.0
        self._co_min, self._co_max = _INF, -_INF
        self._recovery_until = -1.0
        self._drift: tuple[float, Evidence] | None = None

    def _init_diagnosis(self) -> None:
        """What the tracker tells after each step (the class docstring), before any: nothing seen."""
        self.used: float | None = None
        self.used_age_s = 0.0
        self.reason: ExclusionReason | None = ExclusionReason.MISSING
        self.status = HealthStatus.DEGRADED
        self.ok = False
        """``status`` is ok: what every step asks (an enum member costs Python 3.11 a lookup each time)."""
        self.fault = SensorFault.NONE
        self.since = 0.0
        self.snapshot: HealthSnapshot = (self.status, self.fault, 0.0, None)
        self.changed = False
        self.accepted: float | None = None

    def _init_exact_repeat(self) -> None:
        """The exact-repeat rule's state: nothing repeated yet."""
        self._exact_value: float | None = None
        self._exact_since = 0.0
        """The value repeated exactly since ``_exact_since`` (a fill value, if held long)."""
        self._exact_held_s = 0.0
        """How long it has been held, dark readings (PAR at night) not counted."""
        self._exact_found: float | None = None
        self._exact_found_t = -_INF
        """The last value found repeated (and when): the same value back within a day is the same
        fault resumed (a PAR sensor frozen at 306.1078 for three days, dark hours between)."""
        self._exact_hold_until = -_INF
        self._exact_watch_from = self._exact_watch_s
        """How long a run must be held before :meth:`_exact_repeat_verdict` looks at it: the
        shortest that can matter (``_exact_watch_s``), or 0 while the sensor counts in a frozen
        group or a verdict still holds (both end only there, which then raises it again)."""
        self._exact_verdict: tuple[float, Evidence] | None = None
        """The last exact-repeat verdict; it holds ``EXACT_HOLD_S`` after the repeat breaks, so one
        reading between two stretches of the frozen value (a lamp ramp) does not end the fault."""

    def _read_limits(self, settings: HealthSettings) -> None:
        """Copy the limits into plain floats: read at every poll, a model's attribute costs 3x."""
        limits = self.limits
        self._valid_min, self._valid_max = limits.valid_min, limits.valid_max
        self._jump_step_min = limits.jump_step_min
        self._jump_step_per_s = limits.jump_step_per_min / 60.0
        self._spike_min = limits.spike_min
        self._stuck_band = limits.stuck_band
        self._typical_factor = settings.jump_typical_factor
        self._jump_window_s = settings.jump_window_s
        self._exact_rules = bool(limits.stuck_exact_s or limits.stuck_round_multiple)
        """Whether exact repeats are judged for this sensor."""
        self._exact_dark = -_INF if limits.stuck_ignore_below is None else limits.stuck_ignore_below
        """A reading at or below this (PAR in the dark) neither breaks nor extends an exact repeat:
        a PAR sensor frozen at 306.1078 reads 0 at night and 306.1078 again in the morning."""
        self._exact_coarse = limits.stuck_exact_coarse_step
        """A value that is a whole multiple of this step (RH to 1 %) is a plausible plateau of a
        coarse reading: the exact-repeat rule does not judge it (docs/anomaly_thresholds.md)."""
        exact = [limits.stuck_exact_s] if limits.stuck_exact_s else []
        exact += [limits.stuck_round_s] if limits.stuck_round_multiple else []
        self._exact_soonest_s = min(exact, default=_INF)
        """The shortest hold after which an exact-repeat rule can fire."""
        self._exact_watch_s = min(self._exact_soonest_s, self._group_s)
        """The shortest run of one value that can matter (a verdict, or a part in a frozen group)."""
        windows = [limits.stuck_any_s, limits.stuck_daylight_s, limits.stuck_colocated_s]
        self._stuck_soonest_s = min(w for w in windows if w > 0)

    @property
    def exact_since(self) -> float:
        """Since when (estimator time) the current value has been repeated exactly."""
        return self._exact_since

    def set_drift(self, drift: tuple[float, Evidence] | None) -> None:
        """Mark the sensor as drifting since ``drift[0]`` with evidence ``drift[1]``, or clear it."""
        self._drift = drift

    def observe(  # noqa: PLR0911, PLR0912, PLR0915, PLR0917 - see the docstring
        self,
        t: float,
        gap: bool,
        value: float | None,
        daylight: bool,
        colocated: float | None,
        temperature_c: float | None = None,
        feed_frozen: Verdict | None = None,
    ) -> bool:
        """Judge this step's reading (``None`` when the read gave nothing).

        ``gap``: the observation came after a gap (steps across it are not judged);
        ``daylight``: PAR says it is light; ``colocated``: the co-located quantity's
        plausible reading, or ``None``; ``temperature_c``: the air temperature accepted
        at this step, for a sensor whose jumps are judged on the dew point (humidity);
        ``feed_frozen``: ``(since, evidence)`` while the whole feed, or a group of its channels
        this one is in, repeats its values (:mod:`brain.estimator.feed`).

        Returns whether this was the steady path: the sensor was ``ok`` and stays so with
        this reading, nothing changed (``changed`` false, ``snapshot`` the same tuple, ``used``
        this reading, fresh); the estimator then skips looking at the tracker again.

        Why one long method with positional arguments: it runs for every sensor at every
        poll, and ``make bench`` holds ``Estimator.step`` to a budget of instructions (issue 29);
        a call costs about as much as a rule's arithmetic, so the common case of each rule (a
        small step, a flat stretch extended or restarted) is inline, in the order of the module
        docstring, and the rare cases are the helper methods.
        """
        if value is None:
            self._on_null(t)
            return False
        if value < self._valid_min or value > self._valid_max:
            self._on_out_of_range(t, value)
            return False
        self._null_polls = 0
        # Jump: the common case (nothing pending, no far step to tell, a small step within every
        # limit) inline; _judge_step has every case, and does the same for this one.
        judged = self._jump_quantity(value, temperature_c) if self._jump_on_dew_point else value
        ref = self._ref
        elapsed = t - self._ref_t
        jump = None
        if judged is None:  # nothing to judge a step on: the next reading starts afresh
            self._take(t, None)
        elif ref is None or gap or elapsed > self._gap_s or self._pending or self._candidate is not None:
            jump = self._judge_step(t, judged, gap)
        else:
            step = judged - ref
            size = step if step >= 0.0 else -step
            typical = self._typical
            impossible = size > self._jump_step_min and size > self._jump_step_per_s * elapsed
            if size < self._spike_min and not (impossible and size > self._typical_factor * typical):
                weight = elapsed / self._jump_window_s
                self._typical = typical + (weight if weight < 1.0 else 1.0) * (size - typical)
                self._ref = judged
                self._ref_t = t
            else:
                jump = self._judge_step(t, judged, gap)
        if jump is not None:
            self.accepted = None
            self._exclude_as(t, ExclusionReason.JUMP, SensorFault.JUMP, jump)
            return False
        self.accepted = value
        self._last_valid = value
        last_t = self._last_valid_t
        self._last_valid_t = t
        stuck = None
        if self._exact_rules:  # exact repeats: judged only once held long enough for some rule
            if gap or t - last_t > self._gap_s:
                self._exact_value = value
                self._exact_since = t
                self._exact_held_s = 0.0
            elif value <= self._exact_dark:
                pass  # dark: neither breaks nor extends the repeat
            elif value != self._exact_value:
                self._exact_value = value
                self._exact_since = t
                self._exact_held_s = 0.0
                if value == self._exact_found and t - self._exact_found_t < EXACT_RESUME_S:
                    # the fault resumed: at once while it still holds, else at its second reading
                    resumed = t < self._exact_hold_until
                    self._exact_held_s = self._exact_soonest_s - (0.0 if resumed else 1e-6)
            else:
                self._exact_held_s += t - last_t
            if self._exact_held_s >= self._exact_watch_from:
                stuck = self._exact_repeat_verdict(t, value)  # rare: a long run, or one just ended
        if feed_frozen is not None and (self.held_long or feed_frozen[1][1] != GROUP_STATISTIC):
            # the feed, or a group of it this sensor still holds its value in: not the air now
            self._exclude_as(t, ExclusionReason.STALE, SensorFault.STUCK_AT, feed_frozen)
            return False
        # Stuck: extend or restart the flat stretch (most readings move it past the band: asked
        # first); judge it only once it could be long enough.
        low = value if value < self._flat_min else self._flat_min
        high = value if value > self._flat_max else self._flat_max
        if high - low > self._stuck_band or gap or t - self._flat_last_t > self._gap_s:
            self._flat_start = self._flat_last_t = t
            self._flat_min = self._flat_max = value
            self._day_s = 0.0
            self._co_min, self._co_max = (_INF, -_INF) if colocated is None else (colocated, colocated)
        else:
            if daylight:
                self._day_s += t - self._flat_last_t
            self._flat_min, self._flat_max, self._flat_last_t = low, high, t
            if colocated is not None:
                self._co_min = colocated if colocated < self._co_min else self._co_min
                self._co_max = colocated if colocated > self._co_max else self._co_max
            if stuck is None and t - self._flat_start >= self._stuck_soonest_s:
                stuck = self._judge_flatness(t, high - low)
        if stuck is not None:
            self._exclude_as(t, ExclusionReason.STUCK_AT, SensorFault.STUCK_AT, stuck)
            return False
        self.used = value
        self.used_age_s = 0.0
        self.reason = None
        if self._drift is not None:  # suspect, not excluded: its value is still used, at half trust
            onset, evidence = self._drift
            self._settle(t, SensorFault.DRIFT, onset, evidence, degraded=True)
        elif self.ok:  # never while recovering: _settle makes a recovering sensor degraded
            self.changed = False  # still ok, nothing new to say: what _settle would conclude
            return True
        else:
            self._settle(t, SensorFault.NONE, t, None)
        return False

    def _jump_quantity(self, value: float, temperature_c: float | None) -> float | None:
        """What a step is judged on: the reading, or for humidity the dew point it makes.

        Why the dew point for humidity: fans and vents swap the air, and RH swings by
        12 % while the water in the air (the dew point) moves by about 1 degC (OSU 2024);
        a humidity sensor that glitches moves the dew point with it. ``None`` when the
        temperature for it is not known.
        """
        if temperature_c is None or value <= 0.0:
            return None
        humidity = value if value < 100.0 else 100.0
        vpd_dew = vpd_and_dew_point(temperature_c, humidity)
        self.psychrometrics = (temperature_c, humidity, vpd_dew)
        return vpd_dew[1]

    def _judge_step(self, t: float, value: float, gap: bool) -> tuple[float, Evidence] | None:
        """Jump or spike evidence for this reading's step from the last accepted one, else ``None``.

        A step within every limit is counted into the typical step and may be a spike's
        start (remembered as the candidate); the reading becomes the reference either way.
        """
        ref = self._ref
        elapsed = t - self._ref_t
        if ref is None or gap or elapsed > self._gap_s:
            self._take(t, value)
            return None
        step = value - ref
        size = step if step >= 0.0 else -step
        typical = self._typical
        floor = self._typical_factor * typical
        impossible = size > self._jump_step_min and size > self._jump_step_per_s * elapsed and size > floor
        if self._pending or impossible:
            return self._judge_far_step(t, value, ref, floor)
        candidate = self._candidate
        if candidate is not None and step * candidate.step < 0:
            spike = self._spike_returned(t, value, candidate)
            if spike is not None:
                return spike
        weight = elapsed / self._jump_window_s
        self._typical = typical + (weight if weight < 1.0 else 1.0) * (size - typical)
        spike_limit = self._spike_min if self._spike_min > floor else floor
        far = size >= spike_limit
        self._candidate = _Candidate(ref, self._ref_t, step, t, spike_limit, typical) if far else None
        self._ref = value
        self._ref_t = t
        return None

    def _judge_far_step(
        self, t: float, value: float, ref: float, floor: float
    ) -> tuple[float, Evidence] | None:
        """A step past every limit, or any step while a suspect is pending: a jump, or a level settling."""
        per_s = self._jump_step_per_s
        elapsed = t - self._ref_t
        limit = max(self._jump_step_min, per_s * elapsed, floor)
        size = abs(value - ref)
        if size <= limit:  # a small step while pending: back to normal
            self._take(t, value)
            return None
        if self._pending:
            settle_limit = max(self._jump_step_min, per_s * (t - self._suspect_t), floor)
            if abs(value - self._suspect) <= settle_limit:
                self._take(t, value)
                return None
        self._pending = True
        self._suspect = value
        self._suspect_t = t
        self._candidate = None
        return t, (elapsed, self._step_statistic, size, limit)

    def _spike_returned(self, t: float, value: float, candidate: _Candidate) -> tuple[float, Evidence] | None:
        """The last accepted reading was a one-sample spike if this step back returns to the one before it."""
        if abs(value - candidate.before) > self._settings.spike_return_fraction * abs(candidate.step):
            return None
        self._typical = candidate.typical_before  # the spike was not a step of the air
        self._take(t, value)
        statistic = "spike_" + self._step_statistic
        return candidate.t, (t - candidate.before_t, statistic, abs(candidate.step), candidate.limit)

    def _take(self, t: float, value: float | None) -> None:
        """Take ``value`` as the new reference without counting its step as typical."""
        self._candidate = None
        self._pending = False
        self._ref = value
        self._ref_t = t

    def _exact_repeat_verdict(self, t: float, value: float) -> tuple[float, Evidence] | None:
        """What the current exact-repeat run means at ``t``: its part in a frozen group, its verdict.

        Called by :meth:`observe` only while the run is at least ``_exact_watch_from`` long: the
        shortest run that can matter, or any run while the sensor counts in a group or a verdict
        still holds (both end only here, which then raises the threshold again); otherwise none of
        these can change, and a live sensor (a new value at nearly every poll) pays one comparison.
        """
        long = self._exact_held_s >= self._group_s and value > self._exact_dark
        if long is not self.held_long:  # the site's count of long-held sensors changes
            self.held_long = long
            self._held_count[0] += 1 if long else -1
        stuck = None
        if self._exact_held_s >= self._exact_soonest_s:
            stuck = self._judge_exact_repeat(t, self._exact_value)
        holding = t < self._exact_hold_until
        if stuck is None and holding:
            stuck = self._exact_verdict
        self._exact_watch_from = 0.0 if long or holding else self._exact_watch_s
        return stuck

    def _judge_exact_repeat(self, t: float, value: float | None) -> tuple[float, Evidence] | None:
        """Stuck evidence for one value repeated exactly (a fill value), at any hour, else ``None``.

        Why apart from the flat stretch: a reading repeated to the last digit while the air
        moves is a substitute value, not a quiet night; a round one (400 ppm, 1000 ppm) is a
        logger's fill, found sooner (docs/anomaly_thresholds.md, "Exact repeats"). Called once
        the value has been held ``_exact_soonest_s``; :meth:`observe` keeps the count inline
        (``bench/estimator.py`` holds ``Estimator.step`` to a budget of instructions, issue 29).
        """
        held_s = self._exact_held_s
        limits = self.limits
        round_step = limits.stuck_round_multiple
        if value is None:
            return None
        verdict: tuple[float, Evidence] | None = None
        if round_step and value % round_step == 0.0 and held_s >= limits.stuck_round_s:
            verdict = self._exact_since, (held_s, "round_value_held", value, None)
        elif self._exact_coarse and _coarse(value, self._exact_coarse):
            return None  # a plateau of a coarse reading (RH to 1 %), not a fill value
        elif limits.stuck_exact_s and held_s >= limits.stuck_exact_s:
            verdict = self._exact_since, (held_s, "exact_value_held", value, None)
        if verdict is not None:
            self._exact_found, self._exact_found_t = value, t
            self._exact_hold_until = t + EXACT_HOLD_S
            self._exact_verdict = verdict
        return verdict

    def _judge_flatness(self, t: float, spread: float) -> tuple[float, Evidence] | None:
        """Stuck evidence when the current flat stretch is too long for its context."""
        limits = self.limits
        if limits.stuck_ignore_below is not None and self._flat_max <= limits.stuck_ignore_below:
            return None
        start = self._flat_start
        duration = t - start
        band = limits.stuck_band
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
        last_valid = self._last_valid
        if last_valid is None:
            since = first_t
            evidence: Evidence = (t - since, "valid_readings_since_start", 0.0, None)
            self._exclude(ExclusionReason.MISSING)
            if polls >= limit:
                self._settle(t, SensorFault.DISCONNECT, since, evidence)
            else:
                self._settle(t, SensorFault.NONE, t, evidence, degraded=True)
            return
        age = t - self._last_valid_t
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
        self._settle(t, SensorFault.NONE, t, evidence, degraded=True)

    def _on_out_of_range(self, t: float, value: float) -> None:
        if self._first_t is None:
            self._first_t = t
        self.accepted = None
        self._null_polls = 0
        limit = self._valid_max if value > self._valid_max else self._valid_min
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
        """Set status and fault from this step's finding; a new (status, fault) starts at ``onset``.

        A fault makes the sensor ``faulty`` (its value excluded), unless ``degraded``: a suspect
        (drift) whose value is still used at reduced trust.
        """
        if fault is not SensorFault.NONE:
            if degraded:
                status = HealthStatus.DEGRADED
            else:
                status = HealthStatus.FAULTY
                self._trusted = False
        else:
            if self.fault is not SensorFault.NONE:
                self._recovery_until = t + self._settings.recovery_s
            recovering = t < self._recovery_until
            if recovering and evidence is None:
                elapsed = self._settings.recovery_s - (self._recovery_until - t)
                evidence = (elapsed, "seconds_since_fault_ended", elapsed, self._settings.recovery_s)
            status = HealthStatus.DEGRADED if degraded or recovering else HealthStatus.OK
            if not degraded:
                self._trusted = True
        changed = status is not self.status or fault is not self.fault
        if changed:
            self.status = status
            self.ok = status is HealthStatus.OK
            self.fault = fault
            self.since = onset
            self.snapshot = (status, fault, onset, evidence)
        elif evidence is not None or self.snapshot[3] is not None:
            self.snapshot = (status, fault, self.since, evidence)
        self.changed = changed
