"""Replay input with nothing to replay: the error, and the hint that says what to do instead.

Why an error and not an empty run: a replay that finds nothing used to exit 0 with
``nothing_to_do``, and a CSV given to ``--replay`` logged 41,714 warnings and exited
0, so a wrong command looked like a run. :class:`ReplayInputError` carries the
reason and a ``hint``; ``brain-daemon`` prints both and exits 65 (EX_DATAERR).

Example hint, for a field log given as it is::

    it looks like a CSV field log: convert it to observations first, then replay that:
      brain import-csv --mapping NAME|PATH --output /data/osu2024.jsonl /data/osu2024.csv
      brain-daemon --replay /data/osu2024.jsonl ...
    NAME is a shipped mapping (agc2019_grodansens, agc2019_weather, cornell2020, osu2024) or PATH your own
    .toml mapping (docs/sources.md, "CSV import")
"""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

from brain.errors import SourceError
from brain.regular_files import file_kind

_SNIFF_BYTES = 4096
"""Bytes of a file's start read to tell a CSV header from a JSON line."""


class ReplayInputError(SourceError):
    """The replay input holds nothing to replay; ``hint`` says what to try (exit 65)."""

    def __init__(self, message: str, *, hint: str) -> None:
        self.hint = hint
        super().__init__(message)


def nothing_to_replay(path: Path, why: str) -> ReplayInputError:
    """The error for input at ``path`` that gave no observation, ``why`` saying what it held."""
    return ReplayInputError(f"nothing to replay in {path}: {why}", hint=hint_for(path))


def not_a_file_or_folder(path: Path, mode: int) -> ReplayInputError:
    """The error for a replay path that is a FIFO, a device or a socket: never opened."""
    return ReplayInputError(
        f"cannot replay {path}: it is {file_kind(mode)}, not a file or a folder",
        hint="give a JSONL file of observations, a run_YYYYMMDD directory or a data root",
    )


def hint_for(path: Path) -> str:
    """What to try with ``path``: ``brain import-csv`` for a CSV (in a folder too), else the layout."""
    csv = _csv_in(path)
    if csv is not None:
        return import_csv_hint(csv)
    if path.is_dir():
        return (
            "a replay reads observations.NNNN.jsonl parts (plain or .gz) in run_YYYYMMDD directories of "
            "a data root, or in one run directory; give one of those, or a single JSONL file"
        )
    return (
        "a replay reads ObservationV1 lines as brain writes them (docs/schemas/ObservationV1.schema.json); "
        "the reason of each bad line is in the log (malformed_line_skipped)"
    )


def import_csv_hint(csv: Path) -> str:
    """The ``brain import-csv`` command to try on ``csv``, with a replayable output beside it.

    The CSV mapping models are imported here, on this error path, rather than with the module:
    every daemon start reads this module (restart recovery replays stored runs), and building
    those models cost its start to READY (issue 29) for a hint few starts ever print.
    """
    from brain.sources.csv.mapping import shipped_mappings

    output = csv.with_suffix(".jsonl")
    if output == csv:
        output = csv.with_name(f"{csv.stem}.observations.jsonl")
    command = (
        f"brain import-csv --mapping NAME|PATH --output {shlex.quote(str(output))} {shlex.quote(str(csv))}"
    )
    return (
        "it looks like a CSV field log: convert it to observations first, then replay that:\n"
        f"  {command}\n"
        f"  brain-daemon --replay {shlex.quote(str(output))} ...\n"
        f"NAME is a shipped mapping ({', '.join(shipped_mappings())}) or PATH your own .toml mapping "
        '(docs/sources.md, "CSV import")'
    )


def _csv_in(path: Path) -> Path | None:
    """``path`` if it looks like a CSV, or the first CSV directly in the folder ``path``."""
    if path.is_dir():
        try:
            candidates = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        except OSError:
            return None
        return candidates[0] if candidates else None
    return path if looks_like_csv(path) else None


def looks_like_csv(path: Path) -> bool:
    """A ``.csv`` name, or a first line with commas that is not JSON (only regular files are read)."""
    if path.suffix.lower() == ".csv":
        return True
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as handle:
            first = handle.read(_SNIFF_BYTES).split(b"\n", 1)[0]
    except OSError:
        return False
    text = first.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r")
    return "," in text and not text.startswith(("{", "["))
