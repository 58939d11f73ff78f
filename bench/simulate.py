"""Wall time of a simulated day as a user runs it: a fresh process each time.

Prints the start-up floor (importing the daemon), a 24 h day polled every 60 s
(1,440 observations) and the same day polled on the ticket's 2-hour cycle.
Usage: python bench/simulate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAEMON = "import sys; from brain.cli import daemon_main; sys.exit(daemon_main())"


def wall(args: list[str], repeat: int) -> float:
    """Median wall time of ``python ARGS`` over ``repeat`` fresh processes, seconds."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            full = [a.replace("{tmp}", tmp) for a in args]
            subprocess.run([sys.executable, *full], check=True, cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(repeat: int) -> dict[str, float]:
    """Return the figures this benchmark prints."""
    day = ["-c", DAEMON, "--simulate", "--time-scale", "0", "--output-dir", "{tmp}", "--log-format", "json"]
    return {
        "python -c pass": wall(["-c", "pass"], repeat),
        "import brain.daemon": wall(["-c", "import brain.daemon"], repeat),
        "24 h day, 60 s poll (1,440 obs)": wall([*day, "--poll-interval", "60"], repeat),
        "24 h day, 2 h cycle (12 obs)": wall(
            [*day, "--poll-interval", "7200", "--base-cycle", "7200"], repeat
        ),
    }


def main() -> None:
    """Print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name, seconds in measure(args.repeat).items():
        print(f"{name:<36} {seconds:8.3f} s")


if __name__ == "__main__":
    main()
