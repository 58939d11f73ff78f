"""Leave a data root as a kill would have: a poll's first writes on disk, the rest never written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

RAW = ("observations", "device_status")


def cut_after_observation(data_root: Path, at: str, *, kept: Iterable[str] = RAW) -> None:
    """Drop every record after ``at``, and at ``at`` every stream but ``kept`` (written before the kill).

    ``at`` is a timestamp as the files spell it (``2026-06-01T01:00:00Z``).
    """
    kept = tuple(kept)
    for path in sorted(data_root.glob("run_*/*.jsonl")):
        stream = path.name.split(".")[0]
        lines = [
            line
            for line in path.read_text().splitlines(keepends=True)
            if (stamp := json.loads(line)["timestamp"]) < at or (stamp == at and stream in kept)
        ]
        path.write_text("".join(lines))


def up_to(data_root: Path, at: str) -> dict[str, str]:
    """Every stream file under ``data_root``, by relative path, holding only its records up to ``at``."""
    return {
        str(path.relative_to(data_root)): "".join(
            line for line in path.read_text().splitlines(keepends=True) if json.loads(line)["timestamp"] <= at
        )
        for path in sorted(data_root.glob("run_*/*.jsonl"))
    }
