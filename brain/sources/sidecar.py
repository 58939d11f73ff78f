"""What a replay input says about itself: an imported log's sidecar, or the manifest of a data root.

Why: the day a record belongs to is a site-local day, and a log's site zone is
known where the log was made (a CSV mapping's ``timezone``, the ``timezone`` a
brain daemon ran with) but not in the records, which carry UTC or an offset. An
imported Ohio log replayed without its zone was cut into UTC days: a record of
2024-06-24 23:30 EDT landed in ``run_20240625``. So ``brain import-csv`` writes
the zone next to its output, and a replay reads it back.

The sidecar of ``OUT.jsonl`` is ``OUT.jsonl.meta.json``, a small JSON object
(docs/sources.md, "The sidecar")::

    {"sidecar_version": 1, "timezone": "America/New_York", "mapping": "osu2024",
     "site_id": "osu2024-reference", "source_csv": "osu2024_tomato_reference_environment.csv",
     "observations": 41713, "device_status": "osu.device_status.jsonl",
     "device_kinds": {"vent_lee": "ventilation", "energy_screen": "energy_screen", ...}}

``device_kinds`` (where the mapping imports device columns) names the advisor's kind of each
device, so that a replay advises on the log's own devices without an ``[advisor.devices]``
section (:func:`replay_input_device_kinds`).

A separate file and not a first comment line: every JSONL reader (brain's, ``jq``,
pandas) goes on reading the log as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain.errors import ConfigError
from brain.names import DeviceKind
from brain.storage import ManifestError, manifest_path, read_manifest, replace_file
from brain.storage.dataset import run_date
from brain.timezones import known_time_zone

SIDECAR_SUFFIX = ".meta.json"
"""Appended to a log's file name: ``osu.jsonl`` -> ``osu.jsonl.meta.json``."""
SIDECAR_VERSION = 1


@dataclass(frozen=True)
class InputZone:
    """The site time zone a replay input carries, and the file that said so."""

    zone: str
    """IANA name, e.g. ``"America/New_York"``."""
    told_by: Path
    """The sidecar or manifest it was read from."""


def sidecar_path(log: Path) -> Path:
    """Where the sidecar of ``log`` is (whether or not it exists)."""
    log = Path(log)
    return log.with_name(log.name + SIDECAR_SUFFIX)


def write_sidecar(log: Path, meta: Mapping[str, Any]) -> Path:
    """Write ``meta`` (with ``sidecar_version``) as ``log``'s sidecar, atomically; return its path."""
    path = sidecar_path(log)
    text = json.dumps({"sidecar_version": SIDECAR_VERSION, **meta}, indent=2, ensure_ascii=False) + "\n"
    replace_file(path, text.encode("utf-8"))
    return path


def read_sidecar(log: Path) -> dict[str, Any] | None:
    """``log``'s sidecar, or ``None`` if it has none; ``ConfigError`` naming the file if it cannot be read."""
    path = sidecar_path(log)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the sidecar of {log}: {exc}", file=str(path)) from exc
    if not isinstance(meta, dict):
        raise ConfigError(f"the sidecar of {log} is not a JSON object", file=str(path))
    return meta


def replay_input_zone(path: Path) -> InputZone | None:
    """The site zone ``path`` (a file, a run directory or a data root) carries, or ``None``.

    A file: its sidecar; else, for a part file inside a ``run_YYYYMMDD`` directory,
    the manifest of that data root. A folder: its manifest, or its parent's for a
    run directory. A zone that is not a known IANA name is a ``ConfigError``.
    """
    path = Path(path)
    if path.is_file():
        meta = read_sidecar(path)
        if meta is not None and "timezone" in meta:
            return _checked(meta["timezone"], sidecar_path(path))
        if run_date(path.parent) is None:
            return None
        data_root = path.parent.parent
    elif path.is_dir():
        data_root = path.parent if run_date(path) is not None else path
    else:  # a FIFO or a device: the replay refuses it, nothing here may open it
        return None
    try:
        manifest = read_manifest(data_root)
    except ManifestError as exc:
        raise ConfigError(str(exc), file=str(manifest_path(data_root))) from exc
    if manifest is None or "timezone" not in manifest["identity"]:
        return None
    return _checked(manifest["identity"]["timezone"], manifest_path(data_root))


def _checked(zone: object, told_by: Path) -> InputZone:
    try:
        return InputZone(known_time_zone(str(zone)), told_by)
    except ValueError as exc:
        raise ConfigError(f"{exc} in {told_by}", key="timezone", file=str(told_by)) from exc


@dataclass(frozen=True)
class InputPlace:
    """The site's latitude and longitude an imported log's sidecar carries, and the sidecar."""

    latitude: float
    longitude: float
    told_by: Path


def replay_input_place(path: Path) -> InputPlace | None:
    """The site's place an imported log's sidecar names (its mapping's), or ``None`` (no sidecar, or none).

    A place that is not two numbers in range is a ``ConfigError`` naming the sidecar and the key.
    """
    path = Path(path)
    meta = read_sidecar(path) if path.is_file() else None
    if meta is None or ("latitude" not in meta and "longitude" not in meta):
        return None
    told_by = sidecar_path(path)
    latitude, longitude = meta.get("latitude"), meta.get("longitude")
    for key, value, bound in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            raise ConfigError(
                f"{key} in {told_by} must be a number from {-bound:g} to {bound:g} (got {value!r})",
                key=key,
                file=str(told_by),
            )
    assert isinstance(latitude, int | float) and isinstance(longitude, int | float)  # checked just above
    return InputPlace(float(latitude), float(longitude), told_by)


@dataclass(frozen=True)
class InputDevices:
    """The device kinds a replay input's sidecar names, and the sidecar that said so."""

    kinds: dict[str, DeviceKind]
    told_by: Path


def replay_input_device_kinds(path: Path) -> InputDevices | None:
    """The device kinds an imported log's sidecar names, or ``None`` (no sidecar, or none named).

    A kind brain does not know is a ``ConfigError`` naming the sidecar and the key
    (``device_kinds.vent_lee``), as the same mistake in ``[advisor.devices]`` is.
    """
    path = Path(path)
    if not path.is_file():
        return None
    meta = read_sidecar(path)
    kinds = None if meta is None else meta.get("device_kinds")
    if not kinds:
        return None
    told_by = sidecar_path(path)
    if not isinstance(kinds, dict):
        raise ConfigError(
            f"device_kinds in {told_by} is not a JSON object", key="device_kinds", file=str(told_by)
        )
    checked: dict[str, DeviceKind] = {}
    for name, kind in kinds.items():
        try:
            checked[name] = DeviceKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in DeviceKind)
            raise ConfigError(
                f"unknown device kind {kind!r} for {name} in {told_by} (known: {known})",
                key=f"device_kinds.{name}",
                file=str(told_by),
            ) from None
    return InputDevices(checked, told_by)
