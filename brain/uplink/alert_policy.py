"""Which alerts are pushed and which are only recorded (issue 28; docs/fleet.md, "Alert policy").

Why a policy of its own: every verdict of the estimator is mechanically right, but a grower
who gets three messages per sensor fault, one per sensor when a frozen feed stops four at
once, and the same again each time a flaky probe repeats, mutes the channel and misses the
criticals. The rules here decide what leaves as a push; ``brain/uplink/alerts.py`` queues
and delivers what they return, and ``bench/alert_noise.py`` counts the same decisions on the
field replays (it calls these functions, it does not copy them).

Sensor health, per sensor (the memory is kept in the ``sensor_health`` alert cursor):

- a **fault episode** opens when a sensor's fault leaves ``none`` and closes when its status
  is ``ok`` again; it is one push at its start and one "back to ok" at its end. The
  recovery period in between (``degraded`` with fault ``none``), a change of fault within
  the episode and the warm-up of a sensor that never had a fault are not pushed; a rise
  from ``degraded`` to ``faulty`` within a pushed episode is pushed once (a critical is
  always told);
- sensors whose episodes open (or close) at the same step are **one message**
  (:func:`enqueue` merges an alert into the one still waiting in the outbox for that step);
- a fault that opens again within ``repeat_window_h`` of the sensor's last episode is a
  **standing notice**: recorded in the cursor and listed in the daily digest, not pushed
  (neither its start nor its end). It stands until the sensor has stayed free of faults for
  the window.

Anomaly episodes (the memory of the open ones is kept in the ``anomalies`` alert cursor):

- a critical record is always pushed at once;
- a warning episode whose every rule the house is already acting on (:data:`ACTING_KINDS`:
  ventilation open for ``co2_low``, cooling running for heat, read from the latest device
  status, positions where present) is **quiet**: recorded (the anomaly stream and Home
  Assistant show it) but pushed only if it escalates to critical or is still open after
  ``quiet_while_acting_h``; its end is pushed only if its start was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from brain.device_kinds import device_kind, running
from brain.names import SEVERITY_RANK, HealthStatus, Severity
from brain.uplink.records import AnomalyLine, HealthLine

HEALTH_SOURCE = "sensor_health"
Push = Literal["raised", "resolved"] | None
"""What a record makes: a raised or a resolved push, or none (recorded only)."""


def _open_memory(health: HealthLine, severity: Severity, *, pushed: bool) -> dict[str, Any]:
    return {
        "status": health.status.value,
        "fault": health.fault,
        "severity": severity.value,
        "episode": True,
        "pushed": pushed,
        "since": health.since.isoformat(),
        "ended": None,
    }


def health_decision(
    health: HealthLine,
    last: dict[str, Any] | None,
    standing: dict[str, Any],
    repeat_window_h: float,
) -> tuple[Push, dict[str, Any], dict[str, Any]]:
    """The push ``health`` makes, the sensor's memory after it, and the standing notices after it.

    ``last``: the sensor's memory (``None`` before its first record; a memory from before
    issue 28, without ``episode``, is read as in an episode when its status was not ``ok``);
    ``standing``: sensor -> its standing notice (``fault``, ``first``, ``last``, ``count``).
    """
    faulty = health.fault != "none" and health.status is not HealthStatus.OK
    severity = Severity.CRITICAL if health.status is HealthStatus.FAULTY else Severity.WARNING
    in_episode = last is not None and bool(last.get("episode", last.get("status") != "ok"))
    if health.status is HealthStatus.OK:
        if not in_episode or last is None:
            return None, {**(last or {}), "status": "ok", "fault": "none", "episode": False}, standing
        memory = {**last, "status": "ok", "fault": "none", "episode": False}
        memory["ended"] = health.timestamp.isoformat()
        return ("resolved" if last.get("pushed", True) else None), memory, standing
    if not faulty:  # a recovery period or a warm-up: not a fault, not a push
        base = last or {"episode": False, "pushed": False, "severity": Severity.WARNING.value}
        return None, {**base, "status": health.status.value}, standing
    if in_episode and last is not None:
        return (*_within(health, last, severity), standing)
    return _opened(health, last, standing, severity, repeat_window_h)


def _within(health: HealthLine, last: dict[str, Any], severity: Severity) -> tuple[Push, dict[str, Any]]:
    """A fault record within an open episode: pushed only when it rises to a worse severity."""
    memory = {**last, "status": health.status.value, "fault": health.fault}
    if SEVERITY_RANK[severity] <= SEVERITY_RANK[Severity(last.get("severity", "warning"))]:
        return None, memory
    memory["severity"] = severity.value
    return ("raised" if last.get("pushed", True) else None), memory


def _opened(
    health: HealthLine,
    last: dict[str, Any] | None,
    standing: dict[str, Any],
    severity: Severity,
    repeat_window_h: float,
) -> tuple[Push, dict[str, Any], dict[str, Any]]:
    """A new fault episode: pushed, or a standing notice when the last one ended within the window."""
    sensor = health.sensor.value
    ended = last.get("ended") if last is not None else None
    if ended is not None and health.since - datetime.fromisoformat(ended) <= timedelta(hours=repeat_window_h):
        notice = standing.get(sensor) or {"fault": health.fault, "first": ended, "count": 1}
        notice = {**notice, "fault": health.fault, "last": health.since.isoformat()}
        notice["count"] = int(notice["count"]) + 1
        return None, _open_memory(health, severity, pushed=False), {**standing, sensor: notice}
    remaining = {k: v for k, v in standing.items() if k != sensor}
    return "raised", _open_memory(health, severity, pushed=True), remaining


def standing_now(standing: dict[str, Any], now: datetime, repeat_window_h: float) -> dict[str, Any]:
    """The standing notices still in force at ``now`` (a sensor free of faults for the window drops out)."""
    window = timedelta(hours=repeat_window_h)
    return {
        sensor: notice
        for sensor, notice in standing.items()
        if now - datetime.fromisoformat(notice["last"]) <= window
    }


def _step(entry: dict[str, Any]) -> str | None:
    """The step a health alert came from (its records' time), ``None`` for any other alert."""
    if entry.get("source") != HEALTH_SOURCE:
        return None
    stamp = entry.get("record", {}).get("timestamp")
    return stamp if isinstance(stamp, str) else None


def _members(entry: dict[str, Any]) -> list[dict[str, Any]]:
    group = entry.get("record", {}).get("group")
    return list(group) if isinstance(group, list) else [entry]


def merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One message for the sensors of one step: each one's message, the worst severity.

    Alerts as kept in an outbox (``Alert.to_json``): alerts.py builds them and imports this module.
    """
    members = [*_members(first), *_members(second)]
    sensors = [member["kind"] for member in members]
    worst = max((Severity(m["severity"]) for m in members), key=SEVERITY_RANK.__getitem__)
    what = "ok again" if first["status"] == "resolved" else "at fault"
    return {
        **first,
        "kind": "+".join(sensors),
        "severity": worst.value,
        "time": min(m["time"] for m in members),
        "title": f"{first['site']}: {len(members)} sensors {what} ({', '.join(sensors)})",
        "message": "\n".join(m["message"] for m in members),
        "record": {"timestamp": _step(first), "group": members},
    }


def enqueue(outbox: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """``outbox`` with the alert ``entry`` (``Alert.to_json``) added, merged into a same-step one.

    Why the outbox: the records of one step may be read in two batches; while the first
    sensor's alert still waits, the second joins it. One already delivered is not recalled:
    the next sensor is then a message of its own (the documented limit of grouping).
    """
    step = _step(entry)
    if step is not None and outbox:
        tail = outbox[-1]
        if _step(tail) == step and tail["status"] == entry["status"]:
            return [*outbox[:-1], merged(tail, entry)]
    return [*outbox, entry]


ACTING_KINDS: dict[str, str] = {
    "co2_low": "ventilation",
    "temperature_high": "cooling",
    "vpd_high": "cooling",
}
"""Per rule, the device kind (``[advisor.devices]``, :class:`brain.names.DeviceKind`) whose running
shows the house already acting on it (issue 28, item 2): outside air in for low CO2, evaporative
cooling for heat and dry air."""


def acting_devices(
    rules: list[str], devices: dict[str, Any], kinds: Mapping[str, str] | None = None
) -> list[str]:
    """The devices acting on every one of ``rules``, or ``[]`` when one rule has none.

    ``devices``: the fields of the latest device status record (``{}`` when none is known);
    ``kinds``: ``[advisor.devices]``, device name to kind.
    """
    relays = devices.get("devices")
    if not isinstance(relays, dict) or not rules:
        return []
    positions = devices.get("positions")
    positions = positions if isinstance(positions, dict) else {}
    kinds = kinds or {}
    found: list[str] = []
    for rule in rules:
        wanted = ACTING_KINDS.get(rule)
        if wanted is None:
            return []
        mine = [
            name for name in relays if device_kind(name, kinds) == wanted and running(name, relays, positions)
        ]
        if not mine:
            return []
        found += [name for name in mine if name not in found]
    return sorted(found)


EPISODE_MEMORY = timedelta(days=14)
"""Open episodes are remembered this long after they began, then forgotten (an end record never
written, a daemon stopped): the cursor stays small. A record of an episode forgotten is taken as
a start; a chronic condition is one standing record (AnomalyV1 1.2), so this is rare."""


def episode_id(anomaly: AnomalyLine) -> str:
    """An episode's key in the cursor: ``kind|started_at``."""
    return f"{anomaly.kind.value}|{anomaly.started_at.isoformat()}"


def anomaly_decision(
    anomaly: AnomalyLine,
    data: dict[str, Any],
    episodes: dict[str, Any],
    devices: dict[str, Any],
    alert: dict[str, Any],
    *,
    kinds: Mapping[str, str] | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Whether ``anomaly``'s record is pushed, and the open episodes after it.

    ``data``: the stored line (its ``rules``); ``episodes``: episode id -> ``{"pushed", "since",
    "devices", "alert"}`` for the open episodes; ``devices``: the latest device status record.
    """
    key = episode_id(anomaly)
    oldest = (anomaly.ended_at or anomaly.started_at) - EPISODE_MEMORY
    episodes = {k: v for k, v in episodes.items() if datetime.fromisoformat(v["since"]) >= oldest}
    entry = episodes.get(key)
    if anomaly.ended_at is not None:
        rest = {k: v for k, v in episodes.items() if k != key}
        return (entry is None or bool(entry["pushed"])), rest
    if entry is not None:
        if entry["pushed"]:
            return True, episodes
        if anomaly.severity is Severity.CRITICAL:
            return True, {**episodes, key: {**entry, "pushed": True}}
        return False, {**episodes, key: {**entry, "alert": alert}}
    rules = data.get("rules")
    named = [str(rule) for rule in rules] if isinstance(rules, list) and rules else [anomaly.kind.value]
    acting = [] if anomaly.severity is Severity.CRITICAL else acting_devices(named, devices, kinds)
    opened = {"pushed": not acting, "since": anomaly.started_at.isoformat(), "devices": acting}
    if acting:
        opened["alert"] = alert
    return not acting, {**episodes, key: opened}


def quiet_due(
    episodes: dict[str, Any], now: datetime, quiet_h: float
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The quiet episodes still open ``quiet_h`` after they began, and the open episodes after.

    Each is returned as its alert (:meth:`Alert.to_json`) with a sentence saying why it comes
    now, and is marked pushed (its end will be pushed too).
    """
    out: list[dict[str, Any]] = []
    after = dict(episodes)
    for key, entry in episodes.items():
        if entry["pushed"] or now - datetime.fromisoformat(entry["since"]) < timedelta(hours=quiet_h):
            continue
        running = entry["devices"]
        verb = "is" if len(running) == 1 else "are"
        note = f" Still open after {quiet_h:g} h although {', '.join(running)} {verb} running."
        out.append({**entry["alert"], "message": entry["alert"]["message"] + note})
        after[key] = {k: v for k, v in entry.items() if k != "alert"} | {"pushed": True}
    return out, after
