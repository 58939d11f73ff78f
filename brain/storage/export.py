"""The public subset: a copy of brain's logs that can be shared without naming the site.

Why a whitelist and not a blacklist: a field added to a contract later is
private until someone decides otherwise, so a new field can never leak by
default. What is dropped, and why (docs/storage.md, "Public export"):

- ``site_id`` everywhere (also inside a state's device status): it names the greenhouse;
- ``errors`` of observations: free text from drivers (bus addresses, hostnames, paths);
- ``message`` of anomalies and ``reason`` of actions: free text; the structured
  fields next to them (kind, metric, value, threshold, action type) carry the same facts.

What is kept is only values from closed sets (enums, numbers, timestamps) or text
brain itself generates, checked value by value, since a log may come from anywhere
(an imported or hand-edited file): an evidence ``statistic`` that is not one the
estimator names becomes ``"other"``, an action's ``in_response_to.kind`` that is not an
anomaly or fault kind is dropped, and relay names a site chose itself (anything but
:data:`~brain.contracts.DEFAULT_DEVICES`) become ``device_1``, ``device_2``, ... in the
order the export meets them, the same alias for the same name throughout one export.

What it reads: regular files inside the source tree only. A run folder or part that
is a symbolic link leading out of the source, a FIFO or a device is skipped with a
logged warning (``export_skipped``), so an export never copies what lies elsewhere.

Exported lines are not contracts any more (``site_id`` is required there); they are
plain JSON objects with the whitelisted keys, in the contract's key order.

Where it writes: never into a data root (a folder with a lock file or run
directories, or anything inside one) and never inside the source tree: exported
lines are not records, and a daemon reading or writing there would trip over
them. Files are mode 0644 and folders 0755 whatever the umask (they are meant to be shared).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from brain.contracts import (
    DEFAULT_DEVICES,
    EVIDENCE_STATISTICS,
    SENSOR_KEYS,
    STREAMS,
    AnomalyKind,
    SensorFault,
)
from brain.errors import StorageError
from brain.storage.dataset import is_data_root, parse_part_name, run_date, stream_files
from brain.storage.durable import make_dirs
from brain.storage.errors import disk_error
from brain.storage.modes import open_created
from brain.storage.reader import MalformedLinePolicy, RecordStream

log = structlog.get_logger(__name__)

_SENSOR_VALUES = {key.value: True for key in SENSOR_KEYS}
_DEVICE_STATUS = {"schema_version": True, "timestamp": True, "devices": True, "positions": True}

PUBLIC_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "observations": {
        "schema_version": True,
        "timestamp": True,
        "source": True,
        "sensors": True,
        "outside": True,
    },
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
        "target_position_pct": True,
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
    skipped: list[Path] = field(default_factory=list)
    """Source paths not read: links leading out of the source, FIFOs, devices (each logged)."""
    files: list[Path] = field(default_factory=list)
    """Files written."""

    def summary(self) -> str:
        """One line for the operator."""
        counts = ", ".join(f"{stream}={count}" for stream, count in self.records.items())
        return (
            f"exported {counts or 'nothing'} into {len(self.files)} files; "
            f"{self.malformed} malformed lines skipped"
            + (
                f"; {len(self.skipped)} paths outside the source or not regular files skipped"
                if self.skipped
                else ""
            )
        )


def _target(src_file: Path, dst: Path) -> Path:
    """Mirror ``run_YYYYMMDD/<part>`` under ``dst``; compressed parts are written plain."""
    name = src_file.name.removesuffix(".gz")
    parent = src_file.parent
    return dst / parent.name / name if run_date(parent) is not None else dst / name


def _sources(src: Path, report: ExportReport) -> list[tuple[str, Path]]:
    if src.is_file():
        parsed = parse_part_name(src.name)
        if parsed is None or parsed[0] not in STREAMS:
            raise StorageError(f"{src}: not a stream part (<stream>.NNNN.jsonl), cannot tell its record kind")
        return [(parsed[0], src)]
    tree = src.resolve()
    found = [(stream, path) for stream in STREAMS for path in stream_files(src, stream)]
    kept = [(stream, path) for stream, path in found if _inside(path, tree)]
    for _stream, path in found:
        if (_stream, path) not in kept:
            report.skipped.append(path)
            log.warning(
                "export_skipped", path=str(path), reason="a link out of the source or not a regular file"
            )
    return kept


def _inside(path: Path, tree: Path) -> bool:
    """A regular file whose real path lies inside ``tree`` (no link leading out, no FIFO or device)."""
    real = path.resolve()
    try:
        regular = stat.S_ISREG(real.stat().st_mode)
    except OSError:
        return False
    return regular and real.is_relative_to(tree)


class _Closed:
    """Keeps an exported record to closed sets, value by value (see the module docstring)."""

    def __init__(self) -> None:
        self._aliases: dict[str, str] = {}

    def device(self, name: str) -> str:
        if name in DEFAULT_DEVICES:
            return name
        return self._aliases.setdefault(name, f"device_{len(self._aliases) + 1}")

    def record(self, stream: str, data: dict[str, Any]) -> dict[str, Any]:
        for status in (data, data.get("device_status")):
            if isinstance(status, dict) and isinstance(status.get("devices"), dict):
                status["devices"] = {self.device(name): state for name, state in status["devices"].items()}
            if isinstance(status, dict) and isinstance(status.get("positions"), dict):
                status["positions"] = {self.device(name): pct for name, pct in status["positions"].items()}
        evidence = data.get("evidence")
        if isinstance(evidence, dict) and evidence.get("statistic") not in EVIDENCE_STATISTICS:
            evidence["statistic"] = "other"
        if stream == "actions":
            if data.get("target_device") is not None:
                data["target_device"] = self.device(data["target_device"])
            ref = data["in_response_to"]
            if ref.get("kind") not in _KINDS:
                ref.pop("kind", None)
        return data


_KINDS = frozenset(kind.value for kind in AnomalyKind) | frozenset(fault.value for fault in SensorFault)


def _check_destination(src: Path, dst: Path) -> None:
    """Refuse a destination that is not a new or empty folder outside every data root and outside ``src``."""
    if dst.is_symlink() and not dst.exists():
        raise StorageError(f"{dst}: a symbolic link to nothing; give a new or empty directory")
    where = dst.resolve()
    for folder in (where, *where.parents):
        if is_data_root(folder):
            raise StorageError(f"{dst}: inside the data root {folder}; export into a folder of its own")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise StorageError(f"{dst}: exists and is not an empty directory; refusing to overwrite")
    source = src.resolve()
    if source.is_dir() and where.is_relative_to(source):
        raise StorageError(f"{dst}: inside the source {src}; export into a folder of its own")


def export_public(
    src: os.PathLike[str] | str,
    dst: os.PathLike[str] | str,
    *,
    policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
) -> ExportReport:
    """Write the public subset of every stream under ``src`` (file, run directory or data root) into ``dst``.

    ``dst`` must not exist or be empty, so an export never mixes with older files,
    and must lie outside every data root and outside ``src``.
    """
    src, dst = Path(src), Path(dst)
    _check_destination(src, dst)
    report = ExportReport()
    closed = _Closed()
    for stream, src_file in _sources(src, report):
        include = PUBLIC_FIELDS[stream]
        records = RecordStream(src_file, stream, STREAMS[stream], policy=policy)
        target = _target(src_file, dst)
        make_dirs(target.parent, durable=False)
        try:
            fd, _ = open_created(target, os.O_WRONLY | os.O_TRUNC)
        except OSError as exc:
            raise disk_error(target, exc, "create export file") from exc
        with os.fdopen(fd, "wb") as out:
            for record in records:
                data = closed.record(stream, record.model_dump(mode="json", include=include))
                out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        report.records[stream] = report.records.get(stream, 0) + records.records
        report.malformed += records.malformed
        report.files.append(target)
    log.info("public_export_written", src=str(src), dst=str(dst), records=report.records)
    return report
