"""Supervision drills: what systemd (or a shell) does to the daemon besides SIGTERM.

Each drill runs ``brain-daemon`` as a process and judges it from outside (exit status,
JSON log, notify datagrams, the data root):

- the wall clock reads 1970 (a Pi without a real-time clock, before NTP): READY, then
  polls at the configured interval and WATCHDOG=1 from the watchdog job, until NTP
  steps the clock to 2026 and the polls carry 2026 times;
- a ``NOTIFY_SOCKET`` nobody reads: the daemon drops what it cannot send, keeps polling
  and stops on SIGTERM with exit 0;
- SIGHUP and SIGUSR1: answered (a flush, a status line), the daemon runs on, nothing lost;
- stdout closed under the daemon (``brain-daemon ... | head -1``): the run completes.
"""

from __future__ import annotations

import itertools
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT
from tests.reliability.drill import (
    NotifyListener,
    is_ready,
    log_events,
    polled,
    start_daemon,
    validate_data_root,
)
from tests.reliability.test_clock_jumps import check_no_burst_no_stall, daemon_on_shifted_clock, step_clock
from tests.runs import DAEMON, clean_env, wait_until

POLL_S = 0.5
WATCHDOG_USEC = 400_000
"""systemd's WatchdogSec=0.4 s: the watchdog job pings every 0.2 s, more often than the polls."""
EPOCH_START = datetime(1970, 1, 1, 0, 0, 7, tzinfo=UTC)
"""What the daemon's wall clock reads at first: a Pi that booted without a real-time clock."""
NTP_STEP_S = datetime(2026, 6, 1, tzinfo=UTC).timestamp() - EPOCH_START.timestamp()


def test_a_wall_clock_in_1970_still_polls_and_pings_the_watchdog(tmp_path: Path) -> None:
    listener = NotifyListener(tmp_path / "notify.sock")
    watchdog = {"WATCHDOG_USEC": str(WATCHDOG_USEC)}
    with daemon_on_shifted_clock(tmp_path, listener, EPOCH_START, POLL_S, **watchdog) as (
        _,
        offset_file,
        log,
    ):
        listener.wait_for(is_ready, timeout=30)
        ready_at = time.monotonic()
        listener.wait_for(lambda _m: len(listener.statuses()) >= 6, timeout=30)
        in_1970 = len(listener.messages)
        step_clock(offset_file, NTP_STEP_S)  # NTP answers: the clock jumps to 2026
        # Generous: coalescing 56 years of missed runs takes 1.3 s of a quiet machine's CPU, and a
        # loaded one with the coverage tracer took over 15 s.
        listener.wait_for(
            lambda m: (s := m.status) is not None and bool(s.last_poll and s.last_poll.year == 2026), 90
        )
    messages = listener.messages

    early = [m for m in messages[:in_1970] if m.received >= ready_at]
    polls = [(m.received, s.last_poll) for m in early if (s := m.status) is not None and not s.ready]
    assert len(polls) >= 6 and all(stamp is not None and stamp.year == 1970 for _, stamp in polls)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(polls)]
    # On the grid: one poll per interval, judged over the whole span (a machine busy with other
    # work delays a poll, and the next one, on the grid, then comes sooner: so no single gap is judged).
    check_no_burst_no_stall([(m, None) for m in early if (s := m.status) is not None and not s.ready], POLL_S)
    pings = [m.received for m in early if m.text == "WATCHDOG=1"]
    # One ping per poll, plus the watchdog job's every 0.2 s: more pings than polls, none far apart
    # (far: a stall of the daemon, beyond what a loaded machine's scheduling delays).
    assert len(pings) >= 1.5 * len(polls), (len(pings), len(polls))
    assert max(b - a for a, b in itertools.pairwise(pings)) < 4 * POLL_S, "the job pings between polls"
    events = log_events(log)
    implausible = [e for e in events if e["event"] == "wall_clock_implausible"]
    assert len(implausible) == 1 and implausible[0]["level"] == "warning"
    assert implausible[0]["now"].startswith("1970-01-01")
    assert [e["event"] for e in events if e["event"] == "wall_clock_plausible"] == ["wall_clock_plausible"]
    assert any(e["event"] == "wall_clock_stepped" for e in events)
    print(
        f"clock in 1970: {len(polls)} polls {min(gaps):.2f}-{max(gaps):.2f} s apart, {len(pings)} pings, "
        f"longest gap between pings {max(b - a for a, b in itertools.pairwise(pings)):.2f} s"
    )


def test_a_notify_socket_nobody_reads_never_blocks_the_daemon(tmp_path: Path) -> None:
    deaf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # bound, never read: its queue fills
    deaf.bind(str(tmp_path / "notify.sock"))
    log = tmp_path / "daemon.log"
    try:
        # 600x: a simulated minute every 0.1 s; the queue (10 datagrams here) is full after 5 polls.
        process = start_daemon(
            tmp_path / "data", "--simulate", "--time-scale", "600", "--duration-hours", "24",
            log=log, env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")},
        )  # fmt: skip
        try:
            first_drop = _wait_for_event(log, "sd_notify_failed", timeout=30)
            wait_until(
                lambda: _lines(tmp_path / "data", "observations") >= 40, "40 observations", timeout=60
            )  # it polls on
            process.popen.send_signal(signal.SIGTERM)
            assert process.finish(timeout=20) == 0, log.read_text()[-3000:]
        finally:
            process.kill()
    finally:
        deaf.close()
    events = log_events(log)
    stopped = next(e for e in events if e["event"] == "daemon_stopped")
    assert first_drop["level"] == "warning" and "unavailable" in first_drop["error"]
    assert stopped["notify_dropped"] >= 20, "polls went on and their notifications were dropped"
    dropped_logged = [e for e in events if e["event"] == "sd_notify_failed"]
    assert len(dropped_logged) <= 1 + stopped["notify_dropped"] // 100, "drops are logged once per 100"
    assert any(e["event"] == "stop_requested" and e["signal"] == "SIGTERM" for e in events)
    observations = validate_data_root(tmp_path / "data")["observations"]
    assert len(observations) == stopped["observations"] >= 25
    print(
        f"deaf notify socket: {stopped['observations']} polls, {stopped['notify_dropped']} messages dropped, "
        f"{len(dropped_logged)} logged, SIGTERM exit 0"
    )


def test_sighup_flushes_sigusr1_reports_and_neither_stops_the_daemon(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"
    listener = NotifyListener(tmp_path / "notify.sock")
    process = start_daemon(
        tmp_path / "data", "--simulate", "--time-scale", "600", "--duration-hours", "24", log=log,
        env=listener.env,
    )  # fmt: skip
    try:
        listener.wait_for(polled(3), timeout=30)  # records written, to be flushed
        process.popen.send_signal(signal.SIGHUP)
        flushed = _wait_for_event(log, "sighup_flushed", timeout=30)
        process.popen.send_signal(signal.SIGUSR1)
        status = _wait_for_event(log, "status", timeout=30)
        polls = len(listener.statuses())
        listener.wait_for(lambda _m: len(listener.statuses()) >= polls + 3, timeout=30)
        assert process.popen.poll() is None, "SIGHUP and SIGUSR1 leave the daemon running"
        process.popen.send_signal(signal.SIGTERM)
        assert process.finish(timeout=20) == 0, log.read_text()[-3000:]
    finally:
        process.kill()
        listener.close()
    stopped = next(e for e in log_events(log) if e["event"] == "daemon_stopped")
    assert flushed["level"] == "info" and 0 < flushed["storage_written"] < stopped["storage_written"]
    assert status["status"].startswith("last poll 2026-06-01T") and "observations" in status["status"]
    observations = validate_data_root(tmp_path / "data")["observations"]
    assert len(observations) == stopped["observations"] > int(status["status"].split("; ")[1].split()[0])
    print(
        f"SIGHUP/SIGUSR1: flushed at {flushed['storage_written']} records, status logged, "
        f"{stopped['observations']} polls stored, SIGTERM exit 0"
    )


def test_sighup_inherited_as_ignored_stays_ignored(tmp_path: Path) -> None:
    """``nohup brain-daemon ...``: the caller asked for hang-ups to be ignored, and they are."""
    nohup = "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN); " + DAEMON[1].removeprefix(
        "import sys; "
    )
    log = tmp_path / "daemon.log"
    listener = NotifyListener(tmp_path / "notify.sock")
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-c", "import sys; " + nohup, "--output-dir", str(tmp_path / "data"),
             "--log-format", "json", "--simulate", "--time-scale", "600"],
            stdout=out, stderr=subprocess.STDOUT, env=clean_env(**listener.env), cwd=PROJECT_ROOT,
        )  # fmt: skip
    try:
        listener.wait_for(polled(1), timeout=30)
        popen.send_signal(signal.SIGHUP)
        # A hang-up that was not ignored would end it at once, before it polls again: three more polls.
        polls = len(listener.statuses())
        listener.wait_for(lambda _m: len(listener.statuses()) >= polls + 3, timeout=30)
        assert popen.poll() is None
        popen.send_signal(signal.SIGTERM)
        assert popen.wait(timeout=20) == 0
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()
        listener.close()
    assert not [e for e in log_events(log) if e["event"] == "sighup_flushed"]


def test_a_closed_stdout_never_stops_a_run(tmp_path: Path) -> None:
    """``brain-daemon --simulate ... | head -1``: the reader goes, the run completes, nothing is lost."""
    popen = subprocess.Popen(
        [sys.executable, *DAEMON, "--output-dir", str(tmp_path / "data"), "--log-format", "json",
         "--simulate", "--duration-hours", "6", "--time-scale", "7200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(), cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert popen.stdout is not None and popen.stderr is not None
    first = popen.stdout.readline()  # head -1
    popen.stdout.close()
    try:
        status = popen.wait(timeout=60)
        stderr = popen.stderr.read().decode()
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()
        popen.stderr.close()
    assert first.startswith(b"{")
    assert status == 0, stderr
    assert "log_stream_closed" in stderr and "Traceback" not in stderr, stderr
    records = validate_data_root(tmp_path / "data")
    assert len(records["observations"]) == 6 * 60, "every poll of the run was stored"
    print(f"closed stdout: {len(records['observations'])} of {6 * 60} polls stored, exit 0")


def _lines(data_root: Path, stream: str) -> int:
    """Whole lines in the parts of ``stream``."""
    return sum(p.read_bytes().count(b"\n") for p in data_root.glob(f"run_*/{stream}.*.jsonl"))


def _wait_for_event(log: Path, event: str, timeout: float) -> dict[str, Any]:
    """The first JSON log line of ``event`` the daemon wrote to ``log``; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in log_events(log):
            if entry["event"] == event:
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no {event} within {timeout} s: {log.read_text()[-2000:]}")
