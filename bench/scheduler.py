"""How much the scheduler itself costs per tick, at time_scale 0 with a no-op job.

Prints the wall time of a simulated day (1,440 one-minute ticks) and of a simulated
year (525,600), and, for scale, what APScheduler's IntervalTrigger alone costs per
call (the loop asks it once per tick). Run: ``python bench/scheduler.py``.
"""

from __future__ import annotations

import logging
import platform
import time
import timeit
from datetime import UTC, datetime, timedelta

import structlog

from brain.clock.clocks import SimClock
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every

START = datetime(2026, 6, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _noop(fire_time: datetime) -> None:
    return None


def run_ticks(ticks: int) -> float:
    """Seconds of wall time for ``ticks`` one-minute ticks of a no-op job at time_scale 0."""
    scheduler = Scheduler(SimClock(START, time_scale=0.0))
    scheduler.add_job(_noop, every(MINUTE, end=START + (ticks - 1) * MINUTE), name="poll")
    began = time.perf_counter()
    scheduler.run()
    return time.perf_counter() - began


def trigger_call_s() -> float:
    """Seconds per IntervalTrigger.get_next_fire_time call (with a previous fire time, as in the loop)."""
    trigger, calls = every(MINUTE), 200_000
    return (
        min(timeit.repeat(lambda: trigger.get_next_fire_time(START, START), number=calls, repeat=5)) / calls
    )


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    where = f"Python {platform.python_version()}, {platform.machine()}"
    print(f"scheduler overhead, time_scale=0, no-op job ({where})")
    for label, ticks, repeats in (("day", 1_440, 20), ("year", 525_600, 3)):
        best = min(run_ticks(ticks) for _ in range(repeats))
        per_tick_us = best / ticks * 1e6
        figures = f"{best * 1e3:9.1f} ms = {per_tick_us:5.2f} us/tick (best of {repeats})"
        print(f"  {label:4} {ticks:>7,} ticks: {figures}")
    print(f"  IntervalTrigger.get_next_fire_time alone: {trigger_call_s() * 1e6:5.2f} us/call")


if __name__ == "__main__":
    main()
