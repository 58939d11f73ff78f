"""Start brain-daemon lives in milliseconds: a fresh interpreter imports brain once, then forks a life.

Why: a drill that kills the daemon 50 times in a row must not spend 50 times the
0.2 s a new interpreter needs to import pydantic, structlog and brain. The
launcher is itself a fresh ``python`` process (no pytest, no coverage tracer);
it imports the daemon's modules, then for every request forks a child that runs
``brain.cli.daemon_main(argv)`` (or ``tools_main``, the ``brain`` program) from
argument parsing on, exactly as the console script does, with its own environment,
its own stdout and stderr files (line buffered, as ``PYTHONUNBUFFERED=1`` in the
systemd unit makes them), its own working folder if asked, and its own pid, which
the test signals directly. Nothing of a child survives it.

Protocol (JSON lines): the test writes ``{"argv": [...], "env": {...}, "out": PATH,
"err": PATH, "program": "brain-daemon" or "brain", "cwd": PATH or null}`` and the
launcher answers ``{"pid": N}`` at once; the test signals the life as it likes, then
writes ``{"wait": N}`` and the launcher answers ``{"pid": N, "status": S}`` once the
child has ended (``S`` as ``subprocess`` reports it: the exit code, or minus the
signal number). A life is reaped only when waited for, so its pid stays its own (a
zombie at worst) for as long as the test may signal it.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT


def _child(request: dict[str, Any]) -> int:
    """Become one daemon life: environment, stdout and stderr, then ``daemon_main``."""
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = io.TextIOWrapper(open(1, "wb", 0, closefd=False), write_through=True)  # noqa: SIM115
    sys.stderr = io.TextIOWrapper(open(2, "wb", 0, closefd=False), write_through=True)  # noqa: SIM115
    if request.get("cwd"):
        os.chdir(request["cwd"])
    from brain.cli import daemon_main, tools_main

    main = tools_main if request.get("program") == "brain" else daemon_main
    try:
        return main(request["argv"])
    except SystemExit as exc:  # argparse's usage errors
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
        return 1


def serve() -> None:
    """The launcher's loop: each request forks a life (answer: its pid) or reaps one (answer: its status)."""
    # What every life imports, imported once here (the CLI defers it so that --help stays fast).
    import brain.daemon.builder  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        if "wait" in request:  # reaped only when asked: until then the pid cannot be reused
            _, wait_status = os.waitpid(request["wait"], 0)
            print(
                json.dumps({"pid": request["wait"], "status": os.waitstatus_to_exitcode(wait_status)}),
                flush=True,
            )
            continue
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                status = _child(request)
            finally:
                os._exit(status)
        print(json.dumps({"pid": pid}), flush=True)


class Launcher:
    """The test's end of the launcher: start a life, learn its pid, later its exit status."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAIN_", "COVERAGE_"))}
        env.pop("NOTIFY_SOCKET", None)
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from tests.reliability.launcher import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=PROJECT_ROOT,
        )
        self._unread = b""
        self.base_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}

    def start(
        self,
        argv: list[str],
        *,
        out: Path,
        err: Path,
        env: dict[str, str] | None = None,
        program: str = "brain-daemon",
        cwd: Path | None = None,
    ) -> int:
        """Fork a life running ``brain-daemon ARGV`` (or ``brain ARGV``) in ``cwd``; return its pid."""
        request = {"argv": argv, "env": {**self.base_env, **(env or {})}, "out": str(out), "err": str(err)}
        self._send({**request, "program": program, "cwd": str(cwd) if cwd else None})
        pid: int = self._answer(timeout=30)["pid"]
        return pid

    def _send(self, request: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()

    def wait(self, pid: int, timeout: float = 60) -> int:
        """The exit status of life ``pid`` (minus the signal number if a signal ended it).

        A life still running after ``timeout`` seconds is killed and the test fails:
        a hung daemon must not hang the test run.
        """
        self._send({"wait": pid})
        try:
            answer = self._answer(timeout)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            self._answer(timeout=30)
            raise AssertionError(f"daemon life {pid} still running after {timeout} s: killed") from None
        assert answer["pid"] == pid, answer
        status: int = answer["status"]
        return status

    def _answer(self, timeout: float) -> dict[str, Any]:
        """The launcher's next line, within ``timeout`` seconds."""
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._unread:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                raise EOFError("the launcher ended")
            self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """End the launcher (its stdin closes, its loop ends)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
