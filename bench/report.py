"""``brain report`` and ``brain status`` as a user runs them (fresh processes), against the issue's budgets.

- A day's report (<= 3 s) and a week's (<= 10 s) from a 1-minute data root: seven simulated
  days (``brain-daemon --simulate --duration-hours 168``), the report of its fourth day and of
  the whole week, each the median of three runs.
- ``brain status`` (<= 0.5 s) on a year-old data root: the newest three days simulated at
  1-minute polls, and 362 older run folders holding a simulated day's parts gzipped, as
  retention leaves them (hard links of one day's files, so the year costs no disk and seconds
  to build). Status must read only the newest folders; the old ones are there to be listed
  and sized. The median of five runs, and the import floor beside it (``python -c "import
  brain.report.status_view, brain.cli.status"``): what the work costs is the difference.
Run: ``python bench/report.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path

from process import DAEMON, Measured, run

START = date(2027, 5, 30)
"""The first simulated day of the year-old root; its newest day is START + 2."""


def simulate(root: Path, start: date, hours: int) -> None:
    run([*DAEMON, "--simulate", "--duration-hours", str(hours), "--time-scale", "0",
         "--start", f"{start}T00:00:00+00:00", "--output-dir", str(root), "--log-format", "json"])  # fmt: skip


def year_old_root(root: Path) -> None:
    """Three real newest days and 362 older folders of gzipped parts (hard links of one gzipped day)."""
    simulate(root, START, 72)
    template = root.parent / "template"
    template.mkdir()
    for part in (root / f"run_{START:%Y%m%d}").iterdir():
        (template / f"{part.name}.gz").write_bytes(gzip.compress(part.read_bytes(), mtime=0))
    for back in range(1, 363):
        folder = root / f"run_{START - timedelta(days=back):%Y%m%d}"
        folder.mkdir()
        for part in template.iterdir():
            os.link(part, folder / part.name)


def median_of(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of ``repeat`` fresh runs, seconds."""
    runs: list[Measured] = [run(args) for _ in range(repeat)]
    return statistics.median(r.wall_s for r in runs), statistics.median(r.cpu_s for r in runs)


def measure(repeat: int = 3) -> dict[str, float]:
    """The figures this benchmark prints."""
    with tempfile.TemporaryDirectory() as tmp:
        week = Path(tmp) / "week"
        simulate(week, date(2026, 6, 1), 168)
        out = Path(tmp) / "page.html"
        report = ["-m", "brain.cli", "report", str(week), "--out", str(out)]
        day_s, day_cpu_s = median_of([*report, "--day", "2026-06-04"], repeat)
        week_s, week_cpu_s = median_of([*report, "--week", "2026-06-01"], repeat)
    with tempfile.TemporaryDirectory() as tmp:
        year = Path(tmp) / "year"
        year_old_root(year)
        at = f"{START + timedelta(days=3)}T00:02:00+00:00"
        status = ["-m", "brain.cli", "status", str(year), "--at", at]
        status_s, status_cpu_s = median_of(status, max(5, repeat))
        floor_s, floor_cpu_s = median_of(
            ["-c", "import brain.report.status_view, brain.cli.status"], max(5, repeat)
        )
        runs = sum(1 for _ in year.iterdir())
        shutil.rmtree(year)
    return {
        "day_s": day_s, "day_cpu_s": day_cpu_s, "week_s": week_s, "week_cpu_s": week_cpu_s,
        "status_s": status_s, "status_cpu_s": status_cpu_s, "status_floor_s": floor_s,
        "status_floor_cpu_s": floor_cpu_s, "runs": runs,
    }  # fmt: skip


def main() -> None:
    """Print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    f = measure(parser.parse_args().repeat)
    print("                                          wall       CPU")
    print(
        f"brain report --day, 1-minute data      {f['day_s']:7.3f} s {f['day_cpu_s']:7.3f} s  (required <= 3)"
    )
    print(
        f"brain report --week, 1-minute data     {f['week_s']:7.3f} s {f['week_cpu_s']:7.3f} s  (required <= 10)"
    )
    print(
        f"brain status, year-old root ({f['runs']:.0f} runs) {f['status_s']:7.3f} s {f['status_cpu_s']:7.3f} s  (required <= 0.5)"
    )
    print(
        f"  its imports alone (floor)            {f['status_floor_s']:7.3f} s {f['status_floor_cpu_s']:7.3f} s"
    )


if __name__ == "__main__":
    main()
