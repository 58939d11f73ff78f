"""A data root's manifest: one plain JSON file saying which run the folder holds.

Why: a restart of the same run appends to its data root (recovery skips what is
stored), so a *different* run written into the same folder used to be skipped or
mixed without a word (a heatwave run after ``make simulate`` said ``nothing_to_do``;
a second replayed log was skipped whole). The manifest, written at the first start
and updated at each start, lets the daemon tell "the same run again" from "another
run", and lets any reader (``jq``, a status tool) learn what made the folder without
brain's code.

Storage knows nothing of the settings: the caller hands in the run's ``identity``
(what must match for a restart to continue the folder) and ``details`` (recorded,
free to change between starts) as plain mappings, and compares identities with
:func:`identity_differences`. The schema is in docs/storage.md ("The manifest")::

    {
      "manifest_version": 1,
      "identity": {"source": "synthetic", "site_id": "greenhouse-1", ...},
      "details": {"duration_hours": 24.0, ...},
      "first_start": {"at": "2026-...Z", "brain_version": "0.1.0", "adopted": false},
      "last_start": {"at": "2026-...Z", "brain_version": "0.1.0"},
      "starts": 2,
      "identity_changes": []
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from brain.errors import StorageError
from brain.storage.durable import replace_file

MANIFEST_NAME = "manifest.json"
"""The manifest's file name, directly in the data root (next to the ``run_YYYYMMDD`` directories)."""
MANIFEST_VERSION = 1
"""The version of the manifest's own schema; a newer one is refused rather than misread."""

ABSENT = "(absent)"
"""Stands for a key one identity has and the other lacks, in a :class:`Difference`."""


class ManifestError(StorageError):
    """A manifest that cannot be read or understood; the message names the file and the reason."""


class Difference(NamedTuple):
    """One identity key whose value in the folder's manifest differs from this run's."""

    key: str
    recorded: Any
    current: Any


def manifest_path(data_root: Path) -> Path:
    """Where the manifest of ``data_root`` lives."""
    return Path(data_root) / MANIFEST_NAME


def read_manifest(data_root: Path) -> dict[str, Any] | None:
    """The manifest of ``data_root``, or ``None`` if it has none (a fresh folder, or an earlier brain's).

    Raises :class:`ManifestError` for a manifest that is not a JSON object, lacks
    ``identity`` or was written by a newer schema than this brain knows.
    """
    path = manifest_path(data_root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("identity"), dict):
        raise ManifestError(f"{path} is not a brain manifest: no 'identity' object")
    version = manifest.get("manifest_version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise ManifestError(
            f"{path} has manifest_version {version!r}; this brain reads version {MANIFEST_VERSION} "
            "(written by a newer brain?)"
        )
    return manifest


def write_manifest(data_root: Path, manifest: Mapping[str, Any], *, durable: bool = True) -> Path:
    """Write ``manifest`` atomically (temporary file, fsync, rename, fsync the directory); return its path."""
    path = manifest_path(data_root)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    replace_file(path, text.encode("utf-8"), durable=durable)
    return path


def identity_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[Difference]:
    """Every key whose value differs between two identities, in ``current``'s key order then ``recorded``'s.

    Values are compared as JSON would hold them, so a tuple equals a list and a
    value read back from the file equals the one that was written.
    """
    differences = []
    for key in dict.fromkeys([*current, *recorded]):
        before = _as_json(recorded.get(key, ABSENT))
        after = _as_json(current.get(key, ABSENT))
        if before != after:
            differences.append(Difference(key, before, after))
    return differences


def manifest_at_start(
    previous: Mapping[str, Any] | None,
    identity: Mapping[str, Any],
    details: Mapping[str, Any],
    *,
    at: datetime,
    brain_version: str,
    adopted: bool = False,
) -> dict[str, Any]:
    """The manifest after a start: ``previous`` (``None`` on a first start) with this start recorded.

    The first start is kept; an identity that differs from ``previous``'s (a run
    continued deliberately) replaces it, and the old one is kept in
    ``identity_changes`` with the time and the keys that changed. ``adopted`` marks
    a first manifest written for a folder that already held records.
    """
    start = {"at": at.isoformat(), "brain_version": brain_version}
    identity = _as_json(identity)
    if previous is None:
        return {
            "manifest_version": MANIFEST_VERSION,
            "identity": identity,
            "details": _as_json(details),
            "first_start": {**start, "adopted": adopted},
            "last_start": start,
            "starts": 1,
            "identity_changes": [],
        }
    changes = list(previous.get("identity_changes", []))
    changed = identity_differences(previous["identity"], identity)
    if changed:
        changes.append(
            {"at": start["at"], "changed": [d.key for d in changed], "previous": previous["identity"]}
        )
    return {
        "manifest_version": MANIFEST_VERSION,
        "identity": identity,
        "details": _as_json(details),
        "first_start": previous.get("first_start", start),
        "last_start": start,
        "starts": int(previous.get("starts", 0)) + 1,
        "identity_changes": changes,
    }


def _as_json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, paths strings)."""
    return json.loads(json.dumps(value, default=str))
