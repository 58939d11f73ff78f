"""What else lives in a data root besides the runs: the manifest and the uplink's cursors.

Both are written by other parts of brain (the manifest by the daemon at a folder's first run,
the cursors by the uplink); here they are read as plain JSON and every field is optional, so
a folder written before either existed, or by a newer brain, is still shown.

- ``DATA_ROOT/manifest.json``: what made the folder (docs/storage.md, "The manifest"),
  read through :func:`brain.storage.read_manifest`; its ``identity.timezone`` is the zone
  the writer cut days in, so reports use it first. One that cannot be read is shown as
  absent: a status screen must not fail on it (the daemon refuses to start on it).
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

from brain.storage import ManifestError
from brain.storage import read_manifest as stored_manifest

UPLINK_CURSORS = Path(".uplink") / "cursors"
"""Where the uplink keeps one cursor file per stream, relative to the data root."""

_TIME_KEY_SUFFIXES = ("_timestamp", "_at", "_until")


def read_manifest(data_root: Path) -> dict[str, object] | None:
    """The manifest, or ``None`` when the folder has none or it cannot be read."""
    try:
        return stored_manifest(data_root)
    except ManifestError:
        return None


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
