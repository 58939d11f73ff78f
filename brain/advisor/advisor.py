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
poll; it is advised again when the advice flips (on to off) or after the devices agreed in between.
A device whose state is ``unknown``, or a device status older than the observation, gets
no action (docs/advisor.md, "Bad input").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from brain.advisor.daylight import DAY_PAR_UMOL_M2_S, LightIntegral, LocalClock, SunClock
from brain.advisor.faults import FAULT_CHECKS, FaultCheck, Run, counts, faulty
from brain.advisor.kinds import KINDS, NEEDS_WORDS, KindSpec
from brain.advisor.settings import AdvisorSettings, plain_setpoints
from brain.advisor.situation import Desire, Situation
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
TREND_SAMPLE_S = 300.0
MAX_STEP_S = 900.0
"""A longer gap between estimates counts as this long (the integral of the heating is not run away)."""
TREND_WINDOW_S = 1800.0


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
    inputs: Callable[[Situation], tuple[object, ...]]
    """The kind's inputs as a tuple (``None`` in it: no advice); ``epoch_s`` makes it a tuple however few."""
    held: Desire | None = None
    since_s: float = 0.0
    """When ``held`` last switched on or off (the minimum on and off times count from here)."""
    pending_on: bool | None = None
    """The advice the devices have disagreed with since ``pending_since_s`` (``None``: they agree)."""
    pending_since_s: float = 0.0
    written: bool = False
    """The action for this disagreement is written (once per disagreement)."""


class Advisor:
    """Advice for one site, step by step (module docstring); ``step`` after every ``Estimator.step``."""

    def __init__(self, settings: AdvisorSettings | None = None, *, timezone: str = "UTC") -> None:
        self.settings = settings or AdvisorSettings()
        self._setpoints = plain_setpoints(self.settings.setpoints)
        devices: dict[DeviceKind, list[str]] = {}
        for name, kind in self.settings.devices.items():
            devices.setdefault(kind, []).append(name)
        self._devices = {kind: tuple(names) for kind, names in devices.items()}
        self._device_table = tuple(self._devices.items())
        self._kinds: tuple[tuple[DeviceKind, KindSpec], ...] = tuple(
            (kind, spec) for kind, spec in KINDS.items() if kind in self._devices
        )
        self._plan = tuple(
            _KindState(kind, spec, attrgetter(*spec.needs, "epoch_s")) for kind, spec in self._kinds
        )
        self._watches = [
            _Watch(check, name, getattr(self._setpoints, check.above) if check.above is not None else None)
            for check in FAULT_CHECKS
            for name in self._devices.get(check.kind, ())
        ]
        place = self.settings.latitude, self.settings.longitude
        self._sun = SunClock(place[0], place[1]) if place[0] is not None and place[1] is not None else None
        self._clock = LocalClock(timezone)
        self._light = LightIntegral() if DeviceKind.LAMPS in self._devices else None
        """Only the lamps' rule reads the day's light integral: no site without lamps sums it."""
        self._situation = Situation()
        self._trend: deque[tuple[float, float]] = deque()
        self._names_seen: frozenset[str] = frozenset()
        self._unconfigured: dict[str, str] = {}
        self._seen: _Seen | None = None
        self._running: list[_Watch] = []
        """The watches whose device is at or above its check's ``on_pct``: the only ones a step looks at."""

    def step(self, estimate: Estimate) -> Advice:
        """Advise on the situation ``estimate`` describes; estimates must come in time order."""
        moment = estimate.observation.timestamp  # not the property: one call fewer per step
        s = self._situation
        degraded = self._refill(s, estimate, moment)
        status = estimate.device_status
        actual = self._actual(s, status, moment, degraded)
        actions: list[ActionV1] = []
        self._decide(s, degraded, estimate, actual, actions)
        if actual and self._running:
            self._check_faults(s, estimate, actual, actions)
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
    def _refill(self, s: Situation, estimate: Estimate, moment: datetime) -> dict[str, str]:
        epoch = moment.timestamp()
        s.step_s = min(MAX_STEP_S, epoch - s.epoch_s) if s.epoch_s else 0.0
        s.previous_air_c, s.previous_rh_pct = s.air_c, s.rh_pct
        s.epoch_s = epoch
        clock = self._clock  # its offset holds for the UTC hour: a comparison per step, a call per hour
        s.local_s = epoch + clock.offset_s if epoch < clock.until_s else clock.local_seconds(moment, epoch)
        s.air_c, s.rh_pct, s.co2_ppm, s.par, s.substrate_pct = estimate.values
        s.vpd_kpa = estimate.vpd_kpa
        outside = estimate.observation.outside
        s.outside_c = outside.air_temperature_c if outside is not None else None
        s.outside_rh_pct = outside.relative_humidity_pct if outside is not None else None
        if self._light is not None:
            s.light_integral_mol_m2 = self._light.add(s.local_s, s.par)
        s.air_trend_k = self._air_trend(epoch, s.air_c)
        s.desired = {}  # a new dictionary per step: the Advice hands it out as it is
        return dict(self._unconfigured)

    def _air_trend(self, epoch: float, air: float | None) -> float | None:
        trend = self._trend
        if air is None:
            trend.clear()  # an untrusted reading breaks the trend: no "and rising" built on it
            return None
        if not trend or epoch - trend[-1][0] >= TREND_SAMPLE_S:
            trend.append((epoch, air))
        while epoch - trend[0][0] > TREND_WINDOW_S + TREND_SAMPLE_S:
            trend.popleft()
        first_s, first = trend[0]
        return air - first if epoch - first_s >= TREND_WINDOW_S - TREND_SAMPLE_S else None

    def _actual(
        self, s: Situation, status: DeviceStatusV1, moment: datetime, degraded: dict[str, str]
    ) -> dict[str, float]:
        """Each configured device's known position; none at all from a stale status."""
        names = status.devices.keys()
        if names != self._names_seen:
            self._names_seen = frozenset(names)
            self._unconfigured = {
                name: "no kind configured (advisor.devices): no advice"
                for name in names
                if name not in self.settings.devices
            }
            degraded.update(self._unconfigured)
        if status.timestamp != moment:
            s.actual = {}
            degraded["device_status"] = "the device status is older than the observation: no action"
            self._day_and_light(s, None)
            return {}
        positions = status.positions or _NO_POSITIONS
        relays = status.devices
        seen = self._seen
        # Devices move far less often than the climate: the same positions and relays as at the
        # previous step give the same answer, so it is kept (a dictionary comparison, in C).
        if seen is None or positions != seen.positions or relays != seen.relays:
            seen = self._seen = _actual_positions(self._device_table, positions, relays)
            self._running = self._runs_on(seen.by_device)
        s.actual = seen.by_kind
        degraded.update(seen.unknown)
        self._day_and_light(s, seen.by_kind.get(DeviceKind.LAMPS))
        return seen.by_device

    def _day_and_light(self, s: Situation, lamps_pct: float | None) -> None:
        p = self._setpoints
        par = s.par
        s.natural_par = (
            None if par is None else max(0.0, par - p.lamp_par_umol_m2_s * (lamps_pct or 0.0) / 100.0)
        )
        sun = self._sun
        if sun is not None:  # its answer holds until the next sunrise or sunset: a comparison per step
            s.is_day = sun.day if s.epoch_s < sun.until_s else sun.is_day(s.epoch_s)
        else:
            s.is_day = None if s.natural_par is None else s.natural_par >= DAY_PAR_UMOL_M2_S
        s.heating_c = p.heating_night_c if s.is_day is False else p.heating_day_c

    # 2. the desired state per kind, and 3. an action where a kind's devices differ from it
    def _decide(
        self,
        s: Situation,
        degraded: dict[str, str],
        estimate: Estimate,
        actual: dict[str, float],
        actions: list[ActionV1],
    ) -> None:
        """Decide every kind in the table's order; write an action where its devices disagree long enough.

        A kind is on when any of its devices is above :data:`AGREEMENT_TOLERANCE_PCT`. The wait
        counts from the first step of a disagreement, whatever the target does meanwhile (a warming
        house moves the vents' target at every step; it is still one disagreement).
        """
        epoch = s.epoch_s
        setpoints = self._setpoints
        desired = s.desired
        for state in self._plan:
            spec = state.spec
            if None in state.inputs(s):
                missing = [need for need in spec.needs if getattr(s, need) is None]
                desired[state.kind] = state.pending_on = None
                degraded[state.kind.value] = (
                    "no advice: " + ", ".join(NEEDS_WORDS[m] for m in missing) + " not known"
                )
                continue
            held = state.held
            desire = spec.rule(s, setpoints, held)
            if held is None or desire.on != held.on:
                if held is not None and epoch - state.since_s < (
                    spec.min_on_s if held.on else spec.min_off_s
                ):
                    desire = held  # too soon to switch back: the minimum on or off time holds
                else:
                    state.since_s = epoch
            state.held = desired[state.kind] = desire
            highest = s.actual.get(state.kind)
            if highest is None or (highest > AGREEMENT_TOLERANCE_PCT) == desire.on:
                state.pending_on = None
            elif state.pending_on is not desire.on:
                state.pending_on, state.pending_since_s, state.written = desire.on, epoch, False
            elif not state.written and epoch - state.pending_since_s >= self.settings.act_after_s:
                state.written = True
                actions.append(self._device_action(estimate, state, desire, actual))

    def _device_action(
        self, estimate: Estimate, state: _KindState, desire: Desire, actual: dict[str, float]
    ) -> ActionV1:
        """The action for a kind: it names the device furthest from the advice (the most closed to open)."""
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
    def _runs_on(self, positions: dict[str, float]) -> list[_Watch]:
        """The watches whose device now runs (at or above ``on_pct``); every other one's run ends.

        Why only when the positions change: a fault is a running device the climate does not
        answer, so a device that is off needs no look at every step.
        """
        running = []
        for watch in self._watches:
            position = positions.get(watch.name)
            if position is not None and position >= watch.check.on_pct:
                running.append(watch)
            else:
                watch.run = None
        return running

    def _check_faults(
        self, s: Situation, estimate: Estimate, actual: dict[str, float], actions: list[ActionV1]
    ) -> None:
        for watch in self._running:
            check = watch.check
            position = actual[watch.name]
            value = getattr(s, check.reading)
            if not counts(check, value, watch.level):
                watch.run = None
                continue
            run = watch.run
            if run is None:
                watch.run = Run(s.epoch_s, value, value)
                continue
            run.highest = max(run.highest, value)
            window = check.window_s if check.window_s is not None else self.settings.fault_after_s
            seconds = s.epoch_s - run.since_s
            if run.flagged or seconds < window or not faulty(check, run, value):
                continue
            run.flagged = True
            symptom = check.symptom.format(watch.name, position, seconds / 60.0, run.start, value)
            reason = f"{symptom}: inspect {watch.name}."
            actions.append(
                self._record(estimate, ActionType.INSPECT, watch.name, reason=reason, spec=None, target=None)
            )


_NO_POSITIONS: dict[str, float] = {}


@dataclass(slots=True)
class _Seen:
    """The devices' positions as one status gave them, and what the advisor made of them."""

    positions: dict[str, float]
    relays: dict[str, RelayState]
    by_device: dict[str, float]
    """Each configured device's known position."""
    by_kind: dict[DeviceKind, float | None]
    """Per kind, the highest known position of its devices (``None``: none known)."""
    unknown: dict[str, str]
    """Devices whose relay state is ``unknown``, and what that means for the advice."""


def _actual_positions(
    table: tuple[tuple[DeviceKind, tuple[str, ...]], ...],
    positions: dict[str, float],
    relays: dict[str, RelayState],
) -> _Seen:
    """Each configured device's position: its own where it has one, else 100 % on and 0 % off."""
    seen = _Seen(positions, relays, {}, {}, {})
    for kind, devices in table:
        highest: float | None = None
        for name in devices:
            position = positions.get(name)
            if position is None:
                state = relays.get(name)
                if state is RelayState.ON:
                    position = 100.0
                elif state is RelayState.OFF:
                    position = 0.0
                else:
                    if state is not None:
                        seen.unknown[name] = "state unknown: no action"
                    continue
            seen.by_device[name] = position
            if highest is None or position > highest:
                highest = position
        seen.by_kind[kind] = highest
    return seen


@dataclass(slots=True)
class _Watch:
    """One device under one fault check, and its current run (``None`` when not running)."""

    check: FaultCheck
    name: str
    level: float | None
    """The set point the reading must stay at or above (``FaultCheck.above``), or ``None``."""
    run: Run | None = None
