"""How far the uplink is behind, read from its cursor files as plain JSON, defensively.

Why not :func:`brain.uplink.lag.uplink_lag`: importing it loads pydantic and
structlog, most of ``brain status``'s start-up (issue 29); and the cursor is the uplink's
own file, whose format may change under a status check that must never crash on it (a
traceback is exit 1, WARNING to Nagios). So only two fields are read: the time of the last
record the broker acknowledged (``last_timestamp``), whose unexpected value, like a file that
is not JSON or not a regular one, makes that stream's lag "unknown" with the reason; and
``lost`` (format 2: parts and bytes retention deleted before they were delivered, issue 24),
shown beside the lag so that a loss is never hidden behind "0 s behind" (an odd ``lost`` is
read as none: the journal's ``uplink_records_lost_to_retention`` has it too).
``tests/report/test_status.py`` checks the names here against :mod:`brain.uplink.cursor`.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from brain.layout import parse_part_name, stream_parts
from brain.report.lines import TimedLine, open_regular, parse_lines, tail_lines

CURSOR_DIR = "uplink"
"""``DATA_ROOT/uplink/``: the uplink's cursors (``brain.uplink.cursor.CURSOR_DIR``)."""
MQTT_PREFIX, CURSOR_SUFFIX = "mqtt.", ".cursor.json"
"""``mqtt.<stream>.cursor.json``: the MQTT delivery's cursor of one stream."""
MAX_CURSOR_BYTES = 1024 * 1024
"""A cursor larger than this is not read (the uplink keeps them to a few kB)."""


class UplinkLag(NamedTuple):
    """How far the uplink is behind the newest record of one stream."""

    stream: str
    lag: timedelta | None
    """``None`` when it cannot be told (nothing delivered yet, or the cursor unreadable)."""
    error: str | None = None
    lost_parts: int = 0
    """Parts retention deleted before the uplink delivered them, since its cursor began."""
    lost_bytes: int = 0


class CursorFacts(NamedTuple):
    """What status reads of one cursor file."""

    last_delivered: datetime | None
    lost_parts: int = 0
    lost_bytes: int = 0


def uplink_lags(data_root: Path, recent_newest_first: list[Path], now: datetime) -> list[UplinkLag]:
    """Per stream, the uplink's lag at ``now``; none where no uplink ever ran (no ``uplink/``)."""
    cursor_dir = data_root / CURSOR_DIR
    try:
        with os.scandir(cursor_dir) as entries:
            names = [entry.name for entry in entries]
    except OSError:
        return []
    streams = {
        name[len(MQTT_PREFIX) : -len(CURSOR_SUFFIX)]
        for name in names
        if name.startswith(MQTT_PREFIX) and name.endswith(CURSOR_SUFFIX)
    }
    for run in recent_newest_first[:1]:
        try:
            with os.scandir(run) as entries:
                streams |= {parsed[0] for entry in entries if (parsed := parse_part_name(entry.name))}
        except OSError:
            continue
    lags = []
    for stream in sorted(streams):
        newest = _newest_time(recent_newest_first, stream, now)
        lags.append(_lag(cursor_dir / f"{MQTT_PREFIX}{stream}{CURSOR_SUFFIX}", stream, newest))
    return lags


def _lag(cursor: Path, stream: str, newest: datetime | None) -> UplinkLag:
    if not cursor.exists():
        return UplinkLag(stream, None if newest is not None else timedelta(0))
    try:
        delivered, lost_parts, lost_bytes = read_cursor_facts(cursor)
    except ValueError as exc:
        return UplinkLag(stream, None, str(exc))
    if delivered is None:
        lag = None if newest is not None else timedelta(0)
    elif newest is None or newest <= delivered:
        lag = timedelta(0)
    else:
        lag = newest - delivered
    return UplinkLag(stream, lag, None, lost_parts, lost_bytes)


def last_delivered(cursor: Path) -> datetime | None:
    """The cursor's ``last_timestamp`` (``None``: nothing delivered yet); :class:`ValueError` says why not."""
    return read_cursor_facts(cursor).last_delivered


def read_cursor_facts(cursor: Path) -> CursorFacts:
    """``last_timestamp`` and ``lost`` of a cursor file; :class:`ValueError` says why it cannot be read."""
    fd = open_regular(cursor)
    if fd is None:
        raise ValueError(f"cannot read {cursor.name}: not a readable regular file")
    try:
        size = os.fstat(fd).st_size
        if size > MAX_CURSOR_BYTES:
            raise ValueError(f"{cursor.name} is {size:,} bytes: not a cursor")
        text = os.read(fd, MAX_CURSOR_BYTES)
    except OSError as exc:
        raise ValueError(f"cannot read {cursor.name}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError(f"{cursor.name} is not JSON") from None
    if not isinstance(document, dict):
        return CursorFacts(None)
    lost_parts, lost_bytes = _lost(document.get("lost"))
    value = document.get("last_timestamp")
    if value is None:
        return CursorFacts(None, lost_parts, lost_bytes)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{cursor.name}: last_timestamp is not an ISO 8601 time with offset: {value!r:.40}")
    return CursorFacts(moment, lost_parts, lost_bytes)


def _lost(value: object) -> tuple[int, int]:
    """``lost``'s parts and bytes when both are counts (format 1 has none: nothing lost known)."""
    if not isinstance(value, dict):
        return 0, 0
    parts, size = value.get("parts", 0), value.get("bytes", 0)
    counts = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (parts, size))
    return (parts, size) if counts else (0, 0)


def _newest_time(runs_newest_first: list[Path], stream: str, now: datetime) -> datetime | None:
    """The time of the newest record of ``stream`` up to ``now``, from the tail of its newest part."""
    for run in runs_newest_first:
        for part in reversed(stream_parts(run, stream)):
            records = parse_lines(tail_lines(part.path, 64 * 1024), TimedLine.of, now)
            if records:
                return records[-1].timestamp
    return None
