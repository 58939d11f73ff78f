"""How many messages a grower would get from brain, and how true its fault verdicts are (issue 28).

Run: ``python bench/alert_noise.py [--site osu2024|cornell2020] [--json]``. It prints figures;
nothing is asserted (the budgets and the before/after figures are in docs/anomaly_thresholds.md,
"Alert noise").

It replays the OSU 2024 season and the Cornell 2020-21 month from ``../shared/data/field``
(imported with their CSV mappings, as ``brain import-csv`` does; skipped with a message when
the data is absent) through the estimator, with the relay states the logs' actuator columns
give (a fan or vent counts as ``on`` above a share of its range, lamps when any bench is lit),
and counts what ``brain uplink``'s alerts (``brain/uplink/alerts.py``) would push with their
default settings (``min_severity = warning``):

- an anomaly record is one push (an episode's start and each severity change *raised*, its end
  *resolved*), except where the uplink's alert policy records it only: a warning episode the
  house is already acting on (the step's relay states) is pushed if it turns critical or is
  still open after ``quiet_while_acting_h``, and its end only if its start was;
- sensor health through the uplink's alert policy (``brain/uplink/alert_policy.py``, called
  here, not copied): one push per fault episode and one when the sensor is ok again, the
  sensors of one step in one message, a fault repeating within ``repeat_window_h`` a standing
  notice (no push).

Per site: pushes per 7-day week (median and max, over the whole weeks of the log), the most
in one local day, the anomaly episodes per rule, and how late each critical condition was
pushed (from the moment its rule's critical qualifying time was first met to the first
critical record of an open episode).

Fault verdicts are judged against the raw rows, with the faults issue 28 lists as the truth:

- Cornell: PAR frozen at an exact non-zero value (the outages, from the rows: one value held
  for an hour or more, resumed after the dark hours); CO2 held exactly at one value for an
  hour or more (the logger's fill values, 400 and 1000 ppm);
- OSU: the whole feed frozen on 2024-07-30 (every channel; flagged within 10 minutes is
  the goal, the delay is printed); the one-sample CO2 spike of 2024-08-19 10:50; CO2 reading
  low against outside air while the exhaust fans run (the nights from the first to the
  last with an hour of fans at 90 % or more and CO2 under 380 ppm).

A verdict (a sensor's fault leaving ``none``, or changing to another fault) overlapping a truth event of its sensor is a true
positive; every other verdict is a false positive (the OSU RH plateaus among them). Recall: the
truth events with at least one verdict.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from brain.contracts import DeviceStatusV1, ObservationV1, RelayState, SensorFault
from brain.estimator import Estimator, ObservationOrderError
from brain.names import Severity
from brain.sources.csv.importer import ImportSummary, iter_csv_observations
from brain.sources.csv.mapping import load_mapping
from brain.uplink.alert_policy import anomaly_decision, enqueue, health_decision, quiet_due
from brain.uplink.alerts import anomaly_alert, health_alert
from brain.uplink.records import AnomalyLine, HealthLine, read_record
from brain.uplink.settings import AlertSettings

FIELD_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "field"
WEEK = timedelta(days=7)
FREEZE_FLAG_S = 600.0
"""The whole-feed freeze must be flagged within 10 minutes (issue 28, item 5)."""


@dataclass(frozen=True)
class Site:
    """A field log and what the bench knows about its site."""

    name: str
    file: str
    latitude: float
    longitude: float
    devices: dict[str, tuple[tuple[str, ...], float]]
    """Relay name: (the log's columns, the share of their range above which it is ``on``)."""


SITES = (
    Site(
        "osu2024",
        "osu2024_tomato_reference_environment.csv",
        40.0,  # Ohio State University, Columbus, OH
        -83.0,
        {
            "exhaust_fans": (("Exhaust Fan Power Usage",), 50.0),
            "vents": (("Vent Lee", "Vent Wind"), 20.0),
        },
    ),
    Site(
        "cornell2020",
        "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv",
        42.45,  # Cornell University, Ithaca, NY
        -76.48,
        {
            "exhaust_fans": (("Exhaust Fans VFD Current Timed Position (%)",), 50.0),
            "pad_vent_shutter": (("PAD Vent Shutter Current Timed Position (%)",), 20.0),
            "lamps": (
                (
                    "Light Bench 1 Final State (%)",
                    "Light Bench 2 Final State (%)",
                    "Light Bench 3 Final State (%)",
                ),
                1.0,
            ),
        },
    ),
)


@dataclass
class Interval:
    """A truth event: a sensor (``None``: every sensor) wrong from ``start`` to ``end``."""

    name: str
    sensor: str | None
    start: datetime
    end: datetime
    faults: tuple[str, ...] = ()
    """The faults that count as finding it (empty: any)."""
    hits: int = 0
    first_flag: datetime | None = None


@dataclass
class Verdict:
    """A sensor's fault leaving ``none``, from ``since`` (flagged at ``flagged``) to ``end``."""

    sensor: str
    fault: str
    since: datetime
    flagged: datetime
    end: datetime | None = None
    statistic: str = "-"


@dataclass
class Result:
    """What one site's replay pushed and found."""

    site: str
    pushes: list[tuple[datetime, str]] = field(default_factory=list)
    episodes: Counter[str] = field(default_factory=Counter)
    recorded_only: int = 0
    """Anomaly records not pushed: the house was already acting (module docstring)."""
    families: int = 0
    verdicts: list[Verdict] = field(default_factory=list)
    truth: list[Interval] = field(default_factory=list)
    critical_told: list[bool] = field(default_factory=list)
    """Per rule-level critical start or escalation: told at once (module docstring)."""
    step_s: float = 0.0
    steps: int = 0


def _float(text: str) -> float | None:
    text = text.strip()
    return None if not text or text.lower() == "nan" else float(text)


def _raw_rows(site: Site) -> tuple[list[str], list[list[str]]]:
    with (FIELD_DATA / site.file).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _parse_local(text: str, site: Site) -> datetime:
    fmt = "%Y-%m-%d %H:%M:%S" if site.name == "osu2024" else "%m/%d/%Y %H:%M"
    return datetime.strptime(text, fmt)


def relay_table(site: Site, zone: ZoneInfo) -> dict[datetime, dict[str, RelayState]]:
    """Per local wall-clock time of a row: each relay's state from the log's actuator columns."""
    header, rows = _raw_rows(site)
    out: dict[datetime, dict[str, RelayState]] = {}
    for row in rows:
        local = _parse_local(row[0], site)
        states: dict[str, RelayState] = {}
        for name, (columns, on_above) in site.devices.items():
            values = [_float(row[header.index(column)]) for column in columns]
            known = [value for value in values if value is not None]
            if not known:
                states[name] = RelayState.UNKNOWN
            else:
                states[name] = RelayState.ON if max(known) >= on_above else RelayState.OFF
        out.setdefault(local, states)
    return out


def pairs(site: Site) -> Iterator[tuple[ObservationV1, DeviceStatusV1]]:
    """The log's observations (through its CSV mapping) with the relay states of their rows."""
    mapping = load_mapping(site.name)
    zone = ZoneInfo(mapping.timezone)
    relays = relay_table(site, zone)
    path = FIELD_DATA / site.file
    for observation in iter_csv_observations(path, mapping, ImportSummary(csv_path=path)):
        local = observation.timestamp.astimezone(zone).replace(tzinfo=None)
        devices = relays.get(local, {})
        yield (
            observation,
            DeviceStatusV1(
                schema_version="1.0",
                timestamp=observation.timestamp,
                site_id=observation.site_id,
                devices=dict(devices),
            ),
        )


def truth_events(site: Site, zone: ZoneInfo) -> list[Interval]:
    """The faults issue 28 lists, found in the raw rows (module docstring)."""
    header, rows = _raw_rows(site)
    times = [_parse_local(row[0], site).replace(tzinfo=zone) for row in rows]
    events: list[Interval] = []
    if site.name == "cornell2020":
        events += _frozen_runs(rows, times, header.index("PPFD (umol/m2/s)"), "par_umol_m2_s", zero_ok=True)
        events += _frozen_runs(rows, times, header.index("CO2(ppm)"), "co2_ppm", zero_ok=False)
    else:
        start = datetime(2024, 7, 30, 19, 25, tzinfo=zone)
        events.append(
            Interval("OSU whole-feed freeze", None, start, start + timedelta(minutes=110), ("stuck_at",))
        )
        spike = datetime(2024, 8, 19, 10, 50, tzinfo=zone)
        events.append(Interval("OSU CO2 spike", "co2_ppm", spike, spike + timedelta(minutes=5), ("jump",)))
        events.append(_co2_low_nights(header, rows, times))
    return events


def _frozen_runs(
    rows: list[list[str]], times: list[datetime], column: int, sensor: str, *, zero_ok: bool
) -> list[Interval]:
    """Runs of one exact non-zero value held an hour or more; with ``zero_ok`` a run of the same
    value resumed after dark (zero) rows within 6 hours is the same outage."""
    runs: list[tuple[int, int, str]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][column] != rows[start][column]:
            value = rows[start][column]
            if i - start >= 12 and _float(value) not in (None, 0.0):
                runs.append((start, i - 1, value))
            start = i
    merged: list[list[Any]] = []
    for first, last, value in runs:
        if (
            zero_ok
            and merged
            and merged[-1][2] == value
            and times[first] - times[merged[-1][1]] <= timedelta(hours=6)
        ):
            merged[-1][1] = last
        else:
            merged.append([first, last, value])
    label = "PAR frozen" if sensor == "par_umol_m2_s" else "CO2 fill value"
    return [
        Interval(f"{label} at {value} from {times[first]:%m-%d %H:%M}", sensor, times[first], times[last])
        for first, last, value in merged
    ]


def _co2_low_nights(header: list[str], rows: list[list[str]], times: list[datetime]) -> Interval:
    """From the first to the last night with an hour of fans at 90 % or more and CO2 under 380 ppm."""
    fan, co2 = header.index("Exhaust Fan Power Usage"), header.index("CO2")
    per_night: Counter[str] = Counter()
    for row, ts in zip(rows, times, strict=True):
        night = ts.hour >= 22 or ts.hour < 5
        fans, ppm = _float(row[fan]), _float(row[co2])
        if night and fans is not None and fans >= 90.0 and ppm is not None and ppm < 380.0:
            per_night[(ts - timedelta(hours=12)).date().isoformat()] += 1
    nights = sorted(day for day, count in per_night.items() if count >= 12)
    first = datetime.fromisoformat(nights[0]).replace(tzinfo=times[0].tzinfo) + timedelta(hours=22)
    last = datetime.fromisoformat(nights[-1]).replace(tzinfo=times[0].tzinfo) + timedelta(hours=29)
    name = "OSU CO2 low against outside air under ventilation"
    return Interval(name, "co2_ppm", first, last, ("drift",))


def estimator_for(site: Site, timezone: str) -> Estimator:
    """The estimator as the daemon builds it for the site (its latitude and longitude where it takes them)."""
    accepted = inspect.signature(Estimator).parameters
    extra: dict[str, Any] = {}
    if "latitude" in accepted:
        extra = {"latitude": site.latitude, "longitude": site.longitude}
    return Estimator(timezone=timezone, **extra)


def replay(site: Site) -> Result:
    """Replay one site; count pushes, episodes, verdicts and critical delays."""
    mapping = load_mapping(site.name)
    zone = ZoneInfo(mapping.timezone)
    estimator = estimator_for(site, mapping.timezone)
    result = Result(site.name, truth=truth_events(site, zone))
    health_memory: dict[str, Any] = {}
    episodes: dict[str, Any] = {}
    open_verdicts: dict[str, Verdict] = {}
    seen: set[tuple[str, datetime]] = set()
    seen_rules: set[tuple[str, datetime]] = set()
    told: list[bool] = []
    _watch_criticals(estimator, told)
    told_wrapped = hasattr(getattr(estimator, "_anomalies", None), "_families")
    for observation, status in pairs(site):
        began = time.perf_counter()
        try:
            estimate = estimator.step(observation, status)
        except ObservationOrderError:
            continue
        result.step_s += time.perf_counter() - began
        result.steps += 1
        episodes = _anomaly_pushes(estimate, status, result, episodes)
        for record in estimate.anomalies:
            key = (record.kind.value, record.started_at)
            rules_named = [rule.value for rule in getattr(record, "rules", None) or [record.kind]]
            if key not in seen:
                seen.add(key)
                result.families += 1
            for rule in rules_named:
                if (rule, record.started_at) not in seen_rules:
                    seen_rules.add((rule, record.started_at))
                    result.episodes[rule] += 1
            if record.severity is Severity.CRITICAL and record.ended_at is None and not told_wrapped:
                told.append(True)  # no family layer: every critical record is pushed as it comes
        if estimate.health_changed:
            _health_pushes(estimate, result, health_memory, open_verdicts)
    result.critical_told = told
    return result


def _watch_criticals(estimator: Estimator, told: list[bool]) -> None:
    """Each rule's own critical start or escalation (what brain pushed before issue 28): was the
    grower told at that very step (a critical record pushed, or one already told and still in
    force)? Wraps the family layer where there is one; without it every such record is a push."""
    families = getattr(getattr(estimator, "_anomalies", None), "_families", None)
    if families is None:
        return
    take = families.take

    def watched(t: float, records: Any) -> Any:
        out = take(t, records)
        pushed = any(r.severity is Severity.CRITICAL and r.ended_at is None for r in out)
        for record in records:
            if record.severity is Severity.CRITICAL and record.ended_at is None:
                episode = families._open.get(families._family[record.kind].name)
                told.append(pushed or (episode is not None and episode.told_critical))
        return out

    families.take = watched


def _anomaly_pushes(
    estimate: Any, status: DeviceStatusV1, result: Result, episodes: dict[str, Any]
) -> dict[str, Any]:
    """The anomaly alerts ``brain uplink`` sends (its policy's own functions): a warning episode the
    house is already acting on is recorded only, unless it turns critical or outlasts
    ``quiet_while_acting_h``; returns the open episodes (what the anomaly alert cursor keeps)."""
    devices = json.loads(status.model_dump_json(exclude_none=True))
    for record in estimate.anomalies:
        stored = read_record(record.model_dump_json(exclude_none=True).encode())
        facts = AnomalyLine.from_fields(stored.data)
        alert = anomaly_alert(result.site, facts, stored)
        pushed, episodes = anomaly_decision(facts, stored.data, episodes, devices, alert.to_json())
        if pushed:
            result.pushes.append((record.timestamp, f"anomaly {record.kind.value}"))
        else:
            result.recorded_only += 1
    due, episodes = quiet_due(episodes, status.timestamp, AlertSettings().quiet_while_acting_h)
    result.pushes += [(status.timestamp, f"anomaly {entry['kind']} still open") for entry in due]
    return episodes


def _health_pushes(
    estimate: Any,
    result: Result,
    memory: dict[str, Any],
    open_verdicts: dict[str, Verdict],
) -> None:
    """The health alerts ``brain uplink`` sends (its policy's own functions), and the fault verdicts.

    ``memory``: what the uplink's ``sensor_health`` alert cursor keeps (``sensors``, ``standing``);
    the step's alerts go through one outbox, as the uplink reads a step's records before it sends.
    """
    outbox: list[dict[str, Any]] = []
    for record in estimate.sensor_health:
        stored = read_record(record.model_dump_json(exclude_none=True).encode())
        facts = HealthLine.from_fields(stored.data)
        sensors = memory.setdefault("sensors", {})
        last = sensors.get(facts.sensor.value)
        push, sensors[facts.sensor.value], memory["standing"] = health_decision(
            facts, last, memory.get("standing", {}), AlertSettings().repeat_window_h
        )
        alert = health_alert(result.site, facts, stored, last) if push else None
        if alert is not None:
            outbox = enqueue(outbox, alert.to_json())
        _verdict(record, result, open_verdicts)
    result.pushes += [
        (datetime.fromisoformat(entry["time"]), f"health {entry['status']}") for entry in outbox
    ]


def _verdict(record: Any, result: Result, open_verdicts: dict[str, Verdict]) -> None:
    """A sensor's fault leaving ``none`` (or changing) opens a verdict; back to ``none`` closes it."""
    sensor = record.sensor.value
    faulty = record.fault is not SensorFault.NONE
    verdict = open_verdicts.get(sensor)
    if faulty and verdict is not None and verdict.fault != record.fault.value:
        verdict.end = record.timestamp  # another fault: a verdict of its own
        verdict = None
    if faulty and verdict is None:
        statistic = record.evidence.statistic if record.evidence else "-"
        verdict = Verdict(sensor, record.fault.value, record.since, record.timestamp, statistic=statistic)
        open_verdicts[sensor] = verdict
        result.verdicts.append(verdict)
    elif not faulty and verdict is not None:
        verdict.end = record.timestamp
        del open_verdicts[sensor]


def judge(result: Result) -> tuple[int, int]:
    """Mark truth hits; return (true positive verdicts, all verdicts)."""
    true_positive = 0
    for verdict in result.verdicts:
        end = verdict.end or verdict.flagged
        hit = False
        for event in result.truth:
            if event.sensor not in (None, verdict.sensor) or (
                event.faults and verdict.fault not in event.faults
            ):
                continue
            if verdict.since <= event.end and end >= event.start:
                hit = True
                event.hits += 1
                if event.first_flag is None or verdict.flagged < event.first_flag:
                    event.first_flag = verdict.flagged
        true_positive += hit
    return true_positive, len(result.verdicts)


def weekly(result: Result) -> tuple[list[int], int]:
    """Pushes per whole 7-day week from the first observation, and the most in one day."""
    if not result.pushes:
        return [], 0
    return _per_week(result), max(Counter(ts.date() for ts, _ in result.pushes).values())


def _per_week(result: Result, pushes: list[tuple[datetime, str]] | None = None) -> list[int]:
    first = result.pushes[0][0]
    counts: Counter[int] = Counter((ts - first) // WEEK for ts, _ in (pushes or result.pushes))
    last = max(counts)
    return [counts.get(week, 0) for week in range(last)]  # the last week may be partial: left out


def summary(site: Site, result: Result) -> dict[str, Any]:
    """The figures of one site."""
    true_positive, verdicts = judge(result)
    weeks = _per_week(result) if result.pushes else []
    anomaly = [(ts, kind) for ts, kind in result.pushes if kind.startswith("anomaly")]
    climate = _per_week(result, anomaly) if anomaly else []
    per_day = Counter(ts.date() for ts, _ in result.pushes)
    freeze = next((event for event in result.truth if event.sensor is None), None)
    found = sum(event.hits > 0 for event in result.truth)
    return {
        "site": site.name,
        "steps": result.steps,
        "step_us": round(1e6 * result.step_s / max(result.steps, 1), 2),
        "pushes": len(result.pushes),
        "pushes_per_week_median": statistics.median(weeks) if weeks else 0,
        "pushes_per_week_max": max(weeks) if weeks else 0,
        "weeks": len(weeks),
        "anomaly_per_week_median": statistics.median(climate) if climate else 0,
        "anomaly_per_week_max": max(climate) if climate else 0,
        "anomaly_recorded_only": result.recorded_only,
        "pushes_max_day": max(per_day.values()) if per_day else 0,
        "push_kinds": dict(sorted(Counter(kind for _, kind in result.pushes).items())),
        "episodes_started": result.families,
        "episodes_per_rule": dict(sorted(result.episodes.items())),
        "critical_conditions": len(result.critical_told),
        "critical_not_told": result.critical_told.count(False),
        "fault_verdicts": verdicts,
        "fault_true_positives": true_positive,
        "fault_truth_events": len(result.truth),
        "fault_truth_found": found,
        "freeze_flag_delay_s": (
            None
            if freeze is None or freeze.first_flag is None
            else (freeze.first_flag - freeze.start).total_seconds()
        ),
        "verdicts": [
            f"{v.sensor} {v.fault} since {v.since:%Y-%m-%d %H:%M} flagged {v.flagged:%Y-%m-%d %H:%M} ({v.statistic})"
            for v in result.verdicts
        ],
        "truth": [
            f"{'found' if e.hits else 'MISSED'}: {e.name} ({e.sensor or 'all sensors'})" for e in result.truth
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", choices=[site.name for site in SITES], action="append")
    parser.add_argument("--json", action="store_true", help="one JSON object per site")
    parser.add_argument("--verbose", action="store_true", help="list the verdicts and the truth events")
    args = parser.parse_args(argv)
    if not FIELD_DATA.is_dir():
        print(f"alert_noise: skipped, no field data at {FIELD_DATA}")
        return 0
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    chosen = [site for site in SITES if not args.site or site.name in args.site]
    totals = [0, 0, 0, 0]
    for site in chosen:
        figures = summary(site, replay(site))
        totals[0] += figures["fault_true_positives"]
        totals[1] += figures["fault_verdicts"]
        totals[2] += figures["fault_truth_found"]
        totals[3] += figures["fault_truth_events"]
        if args.json:
            print(json.dumps(figures))
            continue
        _print(figures, verbose=args.verbose)
    if not args.json:
        precision = totals[0] / totals[1] if totals[1] else 1.0
        recall = totals[2] / totals[3] if totals[3] else 1.0
        print(
            f"all sites: fault precision {precision:.0%} ({totals[0]}/{totals[1]}), "
            f"recall {recall:.0%} ({totals[2]}/{totals[3]})"
        )
    return 0


def _print(figures: dict[str, Any], *, verbose: bool) -> None:
    print(
        f"{figures['site']}: {figures['steps']} observations, step {figures['step_us']} us (mean, with replay)"
    )
    print(
        f"  pushes: {figures['pushes']}; per week median {figures['pushes_per_week_median']}, "
        f"max {figures['pushes_per_week_max']} ({figures['weeks']} whole weeks); most in a day "
        f"{figures['pushes_max_day']}"
    )
    print(
        f"  anomaly pushes alone: per week median {figures['anomaly_per_week_median']}, "
        f"max {figures['anomaly_per_week_max']}"
    )
    print(f"  push kinds: {figures['push_kinds']}")
    print(f"  anomaly records recorded, not pushed (the house acting): {figures['anomaly_recorded_only']}")
    print(f"  episodes started: {figures['episodes_started']}; per rule: {figures['episodes_per_rule']}")
    print(
        f"  critical conditions: {figures['critical_conditions']}, "
        f"{figures['critical_not_told']} not pushed at the step they began"
    )
    tp, verdicts = figures["fault_true_positives"], figures["fault_verdicts"]
    found, events = figures["fault_truth_found"], figures["fault_truth_events"]
    print(
        f"  faults: precision {tp}/{verdicts}, recall {found}/{events}; "
        f"whole-feed freeze flagged after {figures['freeze_flag_delay_s']} s"
    )
    if verbose:
        for line in figures["verdicts"]:
            print(f"    verdict {line}")
        for line in figures["truth"]:
            print(f"    {line}")


if __name__ == "__main__":
    sys.exit(main())
