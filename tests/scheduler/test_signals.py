"""A real SIGTERM, in this process and in a child process, ends the loop gracefully."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from brain.clock.clocks import Clock, RealClock, SimClock
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every

from .conftest import START

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _waiting_clock(kind: str) -> Clock:
    # RealClock's slice is an hour too, so only the stop's self-pipe can end the wait early.
    return RealClock(max_wait_s=3600) if kind == "real" else SimClock(START, time_scale=1.0)


@pytest.mark.usefixtures("restore_sigterm")
@pytest.mark.parametrize("kind", ["real", "sim-1x"])
def test_a_real_sigterm_wakes_the_loop_while_it_waits(kind: str) -> None:
    scheduler = Scheduler(_waiting_clock(kind))
    flushed: list[bool] = []
    scheduler.add_job(lambda fire_time: None, every(timedelta(hours=1)), name="hourly")  # next run: up to 1 h
    signal.signal(signal.SIGTERM, lambda signum, frame: scheduler.stop())
    scheduler.add_shutdown_hook(lambda: flushed.append(True))
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    began = time.monotonic()
    scheduler.run()
    assert 0.25 < time.monotonic() - began < 30  # woken by the signal, not after the hour's wait
    assert flushed == [True]
    assert scheduler.stop_requested


CHILD = textwrap.dedent(
    """
    import signal, sys, time
    from datetime import timedelta
    import structlog
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    from brain.clock.clocks import RealClock
    from brain.scheduler.event_loop import Scheduler
    from brain.scheduler.triggers import every

    def say(line):
        print(line, flush=True)

    scheduler = Scheduler(RealClock())
    signal.signal(signal.SIGTERM, lambda signum, frame: scheduler.stop())

    def poll(fire_time):
        say("job start")
        deadline = time.monotonic() + 30
        while not scheduler.stop_requested and time.monotonic() < deadline:
            time.sleep(0.01)  # the parent's SIGTERM lands in here, however long the parent takes
        say("job end")

    scheduler.add_job(poll, every(timedelta(milliseconds=100)), name="poll")
    scheduler.add_shutdown_hook(lambda: say("hook flush"))
    scheduler.add_shutdown_hook(lambda: say("hook fsync"))
    scheduler.run()
    say("run returned")
    """
)


def test_sigterm_to_a_daemon_process_lets_the_job_finish_then_runs_the_hooks() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "job start"
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert out.splitlines() == ["job end", "hook flush", "hook fsync", "run returned"]
    assert "stop requested" in err
