"""Clock jumps: the wall clock steps back 1 hour, then forward 3 hours, while the Pi's daemon polls.

This machine's clock cannot be stepped, so the daemon runs in hardware mode (the
shipped ``config/brain.toml``, gpiozero's mock pins, 0.25 s polls) in a process
whose wall clock (``RealClock``'s injectable ``wall``; it waits on ``time.monotonic``)
adds an offset the test changes at chosen moments, as NTP stepping the clock of a
Pi without a real-time clock does. The offset starts 1.25 s before midnight, site
time (Europe/Amsterdam), so the run crosses midnight, then steps back over it, then
forward again.

Why the offset is fixed at the daemon clock's first reading, not at the process's
first ``time.time()``: Python's ``logging`` reads ``time.time`` as it is imported, a
whole start-up (0.3 s, several seconds on a loaded machine) before the first poll, so
a clock started there could pass midnight before the daemon polled once. The daemon's
clock is first read as its poll job is scheduled, microseconds before the first poll.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from brain.contracts import STREAMS
from tests.conftest import PROJECT_ROOT
from tests.reliability.drill import (
    Message,
    NotifyListener,
    is_ready,
    log_events,
    part_files,
    validate_data_root,
)
from tests.runs import clean_env

SITE = ZoneInfo("Europe/Amsterdam")  # config/brain.toml
POLL_S = 0.25
START = datetime(2026, 6, 1, 23, 59, 58, 750000, tzinfo=SITE)
"""What the daemon's wall clock reads the first time it is read: just before midnight, site time."""
SHIFTED_CLOCK = """
import functools, os, sys, time
_real_time, _offset_file = time.time, os.environ["DRILL_CLOCK_OFFSET_FILE"]
_start = [float(os.environ["DRILL_CLOCK_START"])]
def _shifted_time():
    now = _real_time()
    if _start:  # the clock's first reading is START, however long the start-up took; then it runs
        with open(_offset_file, "w") as handle:
            handle.write(repr(_start.pop() - now))
    with open(_offset_file) as handle:
        return now + float(handle.read())
from brain.clock.clocks import RealClock
from brain.daemon import builder
builder.RealClock = functools.partial(RealClock, wall=_shifted_time)  # the daemon's clock, and only it
from brain.cli import daemon_main
sys.exit(daemon_main())
"""


def step_clock(offset_file: Path, seconds: float) -> None:
    """Step the daemon's wall clock: change the offset its ``time.time`` adds."""
    staged = offset_file.with_suffix(".new")
    staged.write_text(repr(float(offset_file.read_text()) + seconds))
    staged.replace(offset_file)  # atomic: the daemon never reads half a number


def start_on_shifted_clock(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The Pi's configuration, hardware mode, on the shifted clock (SHIFTED_CLOCK); JSON logs in ``log``."""
    config = str(PROJECT_ROOT / "config" / "brain.toml")
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", SHIFTED_CLOCK, "--config", config, "--log-format", "json"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
        )  # fmt: skip


@contextlib.contextmanager
def daemon_on_shifted_clock(
    tmp_path: Path, listener: NotifyListener, start: datetime, poll_s: float, **extra_env: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """The Pi's daemon on a clock that reads ``start`` at first: ``(process, offset file, log)``.

    Its data root is ``tmp_path / "data"``, its notifications go to ``listener``. When the
    block ends the daemon is stopped with SIGTERM and must exit 0; if the block failed it is
    killed. The listener is closed either way; ``listener.messages`` keeps what it received.
    """
    offset_file, log = tmp_path / "offset", tmp_path / "daemon.log"
    env = clean_env(
        GPIOZERO_PIN_FACTORY="mock",
        DRILL_CLOCK_OFFSET_FILE=str(offset_file),
        DRILL_CLOCK_START=repr(start.timestamp()),
        BRAIN_DATA_ROOT=str(tmp_path / "data"),
        BRAIN_POLL_INTERVAL_S=str(poll_s),
        **listener.env,
        **extra_env,
    )
    process = start_on_shifted_clock(env, log)
    try:
        yield process, offset_file, log
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        listener.close()


def polls_after(listener: NotifyListener, count: int, timeout: float = 60) -> list[datetime]:
    """Wait for ``count`` more polls than seen so far; the last-poll times of all of them."""
    wanted = len(listener.statuses()) + count
    listener.wait_for(lambda _m: len(listener.statuses()) >= wanted, timeout=timeout)
    return [s.last_poll for s in listener.statuses() if s.last_poll is not None]


def local(stamp: datetime) -> datetime:
    return stamp.astimezone(SITE)


def test_wall_clock_steps_back_and_forward_across_midnight(tmp_path: Path) -> None:
    listener = NotifyListener(tmp_path / "notify.sock")
    midnight = START.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    with daemon_on_shifted_clock(tmp_path, listener, START, POLL_S) as (_, offset_file, log):
        listener.wait_for(is_ready, timeout=30)
        listener.wait_for(
            lambda m: (s := m.status) is not None and bool(s.last_poll and s.last_poll > midnight), 30
        )
        polls_after(listener, 2)
        before_back = len(listener.statuses())
        step_clock(offset_file, -3600)  # NTP steps the clock back an hour: it is 23:00 on 1 June again
        polls_after(listener, 4)
        before_forward = len(listener.statuses())
        step_clock(offset_file, 3 * 3600)  # ...then forward three hours: 02:00 on 2 June
        polls_after(listener, 4)
    messages = listener.messages

    events = log_events(log)
    statuses = [(m, s) for m in messages if (s := m.status) is not None and not s.ready]
    check_steps_logged(events)
    check_no_burst_no_stall(statuses)
    stamps = [s.last_poll for _, s in statuses]
    assert all(s is not None for s in stamps)
    phases = [stamps[:before_back], stamps[before_back:before_forward], stamps[before_forward:]]
    # Before the step back: up to just past midnight; then 23:00 of 1 June; after the step forward, 02:00.
    assert local(phases[0][0]).date() == START.date() and local(phases[0][-1]) >= midnight
    assert all(local(t).date() == START.date() and local(t).hour == 23 for t in phases[1][1:])
    assert all(local(t).date() == midnight.date() and local(t).hour == 2 for t in phases[2][1:])
    check_records_follow_their_timestamps(tmp_path / "data")


def check_steps_logged(events: list[dict[str, object]]) -> None:
    """Two steps, each logged with its size; the missed polls of the forward step coalesced into one."""
    steps = [float(e["step_s"]) for e in events if e["event"] == "wall_clock_stepped"]  # type: ignore[arg-type]
    assert len(steps) == 2, steps
    assert abs(steps[0] + 3600) < 1.5 and abs(steps[1] - 3 * 3600) < 1.5, steps
    assert any(e["event"] == "job_reanchored" and e["job"] == "poll" for e in events)
    coalesced = [e for e in events if e["event"] == "job_runs_coalesced" and e["job"] == "poll"]
    # The step's hours of polls are one coalescing; a machine so loaded that the daemon falls a
    # poll or two behind afterwards (three CPU hogs beside the suite) may log a small one too.
    stepped = [e for e in coalesced if int(e["missed"]) > 10]  # type: ignore[call-overload]
    assert len(stepped) == 1, coalesced
    assert abs(int(stepped[0]["missed"]) - 3 * 3600 / POLL_S) <= 4  # type: ignore[call-overload]
    assert not [e for e in events if e["level"] == "error"], "a clock step is not an error"


def check_no_burst_no_stall(statuses: list[tuple[Message, object]], poll_s: float = POLL_S) -> None:
    """Polls kept to the interval on the monotonic clock, whatever the wall clock did.

    Judged over the whole span, with room for a loaded machine: a burst is more polls than the
    interval allows (plus three), a stall 5 s without one, and missing polls fewer than half.
    """
    received = [m.received for m, _ in statuses]
    elapsed = received[-1] - received[0]
    gaps = [b - a for a, b in itertools.pairwise(received)]
    assert len(received) - 1 <= elapsed / poll_s + 3, "a burst: more polls than the interval allows"
    assert max(gaps) < 5.0, f"a stall: {max(gaps):.2f} s without a poll"
    assert len(received) - 1 >= elapsed / poll_s * 0.5, "polls went missing"
    print(f"clock jumps: {len(received)} polls in {elapsed:.2f} s monotonic, longest gap {max(gaps):.2f} s")


def check_records_follow_their_timestamps(data_root: Path) -> None:
    """Every record sits in the run directory of its own site-local date, even after a step back."""
    records = validate_data_root(data_root)
    assert records["observations"] and len(records["observations"]) == len(records["device_status"])
    for path in part_files(data_root):
        day = datetime.strptime(path.parent.name, "run_%Y%m%d").date()
        stream = path.name.split(".")[0]
        for line in path.read_bytes().splitlines():
            stamp = STREAMS[stream].model_validate_json(line).timestamp  # type: ignore[attr-defined]
            assert local(stamp).date() == day, f"{path}: a record of {local(stamp)}"
    first_day = [
        local(o.timestamp)  # type: ignore[attr-defined]
        for o in records["observations"]
        if local(o.timestamp).date() == START.date()  # type: ignore[attr-defined]
    ]
    assert any(t.hour == 23 and t.minute == 59 for t in first_day), "polls before midnight"
    assert any(t.hour == 23 and t.minute == 0 for t in first_day), (
        "polls after the step back, in 1 June's run"
    )
