"""A stored line as the uplink reads it: JSON and the few fields it acts on, not the record models.

Why not :mod:`brain.contracts`: importing it builds all six pydantic record models, and
with them ``brain uplink`` missed its 40 MB memory budget (docs/performance.md). The
uplink publishes each line exactly as stored, so what it must know of a line is
little: that it is a record at all (a JSON object with an aware ISO 8601
``timestamp``: what freshness and the cursor's "last delivered" need), and for the
anomaly and sensor health streams the fields that open and close episodes and raise
alerts (:class:`AnomalyLine`, :class:`HealthLine`). Every record was validated
against its contract before the daemon wrote it, so a line that fails these checks
is damage on disk, which they catch; a line that passes them is what the daemon
wrote. A check failing raises :class:`ValueError` with the reason, and the line is
logged and skipped (``uplink_malformed_line``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brain.json_fields import aware_time
from brain.stored_lines import AnomalyLine, HealthLine, json_object

__all__ = ["AnomalyLine", "HealthLine", "Record", "read_record"]


@dataclass(frozen=True)
class Record:
    """One stored line, parsed: its fields and its own time."""

    data: dict[str, Any]
    timestamp: datetime


def read_record(line: bytes) -> Record:
    """The record of one stored line; :class:`ValueError` if it is not a JSON object with a ``timestamp``."""
    data = json_object(line)
    return Record(data, aware_time(data, "timestamp"))
