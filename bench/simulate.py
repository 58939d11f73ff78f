"""A simulated day as a user runs it (a fresh process), beside the start-up floor.

Prints ``python -c "import brain.daemon.main_loop"`` (the floor), a 24 h day polled every 60 s
(1,440 observations) with the daemon's 15-minute base cycle and with the ticket's 2-hour
one (what ``scripts/simulate_day.py`` runs), and the bytes a
simulated day writes (SD-card wear). Required: the 60 s day <= 1.5 s; goal: the day's
work costs less than the imports.
Run: ``python bench/simulate.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from process import DAEMON, run, tree_bytes


def day(extra: list[str], repeat: int) -> tuple[float, int]:
    """Median wall time of a simulated day and the bytes it wrote."""
    times, written = [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "data"
            args = [*DAEMON, "--simulate", "--duration-hours", "24", "--time-scale", "0",
                    "--output-dir", str(root), "--log-format", "json", *extra]  # fmt: skip
            times.append(run(args).wall_s)
            written = tree_bytes(root)
    return statistics.median(times), written


def measure(repeat: int = 3) -> dict[str, float]:
    """The figures this benchmark prints."""
    floor = statistics.median(run(["-c", "import brain.daemon.main_loop"]).wall_s for _ in range(repeat))
    minute_s, minute_bytes = day(["--poll-interval", "60"], repeat)
    cycle_s, _ = day(["--poll-interval", "60", "--base-cycle", "7200"], repeat)
    return {
        "import_s": floor,
        "day_60s_s": minute_s,
        "day_2h_s": cycle_s,
        "day_bytes": minute_bytes,
        "work_s": minute_s - floor,
    }


def main() -> None:
    """Print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    f = measure(parser.parse_args().repeat)
    print(f"import brain.daemon.main_loop (start-up floor)     {f['import_s']:7.3f} s")
    print(f"24 h day, 60 s poll (1,440 obs), 15 min   {f['day_60s_s']:7.3f} s  (required <= 1.5)")
    print(f"  of which the day's work                {f['work_s']:7.3f} s  (goal: less than the imports)")
    print(f"24 h day, 60 s poll, 2 h base cycle      {f['day_2h_s']:7.3f} s")
    print(f"bytes written per simulated day, 60 s    {f['day_bytes']:>9,} B")


if __name__ == "__main__":
    main()
