"""Import another logger's CSV as ObservationV1 JSONL, so its field log can be replayed through brain.

Why rows are judged one by one: a field log of months has bad rows (a cut-off
line, a garbled timestamp, a ``#DIV/0!``); one of them must never cost the rest.
A row whose time cannot be read is skipped and reported with its line number;
a cell that cannot be read becomes a null reading with an error text, and the
row's other readings are kept. Sensors the logger never had are null with the
error "not in source log", so a reader can tell them from failures.

A mapping's ``[outside]`` columns become the observation's ``outside`` readings
(ObservationV1 1.1); its ``[devices]`` columns become one DeviceStatusV1 1.1 per
row (positions in percent), written beside the observations as
``OUT.device_status.jsonl`` and named in the sidecar, where a replay finds it.
A device cell that is empty, unreadable or outside 0-100 % makes that device
``unknown`` for the row (logged with file, line and column); it is never clipped.

Local clocks are converted to UTC. In the hour that a fall-back DST change
repeats, the first pass is the summer offset and the second the standard one;
the second pass is recognised by the time going backwards (US Eastern,
2024-11-03: 01:55 EDT is followed by 01:00 EST). The output is strictly
increasing in UTC: a row not later than the one before is skipped as a duplicate.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import structlog
from pydantic import ValidationError

from brain.contracts import (
    DEVICE_STATUS_SCHEMA_VERSION,
    OBSERVATION_SCHEMA_VERSION,
    SENSOR_KEYS,
    DeviceStatusV1,
    ObservationSource,
    ObservationV1,
    OutsideReadings,
    Reading,
    RelayState,
    SensorKey,
    SensorReadings,
    check_site_id,
)
from brain.errors import ConfigError, SourceError, StorageError
from brain.sources.csv.mapping import EXCEL_SERIAL, OUTSIDE_KEYS, Converter, CsvMapping
from brain.sources.sidecar import write_sidecar

log = structlog.get_logger(__name__)

NOT_IN_SOURCE_LOG = "not in source log"
EXCEL_EPOCH = datetime(1899, 12, 30)
"""Day zero of spreadsheet serial dates (the 1900 leap-year bug makes it the 30th, not the 31st)."""
MAX_EXAMPLES = 10


class RowError(ValueError):
    """A row that cannot become an observation; the message says why."""


@dataclass
class ImportSummary:
    """What an import did: counts, the time span written, and the first skipped lines."""

    csv_path: Path
    rows_read: int = 0
    written: int = 0
    skipped: int = 0
    unreadable_values: int = 0
    first: datetime | None = None
    last: datetime | None = None
    device_statuses: int = 0
    """Device status records written (one per written row when the mapping has ``[devices]``)."""
    unreadable_positions: int = 0
    """Device cells that were empty, unreadable or outside 0-100 %: the device is ``unknown`` there."""
    skipped_examples: list[tuple[int, str]] = field(default_factory=list)
    sidecar: Path | None = None
    """The output's sidecar, holding the site zone a replay cuts days by (:mod:`brain.sources.sidecar`)."""
    timezone: str = "UTC"

    def skip(self, line: int, reason: str) -> None:
        """Count a skipped row, log it with file and line, and keep the first few for the summary."""
        self.skipped += 1
        if len(self.skipped_examples) < MAX_EXAMPLES:
            self.skipped_examples.append((line, reason))
        log.warning("csv_row_skipped", file=str(self.csv_path), line=line, reason=reason)

    def render(self) -> str:
        """The summary ``brain import-csv`` prints."""
        span = f", {self.first.isoformat()} to {self.last.isoformat()}" if self.first and self.last else ""
        lines = [
            f"{self.csv_path}: read {self.rows_read} rows, wrote {self.written} observations{span}, "
            f"skipped {self.skipped} rows, {self.unreadable_values} unreadable values written as null"
        ]
        if self.device_statuses:
            lines.append(
                f"wrote {self.device_statuses} device statuses, "
                f"{self.unreadable_positions} device cells unknown (empty, unreadable or outside 0-100 %)"
            )
        if self.sidecar is not None:
            lines.append(f"site time zone {self.timezone} kept for replays in {self.sidecar}")
        lines += [f"  skipped line {line}: {reason}" for line, reason in self.skipped_examples]
        if self.skipped > len(self.skipped_examples):
            lines.append(f"  ... and {self.skipped - len(self.skipped_examples)} more (see the log)")
        return "\n".join(lines)


class LocalClock:
    """Turns a logger's local wall-clock times into UTC, resolving the repeated fall-back hour by order."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._previous: datetime | None = None
        self._second_pass = False

    def to_utc(self, local: datetime) -> datetime:
        """UTC instant of ``local`` (naive); ``RowError`` for a time the DST jump skipped."""
        first = local.replace(tzinfo=self._zone, fold=0)
        second = local.replace(tzinfo=self._zone, fold=1)
        first_offset, second_offset = first.utcoffset(), second.utcoffset()
        if first_offset == second_offset:
            self._second_pass = False
            chosen = first
        elif first_offset is not None and second_offset is not None and first_offset < second_offset:
            raise RowError(
                f"local time {local} does not exist in {self._zone.key}: the clocks jumped over it"
            )
        else:
            if self._previous is not None and local < self._previous:
                self._second_pass = True  # the time went backwards: this is the repeated hour's second pass
            chosen = second if self._second_pass else first
        self._previous = local
        return chosen.astimezone(UTC)


@dataclass(frozen=True)
class _Columns:
    timestamp: int
    sensors: dict[SensorKey, tuple[int, str, Converter]]
    outside: dict[SensorKey, tuple[int, str, Converter]]
    devices: dict[str, tuple[int, str, bool]]
    """Device name -> (column index, column name, inverted)."""
    width: int


def _resolve_columns(header: list[str], mapping: CsvMapping, csv_path: Path) -> _Columns:
    names = [name.strip() for name in header]

    def index(column: str, key: str) -> int:
        if column.strip() not in names:
            shown = ", ".join(repr(n) for n in names)
            raise ConfigError(
                f"column {column!r} is not in the header of {csv_path} (it has {shown})", key=key
            )
        return names.index(column.strip())

    timestamp = index(mapping.timestamp_column, "timestamp_column")
    sensors = {
        key: (index(spec.column, f"sensors.{key.value}.column"), spec.column.strip(), mapping.converter(key))
        for key, spec in mapping.sensors.items()
    }
    outside = {
        key: (
            index(spec.column, f"outside.{key.value}.column"),
            spec.column.strip(),
            mapping.converter(key, outside=True),
        )
        for key, spec in mapping.outside.items()
    }
    devices = {
        name: (index(spec.column, f"devices.{name}.column"), spec.column.strip(), spec.invert)
        for name, spec in mapping.devices.items()
    }
    used = [timestamp, *(i for i, _, _ in sensors.values()), *(i for i, _, _ in outside.values())]
    width = 1 + max(used + [i for i, _, _ in devices.values()])
    return _Columns(timestamp=timestamp, sensors=sensors, outside=outside, devices=devices, width=width)


def _parse_local_time(text: str, timestamp_format: str) -> datetime:
    if timestamp_format == EXCEL_SERIAL:
        try:
            days = float(text)
        except ValueError:
            days = math.nan
        if not math.isfinite(days) or not 0 <= days < 2_958_466:  # 2958466 is 10000-01-01
            raise RowError(f"timestamp {text!r} is not a spreadsheet day number")
        return EXCEL_EPOCH + timedelta(seconds=round(days * 86_400.0))
    try:
        return datetime.strptime(text, timestamp_format)
    except ValueError:
        raise RowError(f"timestamp {text!r} does not match the format {timestamp_format!r}") from None


class _RowReader:
    """Turns one CSV row into an observation, counting unreadable values in ``summary``."""

    def __init__(self, mapping: CsvMapping, columns: _Columns, site_id: str, summary: ImportSummary) -> None:
        self._mapping = mapping
        self._columns = columns
        self._site_id = site_id
        self._summary = summary
        self._missing = frozenset(value.strip() for value in mapping.missing_values)
        self._clock = LocalClock(ZoneInfo(mapping.timezone))

    def timestamp_text(self, row: list[str]) -> str:
        if len(row) < self._columns.width:
            raise RowError(f"expected at least {self._columns.width} fields, found {len(row)}")
        return row[self._columns.timestamp].strip()

    def timestamp(self, text: str) -> datetime:
        local = _parse_local_time(text, self._mapping.timestamp_format)
        if local.tzinfo is not None:  # the format carried its own offset (%z)
            return local.astimezone(UTC)
        return self._clock.to_utc(local)

    def _number(self, raw: str, line: int, column: str) -> tuple[float | None, str | None]:
        """A cell's number, or ``None`` and why (missing, or unreadable: counted and logged)."""
        if raw in self._missing:
            return None, f"no value in source log ({raw or 'empty cell'})"
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self._summary.unreadable_values += 1
            log.warning("csv_value_unreadable", file=str(self._summary.csv_path), line=line, column=column)
            return None, f"unreadable value {raw[:40]!r} in column {column[:80]!r}"
        return number, None

    def _reading(
        self, row: list[str], line: int, cell: tuple[int, str, Converter]
    ) -> tuple[Reading, str | None]:
        index, column, convert = cell
        number, error = self._number(row[index].strip(), line, column)
        if number is None:
            return None, error
        converted = convert(number)
        return (number if converted == number else round(converted, 3)), None

    def observation(self, row: list[str], line: int, timestamp: datetime) -> ObservationV1:
        values: dict[str, Reading] = {}
        errors: dict[SensorKey, str] = {}
        for key in SENSOR_KEYS:
            values[key.value] = None
            if key not in self._columns.sensors:
                errors[key] = NOT_IN_SOURCE_LOG
                continue
            values[key.value], error = self._reading(row, line, self._columns.sensors[key])
            if error is not None:
                errors[key] = error
        outside = None
        if self._columns.outside:  # errors of outside cells are not sensor errors: a null says "not known"
            cells = self._columns.outside
            outside = OutsideReadings(
                **{
                    key.value: self._reading(row, line, cells[key])[0] if key in cells else None
                    for key in OUTSIDE_KEYS
                }
            )
        return ObservationV1(
            schema_version=OBSERVATION_SCHEMA_VERSION if outside is not None else "1.0",
            timestamp=timestamp,
            site_id=self._site_id,
            source=ObservationSource.REPLAY,
            sensors=SensorReadings(**values),
            errors=errors,
            outside=outside,
        )

    def device_status(self, row: list[str], line: int, timestamp: datetime) -> DeviceStatusV1 | None:
        """The row's device positions (``None`` without ``[devices]``); a bad cell is ``unknown``."""
        if not self._columns.devices:
            return None
        devices: dict[str, RelayState] = {}
        positions: dict[str, float] = {}
        for name, (index, column, invert) in self._columns.devices.items():
            number, _ = self._number(row[index].strip(), line, column)
            if number is not None and not 0.0 <= number <= 100.0:
                log.warning(
                    "csv_position_out_of_range",
                    file=str(self._summary.csv_path),
                    line=line,
                    column=column,
                    value=number,
                )
                number = None
            if number is None:
                self._summary.unreadable_positions += 1
                devices[name] = RelayState.UNKNOWN
                continue
            position = 100.0 - number if invert else number
            positions[name] = position
            devices[name] = RelayState.ON if position > 0.0 else RelayState.OFF
        return DeviceStatusV1(
            schema_version=DEVICE_STATUS_SCHEMA_VERSION,
            timestamp=timestamp,
            site_id=self._site_id,
            devices=devices,
            positions=positions,
        )


def iter_csv_observations(
    csv_path: Path, mapping: CsvMapping, summary: ImportSummary, *, site_id: str | None = None
) -> Iterator[ObservationV1]:
    """Yield one observation per good row of ``csv_path`` (:func:`iter_csv_records` without the statuses)."""
    for observation, _ in iter_csv_records(csv_path, mapping, summary, site_id=site_id):
        yield observation


def iter_csv_records(
    csv_path: Path, mapping: CsvMapping, summary: ImportSummary, *, site_id: str | None = None
) -> Iterator[tuple[ObservationV1, DeviceStatusV1 | None]]:
    """Yield one observation per good row of ``csv_path`` with its device status, strictly increasing in time.

    The status is ``None`` when the mapping names no devices.

    Raises ``SourceError`` if the file cannot be read at all and ``ConfigError``
    if a mapped column is not in its header or ``site_id`` is not a valid name;
    bad rows only count in ``summary``.
    """
    site = check_site_id(site_id or mapping.site_id)
    try:
        handle = csv_path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise SourceError(f"cannot read {csv_path}: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle, delimiter=mapping.delimiter)
        header = next(reader, None)
        if header is None:
            raise SourceError(f"{csv_path} is empty: expected a header line")
        rows = _RowReader(mapping, _resolve_columns(header, mapping, csv_path), site, summary)
        previous: datetime | None = None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            summary.rows_read += 1
            try:
                text = rows.timestamp_text(row)
                timestamp = rows.timestamp(text)
                if previous is not None and timestamp <= previous:
                    raise RowError(
                        f"time {text!r} ({timestamp.isoformat()}) is not after the previous row's: "
                        "duplicate or out of order"
                    )
                observation = rows.observation(row, reader.line_num, timestamp)
                status = rows.device_status(row, reader.line_num, timestamp)
            except (RowError, ValidationError) as exc:
                summary.skip(reader.line_num, str(exc).splitlines()[0])
                continue
            previous = timestamp
            yield observation, status


def import_csv(
    csv_path: os.PathLike[str] | str,
    mapping: CsvMapping,
    output: os.PathLike[str] | str,
    *,
    site_id: str | None = None,
    mapping_name: str | None = None,
) -> ImportSummary:
    """Convert ``csv_path`` into ObservationV1 JSONL at ``output``, written whole or not at all.

    Next to it goes its sidecar ``OUTPUT.meta.json``: the mapping's site zone (so a
    replay cuts the log into the site's local days), the mapping (``mapping_name``,
    as the user named it) and the site.
    """
    csv_path, output = Path(csv_path), Path(output)
    summary = ImportSummary(csv_path=csv_path, timezone=mapping.timezone)
    output.parent.mkdir(parents=True, exist_ok=True)
    statuses_path = device_status_path(output) if mapping.devices else None
    partial = output.with_name(output.name + ".partial")
    partial_statuses = statuses_path.with_name(statuses_path.name + ".partial") if statuses_path else None
    try:
        with partial.open("w", encoding="utf-8") as out, _open_or_none(partial_statuses) as statuses:
            for observation, status in iter_csv_records(csv_path, mapping, summary, site_id=site_id):
                out.write(observation.model_dump_json())
                out.write("\n")
                summary.written += 1
                summary.first = summary.first or observation.timestamp
                summary.last = observation.timestamp
                if status is not None and statuses is not None:
                    statuses.write(status.model_dump_json())
                    statuses.write("\n")
                    summary.device_statuses += 1
            for handle in (out, statuses):
                if handle is not None:
                    handle.flush()
                    os.fsync(handle.fileno())
        if partial_statuses is not None and statuses_path is not None:
            partial_statuses.replace(statuses_path)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
        if partial_statuses is not None:
            partial_statuses.unlink(missing_ok=True)
    meta: dict[str, object] = {
        "timezone": mapping.timezone,
        "mapping": mapping_name,
        "site_id": check_site_id(site_id or mapping.site_id),
        "source_csv": csv_path.name,
        "observations": summary.written,
    }
    if mapping.latitude is not None and mapping.longitude is not None:
        meta["latitude"], meta["longitude"] = mapping.latitude, mapping.longitude
    if statuses_path is not None:
        meta["device_status"] = statuses_path.name
        meta["device_kinds"] = {name: str(kind) for name, kind in mapping.device_kinds().items()}
    try:
        summary.sidecar = write_sidecar(output, meta)
    except StorageError as exc:  # the log is written; without its zone a replay would cut UTC days
        raise SourceError(f"wrote {output} but not its sidecar: {exc}") from exc
    log.info(
        "csv_imported",
        file=str(csv_path),
        output=str(output),
        rows_read=summary.rows_read,
        written=summary.written,
        skipped=summary.skipped,
        unreadable_values=summary.unreadable_values,
    )
    return summary


DEVICE_STATUS_SUFFIX = ".device_status.jsonl"
"""The device statuses of ``OUT.jsonl`` are ``OUT.device_status.jsonl`` (named in the sidecar)."""


def device_status_path(output: Path) -> Path:
    """Where ``import_csv`` writes the device statuses of the observations at ``output``."""
    return output.with_name(output.name.removesuffix(".jsonl") + DEVICE_STATUS_SUFFIX)


def _open_or_none(path: Path | None) -> contextlib.AbstractContextManager[TextIO | None]:
    return path.open("w", encoding="utf-8") if path is not None else contextlib.nullcontext()
