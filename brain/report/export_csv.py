"""``brain export-csv``: states (or observations with VPD, or the advisor's actions) as CSV for a spreadsheet.

Two time columns, because a spreadsheet wants the grower's clock and an analyst wants an
unambiguous instant: ``local_time`` (``YYYY-MM-DD HH:MM:SS`` in the site zone, named in the
``timezone`` column) and ``timestamp_utc`` (ISO 8601), which also tells apart the hour that a
DST change repeats. Numbers use a ``.`` decimal point; an absent value is an empty cell.
Readings are written as stored (what the sensor gave); values brain derives are rounded
to :data:`DERIVED_DECIMALS`, because their 15 digits of float noise claim a precision no
greenhouse sensor has (RH is good to about 2 %, which moves VPD by some 0.05 kPa).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO, TypeVar

from brain.contracts import SENSOR_KEYS, ActionV1, ObservationV1, RelayState, StateV1
from brain.report.days import SiteZone, day_window
from brain.report.daystats import vpd_or_none
from brain.storage import DatasetManager, MalformedLinePolicy, iter_records

TIME_COLUMNS = ["timestamp_utc", "local_time", "timezone", "site_id"]
STATE_COLUMNS = [
    *TIME_COLUMNS,
    *(key.value for key in SENSOR_KEYS),
    "vpd_kpa",
    "dew_point_c",
    "confidence",
    "excluded_sensors",
    "relays_on",
]
OBSERVATION_COLUMNS = [*TIME_COLUMNS, "source", *(key.value for key in SENSOR_KEYS), "vpd_kpa", "errors"]
ACTION_COLUMNS = [
    *TIME_COLUMNS,
    "action_type",
    "target_device",
    "target_position_pct",
    "reason",
    "in_response_to",
    "mode",
]


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` inclusive; ``None`` on either side means open."""

    first: date | None = None
    last: date | None = None

    def bounds(self, zone: SiteZone) -> tuple[datetime | None, datetime | None]:
        """The period as UTC instants ``[start, end)``."""
        start = day_window(self.first, zone.zone).start if self.first else None
        end = day_window(self.last, zone.zone).end if self.last else None
        return start, end


DERIVED_DECIMALS = {"vpd_kpa": 3, "dew_point_c": 2, "confidence": 3}
"""Decimals of each derived column: VPD to 1 Pa, dew point to 0.01 °C, confidence to 0.001."""


def _cell(value: float | None) -> str:
    """A value as stored (Python's shortest exact form); empty when absent."""
    return "" if value is None else repr(value)


def _derived(column: str, value: float | None) -> str:
    """A derived value rounded to its :data:`DERIVED_DECIMALS` (``+ 0.0`` keeps ``-0.0`` out)."""
    return "" if value is None else repr(round(value, DERIVED_DECIMALS[column]) + 0.0)


def _times(moment: datetime, zone: SiteZone) -> list[str]:
    return [
        moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        f"{moment.astimezone(zone.zone):%Y-%m-%d %H:%M:%S}",
        zone.name,
    ]


def _runs(data_root: Path, period: Period) -> list[Path]:
    """Run folders that can hold the period's records (one day of slack for the writer's zone)."""
    runs = DatasetManager(data_root).dated_runs()
    first = period.first - timedelta(days=1) if period.first else date.min
    last = period.last + timedelta(days=1) if period.last else date.max
    return [path for day, path in runs if first <= day <= last]


R = TypeVar("R", bound=StateV1 | ObservationV1 | ActionV1)


def _within(records: Iterable[R], start: datetime | None, end: datetime | None) -> Iterator[R]:
    for record in records:
        if (start is None or record.timestamp >= start) and (end is None or record.timestamp < end):
            yield record


def _state_row(state: StateV1) -> list[str]:
    excluded = ";".join(f"{key}:{reason}" for key, reason in state.excluded_sensors.items())
    relays = ";".join(name for name, s in state.device_status.devices.items() if s is RelayState.ON)
    return [
        *(_cell(state.get(key)) for key in SENSOR_KEYS),
        _derived("vpd_kpa", state.vpd_kpa),
        _derived("dew_point_c", state.dew_point_c),
        _derived("confidence", state.confidence),
        excluded,
        relays,
    ]


def _observation_row(obs: ObservationV1) -> list[str]:
    sensors = obs.sensors
    return [
        obs.source.value,
        *(_cell(sensors.get(key)) for key in SENSOR_KEYS),
        _derived("vpd_kpa", vpd_or_none(sensors.air_temperature_c, sensors.relative_humidity_pct)),
        ";".join(f"{key}: {text}" for key, text in obs.errors.items()),
    ]


def _action_row(action: ActionV1) -> list[str]:
    ref = action.in_response_to
    answered = f"{ref.stream.value}@{ref.timestamp.astimezone(UTC).isoformat().replace('+00:00', 'Z')}"
    return [
        action.action_type.value,
        action.target_device or "",
        _cell(action.target_position_pct),
        action.reason,
        answered + (f":{ref.kind}" if ref.kind else ""),
        action.mode,
    ]


def _export(
    data_root: Path,
    period: Period,
    zone: SiteZone,
    out: TextIO,
    *,
    stream: tuple[str, type[R], list[str]],
    columns_of: Callable[[R], list[str]],
) -> int:
    """Write one stream's records of ``period`` as CSV: the time columns, then ``columns_of``'s."""
    name, model, header = stream
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    start, end = period.bounds(zone)
    rows = 0
    for run in _runs(data_root, period):
        records: Iterable[R] = iter_records(run, name, model, policy=MalformedLinePolicy.SKIP)
        for record in _within(records, start, end):
            writer.writerow([*_times(record.timestamp, zone), record.site_id, *columns_of(record)])
            rows += 1
    return rows


def export_states(data_root: Path, period: Period, zone: SiteZone, out: TextIO) -> int:
    """Write the states of ``period`` as CSV; return the number of rows."""
    stream = ("state", StateV1, STATE_COLUMNS)
    return _export(data_root, period, zone, out, stream=stream, columns_of=_state_row)


def export_observations(data_root: Path, period: Period, zone: SiteZone, out: TextIO) -> int:
    """Write the raw observations of ``period`` as CSV with VPD per observation; return the number of rows."""
    stream = ("observations", ObservationV1, OBSERVATION_COLUMNS)
    return _export(data_root, period, zone, out, stream=stream, columns_of=_observation_row)


def export_actions(data_root: Path, period: Period, zone: SiteZone, out: TextIO) -> int:
    """Write the advisor's actions of ``period`` as CSV, one per row with its reason; return the row count."""
    stream = ("actions", ActionV1, ACTION_COLUMNS)
    return _export(data_root, period, zone, out, stream=stream, columns_of=_action_row)
