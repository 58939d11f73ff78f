"""Run brain the way a user does (a fresh Python process) and read what it wrote."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain.storage import MANIFEST_NAME
from tests.conftest import PROJECT_ROOT

SIMULATE_DAY = PROJECT_ROOT / "scripts" / "simulate_day.py"
DAEMON = ("-c", "import sys; from brain.cli import daemon_main; sys.exit(daemon_main())")
"""``python DAEMON ...`` is ``brain-daemon ...`` without depending on the console script's path."""


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30, every: float = 0.05) -> None:
    """Poll ``condition`` every ``every`` seconds until true; fail naming ``what`` after ``timeout`` s.

    The one wait of the suite for something a process or thread makes happen: never a fixed sleep
    (a loaded machine outlasts any grace period), always a condition with a generous deadline.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without brain's settings or a systemd socket, the project importable, plus ``extra``.

    Why: a developer's ``BRAIN_*`` variables or an inherited ``NOTIFY_SOCKET`` would
    change what a child daemon does; each test says what it wants.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_") and k != "NOTIFY_SOCKET"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), **extra)
    return env


def notify_server(path: Path, *, timeout: float = 20) -> socket.socket:
    """A datagram socket at ``path`` standing in for systemd's ``NOTIFY_SOCKET``."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(timeout)
    return server


def read_stream(data_root: Path, stream: str) -> list[dict[str, Any]]:
    """Every record of ``stream`` under ``data_root``, in file order (plain JSON, no brain code)."""
    out: list[dict[str, Any]] = []
    for path in sorted(data_root.glob(f"run_*/{stream}.*.jsonl")):
        out += [json.loads(line) for line in path.read_text().splitlines()]
    return out


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    data_root: Path

    def files(self) -> dict[str, bytes]:
        """Every file under the data root but its manifest, by relative path, as bytes.

        The manifest is left out: it records when each start happened (the wall
        clock), so two runs that wrote the same records differ there and only there.
        """
        return {
            str(p.relative_to(self.data_root)): p.read_bytes()
            for p in sorted(self.data_root.rglob("*"))
            if p.is_file() and p.relative_to(self.data_root) != Path(MANIFEST_NAME)
        }

    def manifest(self) -> dict[str, Any]:
        """The data root's manifest as plain JSON (what any reader sees)."""
        loaded: dict[str, Any] = json.loads((self.data_root / MANIFEST_NAME).read_text())
        return loaded

    def records(self, stream: str) -> list[dict[str, Any]]:
        """Every record of ``stream``, in file order."""
        return read_stream(self.data_root, stream)

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines the process printed on stdout."""
        events = []
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                events.append(json.loads(line))
        return events


def run_process(
    args: list[str], data_root: Path, *, timeout: float = 120, env: dict[str, str] | None = None
) -> Run:
    """Run ``python ARGS`` with the project importable, JSON logs, no terminal."""
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**(env or {})),
        cwd=PROJECT_ROOT,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr, data_root)


def simulate_day(data_root: Path, *extra: str, timeout: float = 120) -> Run:
    """``scripts/simulate_day.py --time-scale 0`` into ``data_root``."""
    args = [str(SIMULATE_DAY), "--output-dir", str(data_root), "--time-scale", "0", *extra]
    return run_process(args, data_root, timeout=timeout)


def daemon(data_root: Path, *extra: str, timeout: float = 120, env: dict[str, str] | None = None) -> Run:
    """``brain-daemon --output-dir DATA_ROOT ...`` as a fresh process."""
    return run_process(
        [*DAEMON, "--output-dir", str(data_root), "--log-format", "json", *extra],
        data_root,
        timeout=timeout,
        env=env,
    )
