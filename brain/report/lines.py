"""A data root's records as ``brain status`` reads them: bounded reads of regular files, lines as JSON.

Why not the record models and brain.storage's reader: ``brain status`` runs every minute
under a monitoring plugin, often on a Pi, and importing :mod:`brain.contracts` (six pydantic
models) and :mod:`brain.storage` cost it ten times the interpreter's own start (issue 29,
``bench/status.py``). Every record was validated against its contract before the daemon
wrote it, so what a line must pass here is what damage on disk breaks: it is a JSON object
with an aware ISO 8601 ``timestamp``, and the few fields read have their types. A line that
fails is skipped, as the reader's ``SKIP`` policy does, and never logged (stdout is the
screen or the JSON a plugin parses; there is no log here at all).

The parsed lines are named tuples rather than dataclasses: creating a dataclass costs
about 0.4 ms at import, which five of them make a visible share of the budget.

Hostile files stay bounded (issue 24): only regular files are read (a part that is a FIFO is
never opened for reading with a blocking open, a symlink to ``/dev/zero`` or to a device is
refused after ``fstat``), and no read takes more than :data:`MAX_PART_BYTES` from one part,
compressed or not. (``brain.uplink.records`` reads lines the same way for the uplink; it is
not imported here because importing :mod:`brain.uplink` loads pydantic.)
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from brain.json_fields import aware_time, number
from brain.names import SensorKey
from brain.regular_files import open_regular_fd
from brain.stored_lines import json_object

TAIL_BYTES = 512 * 1024
"""Bytes read from the end of a part: about a day of 1-minute observations (360 bytes each)."""
MAX_PART_BYTES = 64 * 1024 * 1024
"""The most read from one part, and the most a compressed part may expand to: a day at 1-second polls
is about 31 MB of observations, so a real part is never cut; a hostile one costs at most this."""


def open_regular(path: Path) -> int | None:
    """A read-only descriptor of ``path`` if it is a regular file (after following links), else ``None``.

    :func:`brain.regular_files.open_regular_fd`, which never blocks on a FIFO; here anything
    unreadable is simply left out (``brain status`` reports what it can read).
    """
    try:
        return open_regular_fd(path)
    except OSError:
        return None


def _read_exactly(fd: int, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> tuple[bytes, bool]:
    """The last ``max_bytes`` (at most) of a part's content, and whether anything before them was left out.

    A ``.gz`` part is decompressed as a stream, keeping only the tail, and given up past
    :data:`MAX_PART_BYTES` of output (a gzip bomb); unreadable or not regular: ``(b"", False)``.
    """
    max_bytes = min(max_bytes, MAX_PART_BYTES)
    fd = open_regular(path)
    if fd is None:
        return b"", False
    try:
        size = os.fstat(fd).st_size
        if path.name.endswith(".gz"):
            return _gzip_tail(fd, min(size, MAX_PART_BYTES), max_bytes)
        start = max(0, size - max_bytes)
        os.lseek(fd, start, os.SEEK_SET)
        return _read_exactly(fd, size - start), start > 0
    except OSError:
        return b"", False
    finally:
        os.close(fd)


def _gzip_tail(fd: int, compressed: int, max_bytes: int) -> tuple[bytes, bool]:
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header; one member, as retention writes
    tail, produced, left = b"", 0, compressed
    while left > 0 and produced < MAX_PART_BYTES and not inflate.eof:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        left -= len(chunk)
        try:
            out = inflate.decompress(chunk, MAX_PART_BYTES - produced)
        except zlib.error:
            break
        produced += len(out)
        tail = (tail + out)[-max_bytes:]
    return tail, produced > len(tail)


def tail_lines(path: Path, max_bytes: int = TAIL_BYTES) -> list[bytes]:
    """The complete lines among the last ``max_bytes`` of a part.

    The first line of a cut tail may be partial and is dropped, and so is a last line
    without its newline (a write in progress, or a tail torn by a power cut).
    """
    data, cut = read_tail(path, max_bytes)
    complete = data.split(b"\n")[:-1]
    return complete[1:] if cut else complete


def count_lines(path: Path) -> int:
    """Newlines in a plain part, reading at most :data:`MAX_PART_BYTES`; 0 if it is not a regular file."""
    fd = open_regular(path)
    if fd is None:
        return 0
    total, left = 0, MAX_PART_BYTES
    try:
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            total += chunk.count(b"\n")
            left -= len(chunk)
    except OSError:
        pass
    finally:
        os.close(fd)
    return total


def _number(data: dict[str, Any], key: str, *, optional: bool = False) -> float | None:
    if data.get(key) is None and optional:
        return None
    return number(data, key)


SENSOR_NAMES: tuple[str, ...] = tuple(key.value for key in SensorKey)
"""The sensor keys as plain strings: readings are keyed by these (a ``SensorKey`` finds them too, being a
``StrEnum``), because hashing an enum member runs Python code and a day's tail is 7,200 readings."""


def _readings(data: dict[str, Any]) -> dict[str, float | None]:
    readings: dict[str, float | None] = {}
    for name in SENSOR_NAMES:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{name} must be a number or null, got {value!r}")
        readings[name] = value
    return readings


class TimedLine(NamedTuple):
    """Any record's line, of which only the time is read."""

    timestamp: datetime

    @classmethod
    def of(cls, line: bytes) -> TimedLine:
        """Parse one line; :class:`ValueError` if it is not a record."""
        return cls(aware_time(json_object(line), "timestamp"))


class ObservationLine(NamedTuple):
    """An ``observations`` line: its time and each sensor's reading (``None``: no value)."""

    timestamp: datetime
    sensors: dict[str, float | None]
    """Readings by sensor name (``air_temperature_c``); ``None``: no value."""

    @classmethod
    def of(cls, line: bytes) -> ObservationLine:
        """Parse one line; :class:`ValueError` (or a ``json`` error, a subclass) if it is not one."""
        data = json_object(line)
        sensors = data.get("sensors")
        if not isinstance(sensors, dict):
            raise ValueError("sensors must be an object")
        return cls(aware_time(data, "timestamp"), _readings(sensors))


class StateLine(NamedTuple):
    """A ``state`` line: the estimate's values, and the line itself for ``--json``."""

    timestamp: datetime
    values: dict[str, float | None]
    vpd_kpa: float | None
    dew_point_c: float | None
    confidence: float
    data: dict[str, Any]

    @classmethod
    def of(cls, line: bytes) -> StateLine:
        """Parse one line; :class:`ValueError` if it is not one."""
        data = json_object(line)
        confidence = _number(data, "confidence")
        assert confidence is not None  # not optional
        return cls(
            timestamp=aware_time(data, "timestamp"),
            values=_readings(data),
            vpd_kpa=_number(data, "vpd_kpa", optional=True),
            dew_point_c=_number(data, "dew_point_c", optional=True),
            confidence=confidence,
            data=data,
        )

    def get(self, key: str) -> float | None:
        """The estimate of one sensor's quantity (as ``StateV1.get``), by its ``SensorKey`` or name."""
        return self.values[key]


class Timed(Protocol):
    """A parsed line: it has its record's time."""

    @property
    def timestamp(self) -> datetime:
        """The record's own time."""
        ...


L = TypeVar("L", bound=Timed)


def parse_lines(
    lines: Iterable[bytes], parse: Callable[[bytes], L], until: datetime | None = None
) -> list[L]:
    """The lines that ``parse`` accepts, in order, up to ``until`` (inclusive) when given."""
    records = []
    for line in lines:
        try:
            record = parse(line)
        except (ValueError, TypeError):
            continue
        if until is None or record.timestamp <= until:
            records.append(record)
    return records
