"""``brain status``'s start-up cost: CPU time on a year-old data root against ``python -c pass``, same run.

Why CPU time and a ratio (issue 29): a monitoring plugin runs ``brain status`` every minute,
often on a Pi, where nearly all of it is importing; the wall clock of this shared VM swings
with the hour, while the ratio to the interpreter's own start, measured beside it, does not
move with it. Budget: ``brain status`` <= 4 x ``python -c pass`` (issue 29; 10-14 x before,
when it imported the record models and brain.storage).

The roots: the year-old one of ``bench/report.py`` (three simulated days, 362 folders of
gzipped parts), then the same with a 200,000-file run folder beside it (issue 24: status must
not cost more for it than before; a ``stat`` per file for the disk figures is all it may do).
``--src DIR`` also measures another source tree of brain (``git archive COMMIT brain | tar -x
-C DIR``) on the same roots, for a before/after in one run.
Run: ``python bench/status.py [--repeat N] [--src DIR]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from process import ROOT
from report import START, year_old_root

BUDGET_RATIO = 4.0
"""Issue 29: ``brain status`` CPU time at most four times ``python -c pass``."""
CROWD_FILES = 200_000


def cpu_s(args: list[str], repeat: int, src: Path | None = None, *, pycache: Path) -> float:
    """Median user + system CPU seconds of ``repeat`` fresh ``python ARGS`` (any exit status 0-3).

    Byte-code is cached (in ``pycache``, and one warm-up run fills it) as an installed brain's is:
    ``PYTHONDONTWRITEBYTECODE`` in a developer's shell would otherwise have every run compile
    brain's sources, and the figure would measure the compiler.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("BRAIN_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPYCACHEPREFIX"] = str(pycache / ("src" if src else "this"))
    if src is not None:
        env["PYTHONPATH"] = str(src)
    times = []
    for _ in range(repeat + 1):
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=src or ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1, 2, 3):
            raise RuntimeError(
                f"{args} exited {code}: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        if proc.stderr:
            proc.stderr.close()
        times.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(times[1:])


def crowd(root: Path) -> None:
    """A run folder of :data:`CROWD_FILES` empty files, beside the others (a year before the oldest)."""
    folder = root / f"run_{START - timedelta(days=400):%Y%m%d}"
    folder.mkdir()
    for index in range(CROWD_FILES):
        (folder / f"device_status.{index:06d}.jsonl").touch()


def measure(repeat: int = 7, src: Path | None = None) -> dict[str, float]:
    """The figures this benchmark prints."""
    at = f"{START + timedelta(days=3)}T00:02:00+00:00"
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        year = Path(tmp) / "year"
        year_old_root(year)
        status = ["-m", "brain.cli", "status", str(year), "--at", at]
        pycache = Path(tmp) / "pycache"
        trees = [("", None)] + ([("src_", src)] if src is not None else [])
        for crowded in ("", "crowd_"):
            if crowded:
                crowd(year)
            for name, tree in trees:
                figures[f"{name}{crowded}pass_s"] = cpu_s(["-c", "pass"], repeat, pycache=pycache)
                figures[f"{name}{crowded}status_s"] = cpu_s(status, repeat, tree, pycache=pycache)
    return figures


def main() -> None:
    """Print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", type=Path, help="another brain source tree to measure beside this one")
    args = parser.parse_args()
    f = measure(args.repeat, args.src)
    print("CPU time (median)                                   status    python -c pass   ratio")
    rows = [("this brain, year-old root", ""), (f"this brain, + {CROWD_FILES:,}-file run", "crowd_")]
    if args.src is not None:
        rows += [
            (f"{args.src}, year-old root", "src_"),
            (f"{args.src}, + {CROWD_FILES:,}-file run", "src_crowd_"),
        ]
    for label, key in rows:
        status, floor = f[f"{key}status_s"], f[f"{key}pass_s"]
        print(f"{label:<50} {status:7.3f} s  {floor:7.3f} s      {status / floor:5.1f} x")
    ratio = f["status_s"] / f["pass_s"]
    print(
        f"required: status <= {BUDGET_RATIO:g} x python -c pass: {'PASS' if ratio <= BUDGET_RATIO else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
