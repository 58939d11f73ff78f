"""What else lives in a data root besides the runs: the manifest and the uplink's cursors.

Both are written by other parts of brain (the manifest by the daemon at a folder's first run,
the cursors by the uplink); here they are read as plain JSON and every field is optional, so
a folder written before either existed, or by a newer brain, is still shown.

- ``DATA_ROOT/manifest.json``: one JSON object saying what made the folder (source, site,
  time zone, brain version, ...). Its ``timezone`` (or ``site.timezone``) is the zone the
  writer cut days in, so reports use it first.
- ``DATA_ROOT/.uplink/cursors/<name>.json``: one JSON object per followed stream. The
  lag is measured from the newest timestamp found in it (any key named ``timestamp`` or
  ending in ``_timestamp``, ``_at`` or ``_until``); a cursor without one is listed with
  an unknown lag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

MANIFEST_NAME = "manifest.json"
UPLINK_CURSORS = Path(".uplink") / "cursors"
"""Where the uplink keeps one cursor file per stream, relative to the data root."""

_TIME_KEY_SUFFIXES = ("_timestamp", "_at", "_until")


def read_manifest(data_root: Path) -> dict[str, object] | None:
    """The manifest as a JSON object, or ``None`` when absent, unreadable or not an object."""
    return _read_object(data_root / MANIFEST_NAME)


def manifest_timezone(manifest: dict[str, object] | None) -> str | None:
    """The zone name the manifest records (``timezone`` or ``site.timezone``), if any."""
    if manifest is None:
        return None
    found = manifest.get("timezone")
    site = manifest.get("site")
    if found is None and isinstance(site, dict):
        found = site.get("timezone")
    return found if isinstance(found, str) else None


def manifest_summary(manifest: dict[str, object]) -> list[tuple[str, str]]:
    """The manifest's scalar fields as ``(key, text)`` pairs, nested objects flattened with dots."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key in value:
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, list):
            pairs.append((prefix, ", ".join(str(item) for item in value) or "(none)"))
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    walk("", manifest)
    return pairs


@dataclass(frozen=True)
class UplinkCursor:
    """One uplink cursor: its name (the file stem) and the newest record time it has passed."""

    name: str
    position: datetime | None


def uplink_cursors(data_root: Path) -> list[UplinkCursor]:
    """Every cursor file under ``DATA_ROOT/.uplink/cursors``, by name; empty where no uplink runs."""
    folder = data_root / UPLINK_CURSORS
    if not folder.is_dir():
        return []
    cursors = []
    for path in sorted(folder.glob("*.json")):
        document = _read_object(path)
        cursors.append(UplinkCursor(path.stem, _newest_time(document) if document else None))
    return cursors


def _newest_time(document: dict[str, object]) -> datetime | None:
    times = []
    for key, value in document.items():
        if not isinstance(value, str):
            continue
        if key != "timestamp" and not key.endswith(_TIME_KEY_SUFFIXES):
            continue
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            times.append(moment)
    return max(times, default=None)


def _read_object(path: Path) -> dict[str, object] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None
