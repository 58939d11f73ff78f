"""The advice in force: which of the advisor's actions still asks the grower for something.

Shared by ``brain status``, the uplink's Home Assistant entities and its alerts, all three of
which read lines as plain JSON and must not import the record models (``brain status`` and
``brain uplink`` are import-light: docs/performance.md), so standard library and
:mod:`brain.names` only, like :mod:`brain.episodes`.

Why a definition is needed at all: the advisor writes an action once per disagreement (when a
device has differed from the advice for ``act_after_s``; docs/advisor.md, "Actions") and never
writes that its advice lapsed: when the climate turns and the advice comes back to what the
device already does, nothing is written. So "in force" is decided from the actions and the
device status alone (docs/advisor.md, "The advice in force"). A device's newest action is in
force at an instant when all of these hold:

1. it is at most :data:`ADVICE_HORIZON` old (2 h): an unfollowed action is shown for two hours
   and then taken as lapsed, because the advisor may have changed its mind without a record;
2. it is the newest action naming that device (an older one is superseded), and, where the
   device kinds are known (the per-kind view of Home Assistant and the alerts), the newest
   naming any device of that kind, since the advisor decides per kind;
3. the device has not done what it asks: the newest device status at or after the action
   shows it above :data:`ON_ABOVE_PCT` for ``turn_on``, at or below it for ``turn_off``
   (the advisor's own agreement rule, ``AGREEMENT_TOLERANCE_PCT``), and still running for
   ``inspect`` (switched off, it is being looked at). A device whose state is unknown or not
   reported keeps its advice.

Example: ``turn_on vent_fan`` at 12:00; at 12:05 the status shows ``vent_fan`` on: resolved,
no advice in force. Not followed: in force until 14:00, or until a newer action for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from brain.json_fields import aware_time
from brain.names import AnomalyKind, DeviceKind

ADVICE_HORIZON = timedelta(hours=2)
"""How long an action not followed stays in force (module docstring, rule 1)."""
ON_ABOVE_PCT = 20.0
"""A device counts as on above this position (the advisor's ``AGREEMENT_TOLERANCE_PCT``)."""
NO_ADVICE = "none"
"""The state of a kind with no advice in force (Home Assistant shows it)."""

ANSWERS: dict[DeviceKind, frozenset[AnomalyKind]] = {
    DeviceKind.VENTILATION: frozenset(
        {AnomalyKind.TEMPERATURE_HIGH, AnomalyKind.HUMIDITY_HIGH, AnomalyKind.VPD_LOW}
    ),
    DeviceKind.HEATING: frozenset({AnomalyKind.TEMPERATURE_LOW, AnomalyKind.CONDENSATION_RISK}),
    DeviceKind.COOLING: frozenset({AnomalyKind.TEMPERATURE_HIGH, AnomalyKind.VPD_HIGH}),
    DeviceKind.LAMPS: frozenset({AnomalyKind.LIGHT_INTEGRAL_LOW}),
    DeviceKind.ENERGY_SCREEN: frozenset({AnomalyKind.TEMPERATURE_LOW}),
    DeviceKind.SHADE_SCREEN: frozenset(),
    DeviceKind.CO2_DOSING: frozenset({AnomalyKind.CO2_LOW, AnomalyKind.CO2_ENRICHMENT_IN_DARK}),
    DeviceKind.IRRIGATION: frozenset({AnomalyKind.SUBSTRATE_DRY}),
    DeviceKind.CIRCULATION: frozenset({AnomalyKind.VPD_LOW, AnomalyKind.CONDENSATION_RISK}),
}
"""The anomaly kinds an action of each device kind answers (the advisor's table reads it: one truth)."""


class ActionLine(NamedTuple):
    """An ``actions`` line: what it asks of which device, why, and which record it answers."""

    timestamp: datetime
    action_type: str
    device: str | None
    target_position_pct: float | None
    reason: str
    answers_stream: str
    answers_timestamp: datetime
    answers_kind: str | None
    data: dict[str, Any]
    """The record as stored (for ``--json`` and the uplink's attributes)."""

    @classmethod
    def of(cls, data: Any) -> ActionLine:
        """Read a record's fields; :class:`ValueError` naming the first that is missing or wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"a record is a JSON object, not {type(data).__name__}")
        action_type, device, reason = data.get("action_type"), data.get("target_device"), data.get("reason")
        if not isinstance(action_type, str) or not isinstance(reason, str):
            raise ValueError("action_type and reason must be strings")
        if device is not None and not isinstance(device, str):
            raise ValueError(f"target_device must be a string or null, got {device!r}")
        target = data.get("target_position_pct")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            raise ValueError(f"target_position_pct must be a number, got {target!r}")
        ref = data.get("in_response_to")
        if not isinstance(ref, dict) or not isinstance(ref.get("stream"), str):
            raise ValueError("in_response_to must name a stream")
        kind = ref.get("kind")
        return cls(
            timestamp=aware_time(data, "timestamp"),
            action_type=action_type,
            device=device,
            target_position_pct=None if target is None else float(target),
            reason=reason,
            answers_stream=ref["stream"],
            answers_timestamp=aware_time(ref, "timestamp"),
            answers_kind=kind if isinstance(kind, str) else None,
            data=data,
        )

    @classmethod
    def of_line(cls, line: bytes) -> ActionLine:
        """Parse one stored line; :class:`ValueError` if it is not an action."""
        try:
            return cls.of(json.loads(line))
        except RecursionError:
            raise ValueError("nested too deeply to be a record") from None

    def words(self) -> str:
        """``turn_on vent_fan to 40 %``: the state a person reads."""
        words = self.action_type + (f" {self.device}" if self.device else "")
        return words + (f" to {self.target_position_pct:g} %" if self.target_position_pct is not None else "")

    def attributes(self, kind: str | None = None) -> dict[str, Any]:
        """The advice as Home Assistant attributes and ``brain status --json`` show it."""
        head = {"kind": kind} if kind is not None else {}
        return {
            **head,
            "action_type": self.action_type,
            "device": self.device,
            "target_position_pct": self.target_position_pct,
            "reason": self.reason,
            "timestamp": self.timestamp.isoformat(),
            "in_response_to": {
                "stream": self.answers_stream,
                "timestamp": self.answers_timestamp.isoformat(),
                "kind": self.answers_kind,
            },
        }


class DeviceLine(NamedTuple):
    """A ``device_status`` line: each device's position, 0-100 (a relay: 0 or 100; unknown: ``None``)."""

    timestamp: datetime
    positions: dict[str, float | None]

    @classmethod
    def of(cls, data: Any) -> DeviceLine:
        """Read a record's devices and positions; :class:`ValueError` if it is not a device status."""
        if not isinstance(data, dict) or not isinstance(data.get("devices"), dict):
            raise ValueError("a device status has a devices object")
        positions = data.get("positions") or {}
        if not isinstance(positions, dict):
            raise ValueError("positions must be an object")
        out: dict[str, float | None] = {}
        for name, relay in data["devices"].items():
            position = positions.get(name)
            if isinstance(position, int | float) and not isinstance(position, bool):
                out[name] = float(position)
            else:
                out[name] = 100.0 if relay == "on" else 0.0 if relay == "off" else None
        return cls(aware_time(data, "timestamp"), out)

    @classmethod
    def of_line(cls, line: bytes) -> DeviceLine:
        """Parse one stored line; :class:`ValueError` if it is not a device status."""
        try:
            return cls.of(json.loads(line))
        except RecursionError:
            raise ValueError("nested too deeply to be a record") from None


def _done(action: ActionLine, position: float | None) -> bool:
    """Whether a device at ``position`` did what ``action`` asks (module docstring, rule 3)."""
    if position is None:
        return False
    if action.action_type == "turn_on":
        return position > ON_ABOVE_PCT
    return position <= ON_ABOVE_PCT  # turn_off; inspect: switched off to be looked at


class AdviceBook:
    """The newest action and the newest known position of each device; what is in force at an instant.

    ``device_kinds`` (``advisor.devices``: device name to kind) gives the per-kind view; without
    it only the per-device one is known.
    """

    def __init__(self, device_kinds: Mapping[str, str] | None = None) -> None:
        self.device_kinds: dict[str, str] = dict(device_kinds or {})
        self.actions: dict[str, ActionLine] = {}
        """The newest action naming each device."""
        self.positions: dict[str, tuple[datetime, float | None]] = {}
        """Each device's newest known position and the time of its status."""

    def add_action(self, action: ActionLine) -> None:
        """One more action (in stream order: a later one of the same device supersedes)."""
        if action.device is None or action.action_type not in ("turn_on", "turn_off", "inspect"):
            return  # 1.0's alert_grower, inspect_sensor, no_action: no device to advise on
        old = self.actions.get(action.device)
        if old is None or action.timestamp >= old.timestamp:
            self.actions[action.device] = action

    def add_status(self, status: DeviceLine) -> None:
        """One more device status (an older one than known changes nothing)."""
        for name, position in status.positions.items():
            known = self.positions.get(name)
            if known is None or status.timestamp >= known[0]:
                self.positions[name] = (status.timestamp, position)

    def feed(self, actions: Iterable[ActionLine], statuses: Iterable[DeviceLine]) -> AdviceBook:
        """Add many at once; returns itself."""
        for action in actions:
            self.add_action(action)
        for status in statuses:
            self.add_status(status)
        return self

    def _in_force(self, action: ActionLine, now: datetime) -> bool:
        if not (action.timestamp <= now <= action.timestamp + ADVICE_HORIZON):
            return False
        known = self.positions.get(action.device or "")
        return known is None or known[0] < action.timestamp or not _done(action, known[1])

    def in_force(self, now: datetime) -> list[ActionLine]:
        """Per device: the newest actions in force at ``now``, oldest first."""
        return sorted(
            (action for action in self.actions.values() if self._in_force(action, now)),
            key=lambda action: (action.timestamp, action.device or ""),
        )

    def by_kind(self, now: datetime) -> dict[str, ActionLine | None]:
        """Per configured kind: the newest action naming one of its devices, if in force at ``now``."""
        newest: dict[str, ActionLine | None] = dict.fromkeys(sorted(set(self.device_kinds.values())))
        for device, action in self.actions.items():
            kind = self.device_kinds.get(device)
            if kind is None:
                continue
            held = newest[kind]
            if held is None or action.timestamp > held.timestamp:
                newest[kind] = action
        return {kind: a if a is not None and self._in_force(a, now) else None for kind, a in newest.items()}

    def answering(self, anomaly_kind: str, anomaly_time: datetime, now: datetime) -> list[ActionLine]:
        """The advice for an anomaly: actions that answer it by reference, else in force for its kinds.

        An action answers by reference when its ``in_response_to`` names this anomaly (stream
        ``anomalies``, its kind, its record's time); else the advice in force at ``now`` for the
        device kinds that answer this kind of anomaly (:data:`ANSWERS`).
        """
        named = [
            action
            for action in self.actions.values()
            if action.answers_stream == "anomalies"
            and action.answers_kind == anomaly_kind
            and action.answers_timestamp == anomaly_time
            and self._in_force(action, now)
        ]
        if named:
            return sorted(named, key=lambda action: action.timestamp)
        kinds = {kind.value for kind, answered in ANSWERS.items() if anomaly_kind in answered}
        return [action for kind, action in self.by_kind(now).items() if action is not None and kind in kinds]


def state_of(action: ActionLine | None) -> str:
    """A kind's state for Home Assistant: ``turn_on``, ``turn_off``, ``inspect`` or ``none``."""
    return NO_ADVICE if action is None else action.action_type
