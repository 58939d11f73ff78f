"""What made a data root, for the people reading it: its manifest.

``DATA_ROOT/manifest.json`` (docs/storage.md, "The manifest") is read through
:func:`brain.storage.read_manifest`; its ``identity.timezone`` is the zone the writer
cut days in, so reports use it first. One that cannot be read is shown as absent: a
status screen must not fail on it (the daemon refuses to start on it). The uplink's
lag comes from :func:`brain.uplink.uplink_lag`.
"""

from __future__ import annotations

import json
from pathlib import Path

from brain.storage import ManifestError
from brain.storage import read_manifest as stored_manifest


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


def _read_object(path: Path) -> dict[str, object] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None
