"""Fields of a stored record read as plain JSON: an aware time, a number, a text.

Why this exists beside the contracts: the tools that run every minute on a Pi (``brain
status``, ``brain uplink``) read lines as JSON without loading the pydantic record models
(their start-up and memory budgets, issues 19 and 29), and each needs the same three checks
with the same messages. One definition here; :mod:`brain.stored_lines`,
:mod:`brain.report.lines`, :mod:`brain.uplink.records` and :mod:`brain.advice` use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def aware_time(data: Mapping[str, Any], key: str) -> datetime:
    """``data[key]`` as an ISO 8601 time with a UTC offset (as every record time is stored).

    :class:`ValueError` otherwise, naming the key: ``"2026-06-01T12:00:00+00:00"`` reads,
    ``"2026-06-01T12:00:00"`` (no offset) and ``1717243200`` do not.
    """
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be an ISO 8601 time with offset, got {value!r}")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{key} has no UTC offset: {value!r}")
    return moment


def number(data: Mapping[str, Any], key: str) -> float:
    """``data[key]`` as a float; :class:`ValueError` for anything but an int or a float (``true`` too)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, got {value!r}")
    return float(value)


def text(data: Mapping[str, Any], key: str) -> str:
    """``data[key]`` as a string; :class:`ValueError` otherwise."""
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value
