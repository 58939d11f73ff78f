"""The stop signals with real signals: the first ends the run after the job, a second ends the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import structlog

from brain.clock.clocks import SimClock
from brain.daemon.notify import Notifier
from brain.daemon.signals import StopSignals
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every
from tests.runs import clean_env

START = datetime.fromisoformat("2026-06-01T12:00:00+00:00")


def test_a_first_signal_lets_the_job_finish_stops_the_run_and_is_reported() -> None:
    scheduler = Scheduler(SimClock(START))
    stop = StopSignals(scheduler, Notifier(environ={}))
    polls: list[datetime] = []

    def poll(fire_time: datetime) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # systemctl stop, in the middle of a poll
        polls.append(fire_time)

    scheduler.add_job(poll, every(timedelta(minutes=1)), name="poll")
    scheduler.add_shutdown_hook(stop.report)
    before = signal.getsignal(signal.SIGTERM)
    stop.install()
    try:
        with structlog.testing.capture_logs() as events:
            scheduler.run()
    finally:
        stop.restore()
    assert polls == [START], "the poll under way finished, and no other started"
    assert stop.received == [signal.SIGTERM]
    assert [e["signal"] for e in events if e["event"] == "stop_requested"] == ["SIGTERM"]
    assert signal.getsignal(signal.SIGTERM) is before, "the handler in place before the run is back"


def test_a_second_signal_exits_at_once_with_status_1() -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from datetime import datetime, timedelta
        from brain.clock.clocks import SimClock
        from brain.daemon.notify import Notifier
        from brain.daemon.signals import StopSignals
        from brain.scheduler.event_loop import Scheduler
        from brain.scheduler.triggers import every

        scheduler = Scheduler(SimClock(datetime.fromisoformat("2026-06-01T12:00:00+00:00")))
        stop = StopSignals(scheduler, Notifier(environ={}))

        def stuck_poll(fire_time):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again: the poll is stuck on a dead disk
            print("the poll went on")

        scheduler.add_job(stuck_poll, every(timedelta(minutes=1)), name="poll")
        scheduler.add_shutdown_hook(lambda: print("shutdown hooks ran"))
        stop.install()
        scheduler.run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "the poll went on" not in done.stdout and "shutdown hooks ran" not in done.stdout
