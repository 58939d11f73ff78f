"""How far the uplink is behind the daemon, read from the cursor files alone (for ``brain status``).

``uplink_lag(data_root)`` needs no broker and no running uplink: it compares the
MQTT cursors (``DATA_ROOT/uplink/mqtt.<stream>.cursor.json``, format in
:mod:`brain.uplink.cursor`) with the parts on disk. Example::

    >>> lag = uplink_lag(Path("/var/lib/brain"))
    >>> lag["observations"].pending_bytes, lag["observations"].lag_s
    (0, 0.0)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brain.uplink.cursor import CURSOR_DIR, MQTT_CONSUMER, read_cursor
from brain.uplink.follow import UNREADABLE, Part, PartIndex, open_part

_TAIL = 64 * 1024


@dataclass(frozen=True)
class StreamLag:
    """One stream's delivery backlog."""

    stream: str
    pending_bytes: int
    """Bytes of records on disk that the broker has not acknowledged (uncompressed)."""
    next_seq: int | None
    """Sequence number of the next record to deliver; ``None`` without a cursor (nothing delivered yet)."""
    last_delivered: datetime | None
    """Timestamp of the last record the broker acknowledged."""
    newest_written: datetime | None
    """Timestamp of the newest record on disk."""
    cursor_updated_at: datetime | None
    """When the cursor was last written."""
    error: str | None = None
    """Why the cursor could not be read (the uplink sets a corrupt one aside when it starts)."""

    @property
    def lag_s(self) -> float | None:
        """Seconds of record time not yet delivered: 0 when nothing is pending, ``None`` if unknown."""
        if self.pending_bytes == 0:
            return 0.0
        if self.newest_written is None or self.last_delivered is None:
            return None
        return max(0.0, (self.newest_written - self.last_delivered).total_seconds())


def uplink_lag(data_root: Path) -> dict[str, StreamLag]:
    """The lag of every stream that has parts on disk or an MQTT cursor, by stream name."""
    index = PartIndex(data_root, track_sizes=False)
    index.refresh(full=True)
    cursor_dir = data_root / CURSOR_DIR
    streams = index.streams()
    if cursor_dir.is_dir():
        prefix, suffix = f"{MQTT_CONSUMER}.", ".cursor.json"
        streams |= {
            path.name[len(prefix) : -len(suffix)]
            for path in cursor_dir.iterdir()
            if path.name.startswith(prefix) and path.name.endswith(suffix)
        }
    return {stream: _stream_lag(index, cursor_dir, stream) for stream in sorted(streams)}


def _stream_lag(index: PartIndex, cursor_dir: Path, stream: str) -> StreamLag:
    error = None
    try:
        cursor = read_cursor(cursor_dir / f"{MQTT_CONSUMER}.{stream}.cursor.json")
    except (ValueError, OSError) as exc:
        cursor, error = None, str(exc)
    parts = index.parts(stream)
    pending = 0
    for part in parts:
        if cursor is not None and cursor.is_sealed(part.key, part.compressed):
            continue  # delivered to its end: not even its size is read
        try:
            size = index.content_size(part)
        except OSError:
            continue
        done = cursor.files.get(part.key) if cursor is not None else None
        pending += max(0, size - (done.offset if done is not None else 0))
    updated = None
    if cursor is not None:
        try:
            raw = json.loads((cursor_dir / f"{MQTT_CONSUMER}.{stream}.cursor.json").read_bytes())
            updated = datetime.fromisoformat(raw["updated_at"])
        except (OSError, ValueError, KeyError, TypeError):
            updated = None  # rewritten since, or hand-edited: the lag itself does not need it
    return StreamLag(
        stream=stream,
        pending_bytes=pending,
        next_seq=cursor.next_seq if cursor is not None else None,
        last_delivered=_parse(cursor.last_timestamp) if cursor is not None else None,
        newest_written=_newest_timestamp(parts[-1]) if parts else None,
        cursor_updated_at=updated,
        error=error,
    )


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _newest_timestamp(part: Part) -> datetime | None:
    """The timestamp of the last complete line of ``part``, reading at most its last 64 KB of content.

    A regular file only (:func:`brain.uplink.follow.open_part`: a FIFO or a device named like a
    part is refused, never waited on or read without end); a ``.gz`` is decompressed in chunks,
    keeping only the last ``_TAIL`` bytes.
    """
    try:
        with open_part(part) as handle:
            if part.compressed:
                tail = b""
                while chunk := handle.read(_TAIL):
                    tail = (tail + chunk)[-_TAIL:]
            else:
                handle.seek(max(0, handle.seek(0, 2) - _TAIL))
                tail = handle.read(_TAIL)
    except UNREADABLE:
        return None
    for line in reversed(tail.split(b"\n")):
        try:
            value = json.loads(line)["timestamp"]
            return datetime.fromisoformat(value)
        except (ValueError, KeyError, TypeError):
            continue
    return None
