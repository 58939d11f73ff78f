"""The stop signals with real signals: the first ends the run after the job, a second ends the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from brain.clock.clocks import SimClock
from brain.contracts import DeviceStatusV1, ObservationV1
from brain.daemon.main_loop import serve
from brain.daemon.notify import Notifier
from brain.daemon.signals import StopSignals
from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import every
from brain.storage.settings import StorageSettings
from brain.storage.writer import DatasetWriter
from tests.daemon.parts import scripted_parts
from tests.factories import device_status, minutes, observation
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


class SignallingSource:
    """A timed source of one-minute observations that sends itself ``signals[i]`` while giving the i-th."""

    def __init__(self, count: int, signals: dict[int, signal.Signals], writer: DatasetWriter) -> None:
        self._times = minutes(count, start=START)
        self._signals = signals
        self._writer = writer
        self._given = 0
        self.seen: list[tuple[int, int, int]] = []
        """(observation number, records written, records durable) as each observation is given."""

    def next_timestamp(self) -> datetime | None:
        return self._times[self._given] if self._given < len(self._times) else None

    def next_observation(self) -> ObservationV1 | None:
        if self._given == len(self._times):
            return None
        self.seen.append(
            (self._given, sum(self._writer.written.values()), sum(self._writer.durable.values()))
        )
        if self._given in self._signals:
            os.kill(os.getpid(), self._signals[self._given])
        stamp = self._times[self._given]
        self._given += 1
        return observation(stamp)

    def device_status(self) -> DeviceStatusV1:
        return device_status(self._times[self._given - 1])

    def close(self) -> None:
        pass


def test_sighup_makes_everything_written_durable_and_sigusr1_logs_the_status(tmp_path: Path) -> None:
    # A batch that would not be due for an hour: only a SIGHUP's flush makes records durable mid-run.
    storage = StorageSettings(batch_seconds=3600, batch_records=100_000)
    writer = DatasetWriter(tmp_path, storage)
    source = SignallingSource(8, {2: signal.SIGHUP, 5: signal.SIGUSR1}, writer)
    parts = scripted_parts(tmp_path, source, START, writer)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGHUP, signal.SIGUSR1)}
    with structlog.testing.capture_logs() as events:
        assert serve(parts) == 0
    flushed = [e for e in events if e["event"] == "sighup_flushed"]
    status = [e for e in events if e["event"] == "status"]
    assert len(flushed) == 1 and len(status) == 1
    # Answered at the end of the poll that received it: at the next observation all is durable.
    after_hup = source.seen[3]
    assert after_hup[1] > 0 and after_hup[2] == after_hup[1] == flushed[0]["storage_written"]
    assert source.seen[2][2] == 0 and source.seen[5][2] < source.seen[5][1], "nothing else flushed"
    assert status[0]["status"].startswith("last poll 2026-06-01T12:05:00+00:00; 6 observations")
    assert {sig: signal.getsignal(sig) for sig in before} == before, "handlers restored after the run"
