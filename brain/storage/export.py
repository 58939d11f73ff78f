"""The public subset: a copy of brain's logs that can be shared without naming the site.

Why a whitelist and not a blacklist: a field added to a contract later is
private until someone decides otherwise, so a new field can never leak by
default. What is dropped, and why (docs/storage.md, "Public export"):

- ``site_id`` everywhere (also inside a state's device status): it names the greenhouse;
- ``errors`` of observations: free text from drivers (bus addresses, hostnames, paths);
- ``message`` of anomalies and ``reason`` of actions: free text; the structured
  fields next to them (kind, metric, value, threshold, action type) carry the same facts.

Exported lines are not contracts any more (``site_id`` is required there); they are
plain JSON objects with the whitelisted keys, in the contract's key order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from brain.contracts import SENSOR_KEYS, STREAMS
from brain.errors import StorageError
from brain.storage.dataset import parse_part_name, run_date, stream_files
from brain.storage.reader import MalformedLinePolicy, RecordStream

log = structlog.get_logger(__name__)

_SENSOR_VALUES = {key.value: True for key in SENSOR_KEYS}
_DEVICE_STATUS = {"schema_version": True, "timestamp": True, "devices": True}

PUBLIC_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "observations": {"schema_version": True, "timestamp": True, "source": True, "sensors": True},
    "device_status": _DEVICE_STATUS,
    "state": {
        "schema_version": True,
        "timestamp": True,
        **_SENSOR_VALUES,
        "vpd_kpa": True,
        "dew_point_c": True,
        "confidence": True,
        "device_status": _DEVICE_STATUS,
        "excluded_sensors": True,
    },
    "anomalies": {
        "schema_version": True,
        "timestamp": True,
        "severity": True,
        "kind": True,
        "metric": True,
        "observed_value": True,
        "threshold": True,
        "started_at": True,
        "ended_at": True,
    },
    "sensor_health": {
        "schema_version": True,
        "timestamp": True,
        "sensor": True,
        "status": True,
        "fault": True,
        "since": True,
        "evidence": True,
    },
    "actions": {
        "schema_version": True,
        "timestamp": True,
        "action_type": True,
        "target_device": True,
        "in_response_to": True,
        "mode": True,
    },
}
"""Per stream, the fields (nested as pydantic's ``include``) that may leave the greenhouse."""


@dataclass
class ExportReport:
    """What an export wrote and skipped."""

    records: dict[str, int] = field(default_factory=dict)
    """Records exported per stream."""
    malformed: int = 0
    """Source lines skipped as malformed (each logged with file and line)."""
    files: list[Path] = field(default_factory=list)
    """Files written."""

    def summary(self) -> str:
        """One line for the operator."""
        counts = ", ".join(f"{stream}={count}" for stream, count in self.records.items())
        return (
            f"exported {counts or 'nothing'} into {len(self.files)} files; "
            f"{self.malformed} malformed lines skipped"
        )


def _target(src_file: Path, dst: Path) -> Path:
    """Mirror ``run_YYYYMMDD/<part>`` under ``dst``; compressed parts are written plain."""
    name = src_file.name.removesuffix(".gz")
    parent = src_file.parent
    return dst / parent.name / name if run_date(parent) is not None else dst / name


def _sources(src: Path) -> list[tuple[str, Path]]:
    if src.is_file():
        parsed = parse_part_name(src.name)
        if parsed is None or parsed[0] not in STREAMS:
            raise StorageError(f"{src}: not a stream part (<stream>.NNNN.jsonl), cannot tell its record kind")
        return [(parsed[0], src)]
    return [(stream, path) for stream in STREAMS for path in stream_files(src, stream)]


def export_public(
    src: os.PathLike[str] | str,
    dst: os.PathLike[str] | str,
    *,
    policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
) -> ExportReport:
    """Write the public subset of every stream under ``src`` (file, run directory or data root) into ``dst``.

    ``dst`` must not exist or be empty, so an export never mixes with older files.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise StorageError(f"{dst}: exists and is not an empty directory; refusing to overwrite")
    report = ExportReport()
    for stream, src_file in _sources(src):
        include = PUBLIC_FIELDS[stream]
        records = RecordStream(src_file, stream, STREAMS[stream], policy=policy)
        target = _target(src_file, dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for record in records:
                out.write(record.model_dump_json(include=include).encode() + b"\n")
        report.records[stream] = report.records.get(stream, 0) + records.records
        report.malformed += records.malformed
        report.files.append(target)
    log.info("public_export_written", src=str(src), dst=str(dst), records=report.records)
    return report
