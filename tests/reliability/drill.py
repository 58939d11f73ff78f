"""What every drill needs: a NOTIFY_SOCKET of our own, and checks on what a data root holds."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from brain.contracts import STREAMS
from brain.storage.dataset import parse_part_name
from tests.conftest import PROJECT_ROOT
from tests.runs import DAEMON, clean_env

_STATUS = re.compile(
    r"STATUS=last poll (?P<last>\S+); (?P<observations>\d+) observations"
    r"(?:.*storage backlog (?P<backlog>\d+))?"
)


@dataclass(frozen=True)
class Message:
    """One sd_notify datagram and when (``time.monotonic``) the test received it."""

    text: str
    received: float

    @property
    def status(self) -> Status | None:
        """The STATUS line it carries, parsed, or ``None``."""
        match = _STATUS.search(self.text)
        if match is None:
            return None
        last = match["last"]
        return Status(
            last_poll=None if last == "never" else datetime.fromisoformat(last),
            observations=int(match["observations"]),
            backlog=int(match["backlog"] or 0),
            ready=self.text.startswith("READY=1"),
        )


@dataclass(frozen=True)
class Status:
    """``STATUS=last poll T; N observations, ...[, storage backlog B (disk refusing writes)]``."""

    last_poll: datetime | None
    observations: int
    backlog: int
    ready: bool


class NotifyListener:
    """A datagram socket standing in for systemd's: collects every message the daemon sends.

    A thread reads continuously, because a daemon whose messages are not read
    blocks in ``sendto`` once the socket's queue is full (``net.unix.max_dgram_qlen``,
    10 here), and a blocked daemon is not the daemon we want to drill.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(path))
        self._socket.settimeout(0.05)
        self._messages: list[Message] = []
        self._changed = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def env(self) -> dict[str, str]:
        """The environment that points a daemon at this socket."""
        return {"NOTIFY_SOCKET": str(self.path)}

    def _read(self) -> None:
        while not self._closing:
            self._receive_one()

    def _receive_one(self) -> bool:
        try:
            data = self._socket.recv(65536)
        except (TimeoutError, BlockingIOError):
            return False
        with self._changed:
            self._messages.append(Message(data.decode(), time.monotonic()))
            self._changed.notify_all()
        return True

    @property
    def messages(self) -> list[Message]:
        with self._changed:
            return list(self._messages)

    def statuses(self) -> list[Status]:
        """Every STATUS the daemon sent after a poll (READY's own status line left out)."""
        return [s for m in self.messages if (s := m.status) is not None and not s.ready]

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float) -> Message:
        """The first message (old or new) for which ``predicate`` holds; fail after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self._messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no such message within {timeout} s; got {self._messages[-3:]}")
                self._changed.wait(remaining)

    def close(self) -> list[Message]:
        """Stop reading, take what is still queued (a dead sender's datagrams stay queued) and close."""
        self._closing = True
        self._thread.join()
        self._socket.setblocking(False)
        while self._receive_one():
            pass
        self._socket.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return self.messages


def is_ready(message: Message) -> bool:
    return message.text.startswith("READY=1")


def polled(count: int) -> Callable[[Message], bool]:
    """A :meth:`NotifyListener.wait_for` predicate: the daemon has stored ``count`` observations."""

    def done(message: Message) -> bool:
        status = message.status
        return status is not None and not status.ready and status.observations >= count

    return done


def part_files(data_root: Path) -> list[Path]:
    """Every plain part file under ``data_root``, in date then stream then number order."""
    return sorted(data_root.glob("run_*/*.jsonl"))


def complete_lines(data: bytes) -> bytes:
    """``data`` up to and including its last newline: the records a file holds for sure."""
    return data[: data.rfind(b"\n") + 1]


def validate_data_root(data_root: Path) -> dict[str, list[BaseModel]]:
    """Every line of every part parsed with its stream's strict contract; the records, per stream.

    Any line that does not validate fails the drill, naming file and line.
    """
    records: dict[str, list[BaseModel]] = {stream: [] for stream in STREAMS}
    for path in part_files(data_root):
        parsed = parse_part_name(path.name)
        assert parsed is not None, f"unexpected file {path}"
        model = STREAMS[parsed[0]]
        data = path.read_bytes()
        assert not data or data.endswith(b"\n"), f"{path} ends with a partial line"
        for number, line in enumerate(data.splitlines(), 1):
            try:
                records[parsed[0]].append(model.model_validate_json(line))
            except ValueError as exc:
                raise AssertionError(f"{path}:{number} is not a valid {model.__name__}: {exc}") from exc
    return records


def stream_bytes(data_root: Path, stream: str) -> bytes:
    """The lines of ``stream``, every part in order, as one byte string."""
    return b"".join(p.read_bytes() for p in part_files(data_root) if p.name.startswith(f"{stream}."))


def log_events(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines a life wrote to ``path`` (a killed life may leave a last line cut short)."""
    events = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
    return events


@dataclass
class Process:
    """A daemon started in the background; its JSON log goes to a file, so it never blocks on a pipe."""

    popen: subprocess.Popen[bytes]
    log: Path

    def finish(self, timeout: float = 60) -> int:
        """Wait for the daemon to end by itself; its exit status."""
        return self.popen.wait(timeout=timeout)

    def events(self) -> list[dict[str, Any]]:
        return log_events(self.log)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The daemon stopped (SIGSTOP) for the block, then continued (SIGCONT).

        Why: a fault made while the daemon runs races it (``rmtree`` against the daemon
        recreating files; a paced run reaching the moment the fault was meant to precede while
        a loaded machine keeps the test waiting). Made while it is stopped, the fault lands
        between two of its steps, at a moment the test has seen, whatever the machine's load.
        """
        self.popen.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.popen.send_signal(signal.SIGCONT)


def start_daemon(
    data_root: Path,
    *args: str,
    log: Path,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Process:
    """``brain-daemon --output-dir DATA_ROOT ARGS`` as a fresh process in the background (JSON logs).

    ``prefix`` goes before the command (``setpriv ...`` to run without root's bypass).
    """
    full_env = clean_env(**(env or {}))
    command = [
        *prefix,
        sys.executable,
        *DAEMON,
        "--output-dir",
        str(data_root),
        "--log-format",
        "json",
        *args,
    ]
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=PROJECT_ROOT
        )
    return Process(popen, log)


@contextlib.contextmanager
def mounted_tmpfs(mount_point: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``mount_point`` for the block, then unmounted.

    Skips where this system will not mount (not root), except under ``CI``, where
    the drill must run and a refusal fails it.
    """
    mount_point.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to mount a tmpfs: {mounted.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


MEASURED = """
import sys
from brain.cli import daemon_main
status = daemon_main(sys.argv[1:])
with open("/proc/self/status") as status_file:
    print(*[line for line in status_file if line.startswith("VmHWM:")], file=sys.stderr)
sys.exit(status)
"""
"""Runs the daemon and prints its peak resident memory (VmHWM) at exit.

Not ``getrusage``: its ``ru_maxrss`` survives ``exec``, so a daemon forked from a
large pytest process (with the coverage tracer, about 130 MB) would report the
parent's size, not its own. VmHWM belongs to the new program's memory alone.
"""


def measured_simulation(data_root: Path, days: int) -> tuple[list[str], dict[str, str]]:
    """Command line and environment of a ``days``-day simulation into ``data_root`` reporting its VmHWM.

    The environment drops ``BRAIN_`` settings and the coverage hooks of the test run, so the
    figure is the daemon's own.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAIN_", "COVERAGE_"))}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    args = ["--simulate", "--duration-hours", str(24 * days), "--output-dir", str(data_root)]
    return [sys.executable, "-c", MEASURED, *args, "--log-format", "json"], env
