"""Which run a start is, and whether the data root holds that run: the check made before recovery.

Why: a restart appends to its data root and recovery skips what is stored, which
is right for the same run and silently wrong for another one (a heatwave run
after ``make simulate`` found "nothing to do"; a second replayed log was skipped
whole; two sites or two scenarios ended up half and half in one folder). So the
data root's manifest (:mod:`brain.storage.manifest`) records the run's identity
at the first start, and every later start compares:

- the same identity: the manifest's ``last_start`` is updated and the run resumes;
- another identity: refused with :class:`DataRootConflictError` (exit 78), naming
  every difference, unless the operator continues deliberately
  (``--continue-different-run``): then the new identity is recorded, with the old
  one and the time of the change in ``identity_changes``, so the next start of the
  new run needs no flag;
- no manifest (a fresh folder, or one an earlier brain wrote): the manifest is
  written from this run; a folder that already held run directories is *adopted*
  (logged, and marked in ``first_start.adopted``).

What is identity and what may change between starts, by mode (docs/storage.md,
"The manifest", has the table with the reasons): a timed run (simulate, replay)
is a function of its inputs, so everything that changes the records it writes
for an instant is identity; a live greenhouse is one story across maintenance,
so on hardware only the source, the site and its time zone are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import structlog

from brain import __version__
from brain.config import BrainSettings, SourceKind
from brain.errors import ConfigError, StorageError
from brain.estimator.settings import PACKAGED_THRESHOLDS
from brain.storage import (
    DatasetManager,
    Difference,
    ManifestError,
    first_line,
    identity_differences,
    manifest_at_start,
    manifest_path,
    read_manifest,
    stream_fingerprint,
    write_manifest,
)

log = structlog.get_logger(__name__)

CONTINUE_FLAG = "--continue-different-run"
"""The ``brain-daemon`` flag that appends a different run to a data root on purpose."""


class DataRootConflictError(ConfigError):
    """The run being started is not the one its data root holds; the message says what differs and what to do.

    A :class:`ConfigError` (exit 78): the settings and the folder disagree, and a
    restart by systemd would only disagree again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.key = "data_root"


def run_identity(settings: BrainSettings, replay_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """What must match for a start to continue the run its data root holds (module docstring)."""
    identity: dict[str, Any] = {
        "source": str(settings.source),
        "site_id": settings.site_id,
        "timezone": settings.timezone,
    }
    if settings.source is SourceKind.SYNTHETIC:
        sim = settings.simulation
        identity |= {
            "seed": sim.seed,
            "start": sim.start.isoformat(),
            "scenarios": list(sim.scenarios),
            "devices": list(settings.devices),
            "poll_interval_s": settings.poll_interval_s,
            "base_cycle_s": settings.base_cycle_s,
            "thresholds_sha256": thresholds_sha256(settings.estimator.thresholds_file),
        }
    elif settings.source is SourceKind.REPLAY:
        identity |= {
            "site_id": replay_site_id(settings.replay.path),
            "replay_input_first_line_sha256": (replay_input or {}).get("first_line_sha256"),
            "base_cycle_s": settings.base_cycle_s,
            "thresholds_sha256": thresholds_sha256(settings.estimator.thresholds_file),
        }
    return identity


def run_details(settings: BrainSettings, replay_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the manifest records of the last start without comparing it: free to change between starts."""
    details: dict[str, Any] = {
        "data_root": str(settings.data_root.resolve()),
        "thresholds_file": str(settings.estimator.thresholds_file or "packaged"),
    }
    if settings.source is SourceKind.SYNTHETIC:
        details |= {"duration_hours": settings.simulation.duration_hours, "time_scale": settings.time_scale}
    elif settings.source is SourceKind.REPLAY:
        details |= {"replay_input": dict(replay_input or {}), "time_scale": settings.time_scale}
    else:
        details |= {
            "poll_interval_s": settings.poll_interval_s,
            "base_cycle_s": settings.base_cycle_s,
            "thresholds_sha256": thresholds_sha256(settings.estimator.thresholds_file),
        }
    return details


def replay_site_id(path: Path | None) -> str | None:
    """The site of a replay: its records keep the site they were recorded at, whatever ``site_id`` says.

    Read from the input's first line; ``None`` when that line is not a record with a site.
    """
    line = first_line(path) if path is not None else None
    try:
        record = json.loads(line) if line is not None else None
    except ValueError:
        return None
    site = record.get("site_id") if isinstance(record, dict) else None
    return site if isinstance(site, str) else None


def thresholds_sha256(path: Path | None) -> str:
    """The SHA-256 of the thresholds file the estimator judges by (the packaged one for ``None``)."""
    source = path if path is not None else resources.files("brain.estimator").joinpath(PACKAGED_THRESHOLDS)
    return hashlib.sha256(source.read_bytes()).hexdigest()


def claim_data_root(
    settings: BrainSettings,
    *,
    continue_different_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Check this run against the data root's manifest and record this start; return the manifest written.

    Raises :class:`DataRootConflictError` when the folder holds another run (or a
    manifest that cannot be read) and ``continue_different_run`` is not set. A
    manifest the disk refuses to take is logged (``data_root_manifest_not_written``),
    not raised: on the Pi a full card must not stop the polling.
    """
    data_root = settings.data_root
    replay_input = (
        stream_fingerprint(settings.replay.path)
        if settings.source is SourceKind.REPLAY and settings.replay.path is not None
        else None
    )
    identity = run_identity(settings, replay_input)
    try:
        previous = read_manifest(data_root)
    except ManifestError as exc:
        raise DataRootConflictError(
            f"{exc}.\nMove or repair it, or give this run a new --output-dir."
        ) from exc
    adopted = False
    if previous is None:
        adopted = bool(DatasetManager(data_root).runs())
        if adopted:
            log.warning(
                "data_root_adopted",
                data_root=str(data_root),
                note="run directories without a manifest (an earlier brain): "
                "the manifest is written from this run's settings, not checked against the stored records",
            )
    else:
        differences = identity_differences(previous["identity"], identity)
        if differences and not continue_different_run:
            raise DataRootConflictError(conflict_message(data_root, differences, previous))
        if differences:
            log.warning(
                "data_root_identity_changed",
                data_root=str(data_root),
                changed={d.key: {"was": d.recorded, "now": d.current} for d in differences},
            )
    manifest = manifest_at_start(
        previous,
        identity,
        run_details(settings, replay_input),
        at=now(),
        brain_version=__version__,
        adopted=adopted,
    )
    try:
        write_manifest(data_root, manifest, durable=settings.storage.fsync != "never")
    except StorageError as exc:
        # A full or failing disk must not stop the start: the records wait in the sink's backlog,
        # and the check above is done. A folder left without a manifest is adopted next time.
        log.error("data_root_manifest_not_written", manifest=str(manifest_path(data_root)), error=str(exc))
        return manifest
    if previous is None:
        log.info("data_root_manifest_written", manifest=str(manifest_path(data_root)), adopted=adopted)
    return manifest


def conflict_message(data_root: Path, differences: list[Difference], previous: Mapping[str, Any]) -> str:
    """What differs between the folder's run and this one, and the two ways on."""
    lines = [
        f"data root {data_root} holds another run ({manifest_path(data_root)}); "
        "continuing it would skip or mix this run's records:"
    ]
    for difference in differences:
        lines.append(f"  {_describe(difference, previous)}")
    lines.append(
        f"Give this run a new --output-dir, or add {CONTINUE_FLAG} to append it to this folder deliberately."
    )
    return "\n".join(lines)


def _describe(difference: Difference, previous: Mapping[str, Any]) -> str:
    if difference.key == "replay_input_first_line_sha256":
        was = previous.get("details", {}).get("replay_input", {}).get("path", "an unknown input")
        return f"replay input: another log starts here (the folder replayed {was})"
    was, now = json.dumps(difference.recorded), json.dumps(difference.current)
    return f"{difference.key}: {was} in the folder, {now} for this run"
