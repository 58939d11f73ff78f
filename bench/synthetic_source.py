"""Speed and memory of the synthetic greenhouse (brain/sources/synthetic/source.py).

Prints:
- a 24 h day at 60 s polls (1,440 observations) in a fresh Python process,
  import of brain included: what a user waits for, median of --repeat runs;
- the cost per observation in process, at 60 s and 300 s polls;
- 30 simulated days at 60 s polls: memory traced at days 1, 10, 20 and 30
  (flat figures mean memory does not grow with the length of a run).

Usage: python bench/synthetic_source.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 6, 1, tzinfo=UTC)
DAY_IN_FRESH_PROCESS = """
from datetime import UTC, datetime
from brain.sources.synthetic.source import SyntheticSource
source = SyntheticSource(seed=42, start=datetime(2026, 6, 1, tzinfo=UTC), poll_interval_s=60,
                         duration_s=86400, site_id="bench")
n = 0
while source.next_observation() is not None:
    source.device_status()
    n += 1
assert n == 1440, n
"""


def _quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))


def fresh_process_day(repeat: int) -> tuple[float, float]:
    """Median wall time of a fresh process simulating one day, and of one doing nothing, seconds."""

    def median_of(code: str) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    return median_of(DAY_IN_FRESH_PROCESS), median_of("pass")


def per_observation_us(poll_interval_s: float, hours: float) -> float:
    """Microseconds per observation (and its device status) over ``hours`` of simulated time."""
    from brain.sources.synthetic.source import SyntheticSource

    source = SyntheticSource(
        seed=42, start=START, poll_interval_s=poll_interval_s, duration_s=hours * 3600, site_id="bench"
    )
    count = 0
    started = time.perf_counter()
    while source.next_observation() is not None:
        source.device_status()
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def memory_over_30_days() -> list[tuple[int, float, float]]:
    """(day, traced KiB now, traced KiB peak so far) after days 1, 10, 20 and 30."""
    from brain.sources.synthetic.source import SyntheticSource

    source = SyntheticSource(seed=42, start=START, poll_interval_s=60, duration_s=30 * 86400, site_id="bench")
    checkpoints = {1, 10, 20, 30}
    figures = []
    tracemalloc.start()
    day = 0
    count = 0
    while source.next_observation() is not None:
        source.device_status()
        count += 1
        if count % 1440 == 0:
            day += 1
            if day in checkpoints:
                now, peak = tracemalloc.get_traced_memory()
                figures.append((day, now / 1024, peak / 1024))
    tracemalloc.stop()
    return figures


def main() -> None:
    """Print one line per figure."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _quiet()
    day, floor = fresh_process_day(args.repeat)
    print(f"24 h day, 60 s poll, fresh process (1,440 obs)   {day:8.3f} s   (python -c pass: {floor:.3f} s)")
    for poll in (60.0, 300.0):
        print(
            f"per observation, {poll:>5.0f} s poll, in process     {per_observation_us(poll, 24.0):8.1f} us"
        )
    for day_number, now_kib, peak_kib in memory_over_30_days():
        label = f"30-day run, after day {day_number:>2}: traced memory"
        print(f"{label}   {now_kib:8.1f} KiB (peak {peak_kib:.1f} KiB)")


if __name__ == "__main__":
    main()
