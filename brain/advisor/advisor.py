"""The advisor: an estimate in, the desired state of every device kind and advisory actions out.

Pure like the estimator: no clock, no I/O, no randomness; time comes in with the estimate,
so the same estimates give the same advice, byte for byte. Per step:

1. refill the :class:`~brain.advisor.situation.Situation`: the estimator's *trusted*
   readings, the weather outside (ObservationV1 1.1), day or night, the local hour, the
   day's light integral, the air's 30-minute trend, each kind's actual position;
2. decide each kind the site has, in the table's order (:data:`~brain.advisor.kinds.KINDS`):
   no advice when an input it needs is not trusted; otherwise its rule, held by the kind's
   minimum on or off time (no relay chattering);
3. for each kind: when its devices have differed from the advice for
   ``act_after_s``, one ``turn_on``/``turn_off`` action (with a target position where the
   device has one), answering the anomaly it concerns or else the state of this instant;
4. device faults (:mod:`~brain.advisor.faults`): one ``inspect`` action per faulty run.

An action is written once per disagreement: a device that stays wrong is not nagged at every
poll; it is advised again when the advice flips (on to off) or after the devices agreed with it
for ``act_after_s`` in between (a controller that cycles a heater off for a minute and on again
is still the disagreement the grower was told of).
A device whose state is ``unknown``, or a device status older than the observation, gets
no action (docs/advisor.md, "Bad input").
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from brain.advisor.daylight import DAY_PAR_UMOL_M2_S, LightIntegral, LocalClock, SunClock
from brain.advisor.faults import FAULT_CHECKS, FaultCheck, Run, counts, faulty
from brain.advisor.kinds import KINDS, NEEDS_WORDS, KindSpec
from brain.advisor.rules import Case
from brain.advisor.settings import AdvisorSettings, plain_setpoints
from brain.advisor.situation import TREND_SAMPLE_S, TREND_WINDOW_S, Desire, Situation
from brain.contracts import (
    ACTION_SCHEMA_VERSION,
    ActionType,
    ActionV1,
    DeviceStatusV1,
    RecordRef,
    ReferencedStream,
    RelayState,
)
from brain.estimator import Estimate
from brain.names import DeviceKind

AGREEMENT_TOLERANCE_PCT = 20.0
"""A positioned device agrees with its target within this many points (the issue's "above 20 %")."""
MAX_STEP_S = 900.0
"""A longer gap between estimates counts as this long (the integral of the heating is not run away)."""


@dataclass(slots=True)
class Advice:
    """What one step decided (a slotted dataclass: built at every poll, see :class:`Desire` for why)."""

    timestamp: datetime
    desired: dict[DeviceKind, Desire | None]
    """Each kind the site has: its desired state, or ``None`` when it cannot be advised now."""
    actions: list[ActionV1]
    """Actions written at this step (usually none)."""
    degraded: dict[str, str]
    """Kinds, devices or the device status that could not be advised on, and why."""


@dataclass(slots=True)
class _KindState:
    """One kind's memory between steps: the advice in force, and the disagreement being timed."""

    kind: DeviceKind
    spec: KindSpec
    name: str = ""
    """``kind.value``, read once (an enum's ``value`` is a property)."""
    no_advice: str | None = None
    """Why there is no advice when the kind needs one input only (it is the one missing)."""
    held: Desire | None = None
    case: Case | None = None
    """The case ``held`` was last given by (its readings come from there)."""
    kept: bool = False
    """``held`` was kept at the last step the rule gave it (same case, same position): its readings
    are older than that step's, which a minimum time or an untrusted input may still have to cite."""
    since_s: float = 0.0
    """When ``held`` last switched on or off (the minimum on and off times count from here)."""
    highest: float | None = None
    """The highest known position of the kind's devices (``None``: none known, or a stale status)."""
    pending_on: bool | None = None
    """The advice the devices have disagreed with since ``pending_since_s`` (``None``: they agree)."""
    pending_since_s: float = 0.0
    written: bool = False
    """The action for this disagreement is written (once per disagreement)."""
    advised_on: bool | None = None
    """What the last action written for this kind advised (``None``: none yet)."""
    agreed_since_s: float = -math.inf
    """When the devices last came to agree with the advice."""


class Advisor:
    """Advice for one site, step by step (module docstring); ``step`` after every ``Estimator.step``."""

    def __init__(self, settings: AdvisorSettings | None = None, *, timezone: str = "UTC") -> None:
        self.settings = settings or AdvisorSettings()
        self._setpoints = plain_setpoints(self.settings.setpoints)
        self._act_after_s = self.settings.act_after_s  # a pydantic attribute costs a hook per read
        devices: dict[DeviceKind, list[str]] = {}
        for name, kind in self.settings.devices.items():
            devices.setdefault(kind, []).append(name)
        self._devices = {kind: tuple(names) for kind, names in devices.items()}
        self._device_table = tuple(self._devices.items())
        self._plan = tuple(
            _KindState(
                kind,
                spec,
                kind.value,
                f"no advice: {NEEDS_WORDS[spec.needs[0]]} not known" if len(spec.needs) == 1 else None,
            )
            for kind, spec in KINDS.items()
            if kind in self._devices
        )
        self._checks = [
            _Check(
                check,
                getattr(self._setpoints, check.above) if check.above is not None else None,
                check.window_s if check.window_s is not None else self.settings.fault_after_s,
                [_Watch(name) for name in self._devices.get(check.kind, ())],
            )
            for check in FAULT_CHECKS
            if check.kind in self._devices
        ]
        place = self.settings.latitude, self.settings.longitude
        self._sun = SunClock(place[0], place[1]) if place[0] is not None and place[1] is not None else None
        self._clock = LocalClock(timezone)
        self._light = LightIntegral() if DeviceKind.LAMPS in self._devices else None
        """Only the lamps' rule reads the day's light integral: no site without lamps sums it."""
        self._reads_natural_par = self._light is not None or self._sun is None
        """Natural PAR is read by the lamps' rule and, without a place, to tell day from night."""
        self._situation = Situation()
        """This step's situation; ``_previous`` holds the step before (the two swap at every step)."""
        self._previous = Situation()
        self._samples: deque[tuple[float, float]] = deque()
        """The air's samples for its trend (:attr:`Situation.air_trend_k`)."""
        self._sampled_s = -math.inf
        self._relays: dict[str, RelayState] | None = None
        self._positions: dict[str, float] | None = None
        """The device status last seen fresh: while the next one repeats it, so does the answer."""
        self._by_device: dict[str, float] = {}
        """Each configured device's known position, from the status last seen fresh."""
        self._by_kind: dict[DeviceKind, float | None] = {}
        """Per kind, the highest known position of its devices (``None``: none known)."""
        self._lamps_pct: float | None = None
        self._names: frozenset[str] = frozenset()
        self._unconfigured: dict[str, str] = {}
        self._unknown: dict[str, str] = {}
        """Configured devices whose relay state is ``unknown``, as the last fresh status gave them."""
        self._quiet: dict[str, str] = {}
        self._quiet_names = self._unconfigured
        """What a step with nothing new to report hands out as ``Advice.degraded`` (never changed once
        handed out: a step that adds to it hands out a copy)."""
        self._fresh = False
        """The last step's device status was of its observation's instant."""
        self._running: list[_Check] = []
        """The fault checks some device of which runs (at or above ``on_pct``): all a step looks at."""

    def step(self, estimate: Estimate) -> Advice:
        """Advise on the situation ``estimate`` describes; estimates must come in time order."""
        moment = estimate.timestamp
        s, previous = self._previous, self._situation
        self._situation, self._previous = s, previous
        self._refill(s, previous, estimate, moment)
        degraded = self._see_devices(s, estimate.device_status, moment)
        actions: list[ActionV1] = []
        degraded = self._decide(s, previous, degraded, estimate, actions)
        if self._fresh and self._running:
            self._check_faults(s, estimate, actions)
        return Advice(moment, s.desired, actions, degraded)

    def device_positions(self, advice: Advice) -> dict[str, float]:
        """Each configured device's position under ``advice``, 0-100 % (100 for "on" without one).

        Kinds without advice at this step are left out: a device follows the last advice it had.
        What a simulated greenhouse follows in the closed loop (``simulation.control = "advice"``).
        """
        positions: dict[str, float] = {}
        for kind, names in self._device_table:
            desire = advice.desired.get(kind)
            if desire is None:
                continue
            position = (100.0 if desire.position is None else desire.position) if desire.on else 0.0
            for name in names:
                positions[name] = position
        return positions

    # 1. the situation
    def _refill(self, s: Situation, previous: Situation, estimate: Estimate, moment: datetime) -> None:
        epoch = moment.timestamp()
        last = previous.epoch_s
        gap = epoch - last
        s.step_s = (gap if gap < MAX_STEP_S else MAX_STEP_S) if last else 0.0
        s.previous_air_c, s.previous_rh_pct = previous.air_c, previous.rh_pct
        s.epoch_s = epoch
        clock = self._clock  # its offset holds for the UTC hour: a comparison per step, a call per hour
        s.local_s = epoch + clock.offset_s if epoch < clock.until_s else clock.local_seconds(moment, epoch)
        s.air_c, s.rh_pct, s.co2_ppm, s.par, s.substrate_pct = estimate.values
        s.vpd_kpa = estimate.vpd_kpa
        outside = estimate.observation.outside
        s.outside_c = outside.air_temperature_c if outside is not None else None
        if self._light is not None:
            s.light_integral_mol_m2 = self._light.add(s.local_s, s.par)
        air = s.air_c
        if air is None:  # an untrusted reading breaks the trend: no "and rising" built on it
            if self._samples:
                self._samples = deque()  # the steps before keep theirs
            self._sampled_s = -math.inf
        elif epoch - self._sampled_s >= TREND_SAMPLE_S:
            samples = self._samples
            samples.append((epoch, air))
            self._sampled_s = epoch
            while last - samples[0][0] > TREND_WINDOW_S + TREND_SAMPLE_S:
                samples.popleft()  # a sample the previous step could not cite either
        s.air_samples = self._samples
        s.desired = {}  # a new dictionary per step: the Advice hands it out as it is

    def _see_devices(self, s: Situation, status: DeviceStatusV1, moment: datetime) -> dict[str, str]:
        """Each kind's highest known position (none at all from a stale status), then day or night.

        Returns what cannot be advised on (``Advice.degraded``) and sets ``_fresh``. Devices move
        far less often than the climate: a status that repeats the last fresh one's positions and
        relays gives the same answer, so it is kept (two dictionary comparisons, in C).
        """
        relays = status.devices
        self._fresh = fresh = status.timestamp == moment
        if not fresh:
            self._name(relays)
            self._relays = None  # the names may have changed: the next fresh status is seen afresh
            s.actual = {}
            for state in self._plan:
                state.highest = None
            degraded = {**self._unconfigured, "device_status": STALE_STATUS}
            lamps_pct = None
        else:
            positions = status.positions or _NO_POSITIONS
            if relays != self._relays:
                self._name(relays)
                self._positions, self._relays = positions, relays
                self._see(positions, relays)
            elif positions != self._positions:
                self._positions = positions
                self._see(positions, relays)
            s.actual = self._by_kind
            degraded = self._quiet
            lamps_pct = self._lamps_pct
        # Day or night, and the heating set point in force.
        p = self._setpoints
        if self._reads_natural_par:
            par = s.par
            if par is None:
                s.natural_par = None
            else:
                natural = par - p.lamp_par_umol_m2_s * (lamps_pct or 0.0) / 100.0
                s.natural_par = max(natural, 0.0)
        sun = self._sun
        if sun is not None:  # its answer holds until the next sunrise or sunset: a comparison per step
            s.is_day = sun.day if s.epoch_s < sun.until_s else sun.is_day(s.epoch_s)
        else:
            s.is_day = None if s.natural_par is None else s.natural_par >= DAY_PAR_UMOL_M2_S
        s.heating_c = p.heating_night_c if s.is_day is False else p.heating_day_c
        return degraded

    def _name(self, relays: dict[str, RelayState]) -> None:
        """Devices the status names and the settings do not: no advice for them."""
        if relays.keys() != self._names:
            self._names = frozenset(relays)
            self._unconfigured = {
                name: "no kind configured (advisor.devices): no advice"
                for name in relays
                if name not in self.settings.devices
            }

    def _see(self, positions: dict[str, float], relays: dict[str, RelayState]) -> None:
        """Each configured device's position: its own where it has one, else 100 % on and 0 % off."""
        by_device: dict[str, float] = {}
        by_kind: dict[DeviceKind, float | None] = {}
        unknown: dict[str, str] = {}
        for kind, devices in self._device_table:
            highest: float | None = None
            for name in devices:
                position = positions.get(name)
                if position is None:
                    relay = relays.get(name)
                    if relay is RelayState.ON:
                        position = 100.0
                    elif relay is RelayState.OFF:
                        position = 0.0
                    else:
                        if relay is not None:
                            unknown[name] = "state unknown: no action"
                        continue
                by_device[name] = position
                if highest is None or position > highest:
                    highest = position
            by_kind[kind] = highest
        self._by_device, self._by_kind = by_device, by_kind
        self._lamps_pct = by_kind.get(DeviceKind.LAMPS)
        for state in self._plan:
            state.highest = by_kind.get(state.kind)
        if unknown != self._unknown or self._quiet_names is not self._unconfigured:
            self._unknown, self._quiet_names = unknown, self._unconfigured
            self._quiet = {**self._unconfigured, **unknown}
        self._running = self._runs_on(by_device)

    # 2. the desired state per kind, and 3. an action where a kind's devices differ from it
    def _decide(
        self,
        s: Situation,
        previous: Situation,
        degraded: dict[str, str],
        estimate: Estimate,
        actions: list[ActionV1],
    ) -> dict[str, str]:
        """Decide every kind in the table's order; write an action where its devices disagree long enough.

        A rule gives a case and a position; a new :class:`Desire` is built only when they differ
        from the advice in force. A kind is on when any of its devices is above
        :data:`AGREEMENT_TOLERANCE_PCT`. The wait counts from the first step of a disagreement,
        whatever the target does meanwhile (a warming house moves the vents' target at every
        step; it is still one disagreement). Returns ``degraded`` with the kinds not advised on.
        """
        epoch = s.epoch_s
        setpoints = self._setpoints
        desired = s.desired
        for state in self._plan:
            spec = state.spec
            held = state.held
            decision = spec.rule(s, setpoints, held)
            if decision is None:
                desired[state.kind] = None
                degraded = self._no_advice(state, s, previous, degraded)
                continue
            case: Case | None
            case, position = decision
            if held is None:
                state.since_s = epoch
            elif case.on is not held.on:
                if epoch - state.since_s < (spec.min_on_s if held.on else spec.min_off_s):
                    # Too soon to switch back: the minimum on or off time holds the advice in force.
                    if state.kept:
                        held = self._keep_readings(state, previous)
                    case = None
                else:
                    state.since_s = epoch
            elif held.why is case.why and held.position == position:
                state.kept = True  # the same advice: the one in force stands, no new object
                case = None
            if case is not None:
                held = state.held = Desire(case.on, position, case.why, case.cites(s, setpoints))
                state.case, state.kept = case, False
            desired[state.kind] = held
            assert held is not None
            if self._due(state, held.on, epoch):
                actions.append(self._device_action(estimate, state, held, s))
        return degraded

    def _due(self, state: _KindState, on: bool, epoch: float) -> bool:
        """Whether a kind's devices have now disagreed with its advice (``on``) for ``act_after_s``.

        Once per disagreement; devices that agreed only briefly between two (a controller
        cycling them) are the same disagreement: the grower is not told the same thing again.
        """
        highest = state.highest
        if highest is None or (highest > AGREEMENT_TOLERANCE_PCT) == on:
            if state.pending_on is not None:
                state.agreed_since_s = epoch
            state.pending_on = None
        elif state.pending_on is not on:
            brief = state.advised_on is on and epoch - state.agreed_since_s < self._act_after_s
            state.pending_on, state.pending_since_s, state.written = on, epoch, brief
        elif not state.written and epoch - state.pending_since_s >= self._act_after_s:
            state.written, state.advised_on = True, on
            return True
        return False

    def _no_advice(
        self, state: _KindState, s: Situation, previous: Situation, degraded: dict[str, str]
    ) -> dict[str, str]:
        """A kind without advice at this step: the inputs it needs that are not known, in ``degraded``."""
        state.pending_on = None
        if state.kept:
            self._keep_readings(state, previous)
        if degraded is self._quiet:
            degraded = dict(degraded)  # what was handed out before stays as it was
        why = state.no_advice
        if why is None:  # a kind that needs more than one input: which ones are missing now
            missing = [NEEDS_WORDS[need] for need in state.spec.needs if getattr(s, need) is None]
            why = "no advice: " + ", ".join(missing) + " not known"
        degraded[state.name] = why
        return degraded

    def _keep_readings(self, state: _KindState, previous: Situation) -> Desire:
        """The advice in force, with the readings of the last step that gave it (the previous step).

        What a minimum time or an untrusted input holds: the advice as that step decided it.
        """
        held, case = state.held, state.case
        assert held is not None and case is not None
        state.held = Desire(held.on, held.position, held.why, case.cites(previous, self._setpoints))
        state.kept = False
        return state.held

    def _device_action(self, estimate: Estimate, state: _KindState, held: Desire, s: Situation) -> ActionV1:
        """The action for a kind: it names the device furthest from the advice (the most closed to open).

        Its reason cites this step's readings where this step gave the advice (``held`` may be kept
        from an earlier step), the held step's where a minimum time holds it.
        """
        desire = held
        if state.kept:
            assert state.case is not None
            desire = Desire(held.on, held.position, held.why, state.case.cites(s, self._setpoints))
        actual = self._by_device
        known = [(actual[name], name) for name in self._devices[state.kind] if name in actual]
        position, name = min(known) if desire.on else max(known)
        positions = estimate.device_status.positions
        positioned = positions is not None and name in positions
        return self._action(
            estimate, spec=state.spec, name=name, desire=desire, position=position, positioned=positioned
        )

    def _action(
        self,
        estimate: Estimate,
        *,
        spec: KindSpec,
        name: str,
        desire: Desire,
        position: float,
        positioned: bool,
    ) -> ActionV1:
        now = f"{name} at {position:.0f} %" if positioned else f"{name} {'on' if position > 0 else 'off'}"
        target = desire.position if positioned and desire.on else None
        verb = f"{spec.turn_on} {name}" if desire.on else f"{spec.turn_off} {name}"
        if target is not None:
            verb += f" to {target:.0f} %"
        return self._record(
            estimate,
            ActionType.TURN_ON if desire.on else ActionType.TURN_OFF,
            name,
            reason=f"{desire.reason()}, {now}: {verb}.",
            spec=spec,
            target=target if target is not None else (0.0 if positioned else None),
        )

    def _record(
        self,
        estimate: Estimate,
        action_type: ActionType,
        name: str,
        *,
        reason: str,
        spec: KindSpec | None,
        target: float | None,
    ) -> ActionV1:
        moment = estimate.timestamp
        answer = RecordRef(stream=ReferencedStream.STATE, timestamp=moment)
        if spec is not None:
            for anomaly in estimate.anomalies:
                if anomaly.kind in spec.answers and anomaly.ended_at is None:
                    answer = RecordRef(
                        stream=ReferencedStream.ANOMALIES,
                        timestamp=anomaly.timestamp,
                        kind=anomaly.kind.value,
                    )
                    break
        return ActionV1(
            schema_version=ACTION_SCHEMA_VERSION,
            timestamp=moment,
            site_id=estimate.observation.site_id,
            action_type=action_type,
            target_device=name,
            reason=reason[:500],
            in_response_to=answer,
            mode="advisory",
            target_position_pct=target,
        )

    # 4. device faults
    def _runs_on(self, positions: dict[str, float]) -> list[_Check]:
        """The checks some device of which now runs (at or above ``on_pct``); every other device's run ends.

        Why only when the positions change: a fault is a running device the climate does not
        answer, so a device that is off needs no look at every step.
        """
        running = []
        for check in self._checks:
            check.running = []
            for watch in check.watches:
                position = positions.get(watch.name)
                if position is not None and position >= check.check.on_pct:
                    check.running.append(watch)
                else:
                    watch.run = None
            if check.running:
                running.append(check)
        return running

    def _check_faults(self, s: Situation, estimate: Estimate, actions: list[ActionV1]) -> None:
        """Each running device's run; the reading and whether it continues a run are the same for all."""
        epoch = s.epoch_s
        for group in self._running:
            check = group.check
            value = getattr(s, check.reading)
            if not counts(check, value, group.level):
                for watch in group.running:
                    watch.run = None
                continue
            for watch in group.running:
                run = watch.run
                if run is None:
                    watch.run = Run(epoch, value, value)
                    continue
                if value > run.highest:  # noqa: PLR1730 - max() costs ten comparisons (docs/advisor.md)
                    run.highest = value
                seconds = epoch - run.since_s
                if run.flagged or seconds < group.window_s or not faulty(check, run, value):
                    continue
                run.flagged = True
                position = self._by_device[watch.name]
                symptom = check.symptom.format(watch.name, position, seconds / 60.0, run.start, value)
                reason = f"{symptom}: inspect {watch.name}."
                actions.append(
                    self._record(
                        estimate, ActionType.INSPECT, watch.name, reason=reason, spec=None, target=None
                    )
                )


STALE_STATUS = "the device status is older than the observation: no action"
_NO_POSITIONS: dict[str, float] = {}


@dataclass(slots=True)
class _Watch:
    """One device under one fault check, and its current run (``None`` when not running)."""

    name: str
    run: Run | None = None


@dataclass(slots=True)
class _Check:
    """One fault check with the site's devices it watches."""

    check: FaultCheck
    level: float | None
    """The set point the reading must stay at or above (``FaultCheck.above``), or ``None``."""
    window_s: float
    """How long a run must last before it is judged (the check's, or the advisor's ``fault_after_s``)."""
    watches: list[_Watch]
    running: list[_Watch] = field(default_factory=list)
    """The watches whose device runs, as the last fresh device status gave them."""
