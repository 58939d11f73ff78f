"""What made a data root, for the people reading it: its manifest.

``DATA_ROOT/manifest.json`` (docs/storage.md, "The manifest") is read as plain JSON with
the checks of :func:`brain.storage.read_manifest` (an object with an ``identity`` object, a
``manifest_version`` this brain knows), without importing :mod:`brain.storage` (the writer,
the reader and the record models: most of ``brain status``'s start-up, issue 29). Its
``identity.timezone`` is the zone the writer cut days in. One that cannot be read is shown as
absent: a status screen must not fail on it (the daemon refuses to start on it).
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

from brain.layout import run_date
from brain.report.lines import open_regular

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
"""The manifest schema this brain reads (``brain.storage.manifest.MANIFEST_VERSION``, checked by a test)."""
MAX_MANIFEST_BYTES = 1024 * 1024
"""A manifest is a few kB; a larger file is not one (and is not read)."""


def read_manifest(data_root: Path) -> dict[str, object] | None:
    """The manifest, or ``None`` when the folder has none or it cannot be read.

    Cannot be read: not a regular file, not JSON, no ``identity`` object, a newer
    ``manifest_version``, larger than :data:`MAX_MANIFEST_BYTES`.
    """
    fd = open_regular(data_root / MANIFEST_NAME)
    if fd is None:
        return None
    try:
        text = os.read(fd, MAX_MANIFEST_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        manifest = json.loads(text) if len(text) <= MAX_MANIFEST_BYTES else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("identity"), dict):
        return None
    version = manifest.get("manifest_version")
    if isinstance(version, bool) or not isinstance(version, int) or version > MANIFEST_VERSION:
        return None
    return manifest


def manifest_timezone(manifest: dict[str, object] | None) -> str | None:
    """The zone name the manifest's identity records, if any."""
    identity = manifest.get("identity") if manifest is not None else None
    found = identity.get("timezone") if isinstance(identity, dict) else None
    return found if isinstance(found, str) else None


_SUMMARY_SKIPS = {"thresholds_sha256", "devices"}
"""Identity fields a person does not read: a hash, and the relay list the status shows anyway."""


def manifest_summary(manifest: dict[str, object]) -> list[tuple[str, str]]:
    """What made the folder as ``(key, text)`` pairs: the run's identity, then its starts."""
    identity = manifest.get("identity")
    pairs = [
        (str(key), ", ".join(map(str, value)) or "(none)" if isinstance(value, list) else str(value))
        for key, value in (identity.items() if isinstance(identity, dict) else ())
        if key not in _SUMMARY_SKIPS
    ]
    for key in ("first_start", "last_start"):
        start = manifest.get(key)
        if isinstance(start, dict):
            pairs.append((key.replace("_", " "), f"{start.get('at')} (brain {start.get('brain_version')})"))
    pairs.append(("starts", str(manifest.get("starts"))))
    return pairs


def dated_runs(data_root: Path) -> list[tuple[date, Path]]:
    """Every run directory with the date it holds, oldest first (one ``scandir``, no stat per entry)."""
    try:
        with os.scandir(data_root) as entries:
            paths = [Path(entry.path) for entry in entries if entry.is_dir()]
    except OSError:
        return []
    dated = [(run_date(path), path) for path in paths]
    return sorted((day, path) for day, path in dated if day is not None)


def days_held(data_root: Path) -> str:
    """The days ``data_root``'s run folders hold, in words: ``2026-06-01 to 2026-06-07, 2026-07-01``.

    Said when a report or an export finds nothing for the days asked (exit 65), so the next
    command can ask for days that are there. Consecutive days are joined into ranges.
    """
    days = [day for day, _ in dated_runs(data_root)]
    if not days:
        return "no run folders (run_YYYYMMDD) at all"
    ranges: list[list[date]] = []
    for day in days:
        if ranges and day - ranges[-1][-1] == timedelta(days=1):
            ranges[-1].append(day)
        else:
            ranges.append([day])
    shown = [f"{r[0]}" if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in ranges]
    if len(shown) > 6:
        shown = [*shown[:3], f"... ({len(shown) - 6} more ranges)", *shown[-3:]]
    return f"{len(days)} day{'s' * (len(days) != 1)} of run folders: {', '.join(shown)}"
