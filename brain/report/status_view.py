"""``brain status``'s verdict and its two forms: a screen for a terminal, a JSON object for machines.

The verdict follows the monitoring-plugin convention (Nagios, Icinga, Checkmk, Zabbix's
agent checks): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. These are *not* brain's sysexits codes
(:class:`brain.exit_codes.ExitCode`, where 2 is a usage error); ``brain status`` alone speaks
this dialect, because monitoring is its job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, NamedTuple

from brain.names import HealthStatus, SensorKey, Severity
from brain.report.folder import manifest_summary
from brain.report.printable import printable, printable_lines
from brain.report.status import Status

METRIC_UNITS = {
    "air_temperature_c": ("°C", 1),
    "relative_humidity_pct": ("%", 0),
    "co2_ppm": ("ppm", 0),
    "par_umol_m2_s": ("µmol/m²/s", 0),
    "substrate_moisture_pct": ("%", 1),
    "vpd_kpa": ("kPa", 2),
    "dew_point_margin_c": ("K", 1),
    "night_mean_air_temperature_c": ("°C", 1),
    "mean_24h_air_temperature_c": ("°C", 1),
    "daily_light_integral_mol_m2_d": ("mol/m²/d", 1),
}
"""Unit and decimals of each anomaly metric, for its peak and threshold."""

SENSOR_NAMES = {
    SensorKey.AIR_TEMPERATURE_C: ("air temperature", "°C", 1),
    SensorKey.RELATIVE_HUMIDITY_PCT: ("relative humidity", "%", 0),
    SensorKey.CO2_PPM: ("CO2", "ppm", 0),
    SensorKey.PAR_UMOL_M2_S: ("PAR", "µmol/m²/s", 0),
    SensorKey.SUBSTRATE_MOISTURE_PCT: ("substrate moisture", "%", 1),
}


class Level(IntEnum):
    """A monitoring plugin's exit status."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


class Limits(NamedTuple):
    """When the newest observation, the free disk and today's completeness become a warning or critical."""

    warn_age: timedelta = timedelta(minutes=5)
    crit_age: timedelta = timedelta(minutes=30)
    warn_days_left: float = 30.0
    crit_days_left: float = 7.0
    warn_completeness_pct: float = 90.0
    judge_completeness_after: timedelta = timedelta(hours=1)
    """Too few polls are due just after midnight for a share to mean anything."""
    warn_uplink_lag: timedelta = timedelta(hours=1)


def verdict(status: Status, limits: Limits) -> tuple[Level, list[str]]:
    """The worst level found and one sentence per problem, worst first."""
    if status.runs == 0:
        return Level.UNKNOWN, [f"no run_YYYYMMDD folders in {status.data_root}"]
    if status.latest_observation is None:
        return Level.UNKNOWN, ["no readable observation in the newest run folders"]
    found: list[tuple[Level, str]] = []
    age = status.now - status.latest_observation.timestamp
    if age > limits.crit_age or age > limits.warn_age:
        level = Level.CRITICAL if age > limits.crit_age else Level.WARNING
        found.append((level, f"newest observation is {_duration(age)} old"))
    for open_one in status.open_episodes:
        episode = open_one.episode
        level = Level.CRITICAL if episode.severity is Severity.CRITICAL else Level.WARNING
        if episode.severity is not Severity.INFO:
            found.append(
                (level, f"{episode.severity.value} anomaly open: {episode.kind.value.replace('_', ' ')}")
            )
    for line in status.sensors:
        if line.installed and line.health is not None and line.health.status is HealthStatus.FAULTY:
            name = SENSOR_NAMES[line.sensor][0]
            found.append((Level.WARNING, f"{name} sensor faulty ({line.health.fault})"))
    days_left = status.disk.days_left if status.disk else None
    if days_left is not None and days_left < limits.warn_days_left:
        level = Level.CRITICAL if days_left < limits.crit_days_left else Level.WARNING
        found.append((level, f"disk full in about {days_left:.0f} days at the current rate"))
    share = completeness_pct(status)
    judged = status.day_elapsed >= limits.judge_completeness_after
    if share is not None and judged and share < limits.warn_completeness_pct:
        found.append((Level.WARNING, f"only {share:.0f} % of today's polls stored"))
    for lag in status.uplink:
        if lag.lag is not None and lag.lag > limits.warn_uplink_lag:
            found.append((Level.WARNING, f"uplink {lag.stream} {_duration(lag.lag)} behind"))
    found.sort(key=lambda pair: -pair[0])
    return (found[0][0] if found else Level.OK), [text for _, text in found]


def completeness_pct(status: Status) -> float | None:
    """Today's stored observations as a percentage of the polls since local midnight."""
    if not status.expected_today:
        return None
    return min(100.0, 100.0 * status.observations_today / status.expected_today)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def _age(status: Status, moment: datetime) -> str:
    """``12 min ago``; a record after ``now`` (judged ``--at`` an earlier time) says so."""
    span = status.now - moment
    return f"{_duration(span)} ago" if span >= timedelta(0) else f"{_duration(-span)} after the time judged"


def _bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def render_text(status: Status, level: Level, problems: list[str]) -> str:
    """The screen: verdict first, then each block a grower or operator asks about."""
    local = status.now.astimezone(status.zone.zone)
    out = [
        f"brain status {level.name}: {printable(str(status.data_root))}",
        f"as of {local:%Y-%m-%d %H:%M} {status.zone.name} ({status.zone.explained})",
    ]
    if status.finished_run:
        out.append(
            f"  a finished {status.finished_run} (its manifest says so): judged as of its newest "
            "observation; --at TIME judges another moment"
        )
    out += [f"  ! {printable(text)}" for text in problems]
    for block in (_climate_block, _anomaly_block, _advice_block, _sensor_block, _folder_block):
        out += ["", *block(status)]
    return printable_lines("\n".join(out)) + "\n"


def _when(status: Status, moment: datetime) -> str:
    """Clock time for today, date and time for earlier days, in the site's zone."""
    shown = moment.astimezone(status.zone.zone)
    if shown.date() == status.now.astimezone(status.zone.zone).date():
        return f"{shown:%H:%M}"
    return f"{shown:%d %b %H:%M}"


def _climate_block(status: Status) -> list[str]:
    out = []
    if status.latest_state is not None:
        state = status.latest_state
        when = _when(status, state.timestamp)
        out.append(
            f"Latest state        {when} ({_age(status, state.timestamp)}), confidence {state.confidence:.2f}"
        )
        values = []
        for key, (name, unit, digits) in SENSOR_NAMES.items():
            value = state.get(key)
            values.append(f"{name} {value:.{digits}f} {unit}" if value is not None else f"{name} -")
        if state.vpd_kpa is not None:
            values.insert(2, f"VPD {state.vpd_kpa:.2f} kPa")
        out.append("  " + "   ".join(values))
    else:
        out.append("Latest state        none stored yet")
    if status.latest_observation is not None:
        obs = status.latest_observation
        every = f", every {status.poll_interval_s:g} s" if status.poll_interval_s else ""
        out.append(
            f"Latest observation  {_when(status, obs.timestamp)} ({_age(status, obs.timestamp)}){every}"
        )
    return out


def _anomaly_block(status: Status) -> list[str]:
    if not status.open_episodes:
        return ["Open anomalies      none"]
    out = ["Open anomalies"]
    for open_one in status.open_episodes:
        e = open_one.episode
        since = f"since {_when(status, e.started_at)} ({_duration(status.now - e.started_at)})"
        kind = e.kind.value.replace("_", " ")
        unit, digits = METRIC_UNITS.get(e.metric.value, ("", 2))
        peak = f"peak {open_one.peak:.{digits}f} {unit} (threshold {e.threshold:g} {unit})"
        out.append(f"  {e.severity.value:<8} {kind:<18} {since:<28} {peak}")
    return out


def _advice_block(status: Status) -> list[str]:
    """The advisor's actions in force (brain/advice.py): what to switch now, and why."""
    if not status.advice:
        return ["Advice in force     none"]
    out = ["Advice in force"]
    for action in status.advice:
        when = f"{_when(status, action.timestamp)} ({_age(status, action.timestamp)})"
        out.append(printable(f"  {action.words():<32} {when:<24} {action.reason}"))
    return out


def _sensor_block(status: Status) -> list[str]:
    out = ["Sensors"]
    for line in status.sensors:
        name = SENSOR_NAMES[line.sensor][0]
        if not line.installed:
            out.append(f"  {name:<19} no readings (not installed?)")
        elif line.health is None:
            out.append(f"  {name:<19} no health record yet")
        else:
            h = line.health
            text = h.status.value if h.fault == "none" else f"{h.status.value}: {printable(h.fault)}"
            out.append(f"  {name:<19} {text:<22} since {_when(status, h.since)}")
    return out


def _folder_block(status: Status) -> list[str]:
    share = completeness_pct(status)
    expected = f"{status.expected_today:,}" if status.expected_today else "?"
    percent = f" ({share:.1f} %)" if share is not None else ""
    out = [f"Data today          {status.observations_today:,} of {expected} polls{percent}"]
    if status.disk is not None:
        d = status.disk
        rate = f"{_bytes(d.bytes_per_day)}/day" if d.bytes_per_day else "rate unknown (no complete day yet)"
        left = f", about {d.days_left:,.0f} days left" if d.days_left is not None else ""
        out.append(
            f"Disk                data root {_bytes(d.used_bytes)}; {_bytes(d.free_bytes)} free; {rate}{left}"
        )
    for lag in status.uplink:
        text = (
            _duration(lag.lag) + " behind"
            if lag.lag is not None
            else f"lag unknown ({lag.error or 'nothing sent yet'})"
        )
        if lag.lost_parts:  # bytes are unknown for a part deleted while the uplink was stopped
            size = f", {_bytes(lag.lost_bytes)} known" if lag.lost_bytes else ""
            text += f"; {lag.lost_parts} part(s){size} deleted by retention before delivery"
        out.append(printable(f"Uplink              {lag.stream}: {text}"))
    if not status.uplink:
        out.append("Uplink              none (no cursor files in uplink/)")
    if status.manifest is None:
        out.append("Made by             unknown (no manifest.json)")
    else:
        pairs = [printable(f"{key}={value}") for key, value in manifest_summary(status.manifest)]
        out += [f"{'Made by' if i == 0 else '':<20}{pair}" for i, pair in enumerate(pairs)]
    return out


def render_json(status: Status, level: Level, problems: list[str]) -> dict[str, Any]:
    """The same facts for a machine: ISO times, numbers in their units, nothing formatted."""
    obs = status.latest_observation
    return {
        "level": level.name,
        "exit_code": int(level),
        "problems": problems,
        "data_root": str(status.data_root),
        "now": status.now.isoformat(),
        "timezone": status.zone.name,
        "timezone_origin": status.zone.origin,
        "finished_run": status.finished_run,
        "latest_observation": obs.timestamp.isoformat() if obs else None,
        "poll_interval_s": status.poll_interval_s,
        "latest_state": status.latest_state.data if status.latest_state else None,
        "open_anomalies": [
            {
                "kind": o.episode.kind.value,
                "severity": o.episode.severity.value,
                "metric": o.episode.metric.value,
                "started_at": o.episode.started_at.isoformat(),
                "threshold": o.episode.threshold,
                "peak": o.peak,
            }
            for o in status.open_episodes
        ],
        "advice_in_force": [action.attributes() for action in status.advice],
        "sensors": [
            {
                "sensor": line.sensor.value,
                "installed": line.installed,
                "status": line.health.status.value if line.health else None,
                "fault": line.health.fault if line.health else None,
                "since": line.health.since.isoformat() if line.health else None,
            }
            for line in status.sensors
        ],
        "observations_today": status.observations_today,
        "expected_today": status.expected_today,
        "completeness_today_pct": completeness_pct(status),
        "disk": None
        if status.disk is None
        else {
            "used_bytes": status.disk.used_bytes,
            "free_bytes": status.disk.free_bytes,
            "bytes_per_day": status.disk.bytes_per_day,
            "days_left": status.disk.days_left,
        },
        "uplink": [
            {
                "stream": lag.stream,
                "lag_s": lag.lag.total_seconds() if lag.lag is not None else None,
                "lost_parts": lag.lost_parts,
                "lost_bytes": lag.lost_bytes,
            }
            for lag in status.uplink
        ],
        "manifest": status.manifest,
    }
