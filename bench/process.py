"""Run a command the way a user does (a fresh process) and measure it: wall time and peak memory.

Why ``os.wait4``: it returns the resource usage of exactly that child, so the
peak RSS of one run is not mixed with earlier ones (``RUSAGE_CHILDREN`` keeps
the maximum over every child the bench ever waited for).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAEMON = ["-c", "import sys; from brain.cli import daemon_main; sys.exit(daemon_main())"]
"""``python DAEMON ...`` is ``brain-daemon ...`` without depending on the console script's path."""


PEAK_AT_EXIT = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as f:\n"
    "        print(*[l for l in f if l.startswith(('VmHWM:', 'RssAnon:'))], file=sys.stderr, sep='', end='')\n"
    "atexit.register(_peak)\n"
)
"""Prepended to a ``-c`` command: at exit the child prints its own peak resident size (``VmHWM``)
and its anonymous resident memory then (``RssAnon``: its heap, without the pages of shared
libraries, whose count moves by a megabyte with the page cache's state: 17.7 to 18.7 MB of
``VmHWM`` for ``import pydantic`` on one day, its ``RssAnon`` 9.26 MB each time).

``VmHWM`` belongs to the program after ``exec`` alone (tests/reliability/drill.py reads it the
same way); ``atexit`` runs on ``sys.exit`` and on a normal end, which every measured command takes.
"""


@dataclass(frozen=True)
class Measured:
    """One fresh-process run."""

    wall_s: float
    peak_rss_mb: float
    cpu_s: float = 0.0
    """User plus system CPU time of the child: what it cost, whatever else the machine was doing."""
    anon_mb: float = 0.0
    """Anonymous resident memory at exit (``RssAnon``; ``-c`` commands only, else 0)."""


def run(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    python: str = sys.executable,
    cwd: Path = ROOT,
) -> Measured:
    """Run ``python ARGS`` (by default this interpreter, from the project root), output discarded; raise if it fails.

    The peak is the child's own ``VmHWM``, printed by the child at exit (see
    :data:`PEAK_AT_EXIT`) for ``-c CODE`` commands: a child's ``ru_maxrss`` is never below
    this process's resident size when it was started (Linux carries the parent's
    high-water mark across fork and exec), so ``make bench``, whose process holds some
    180 MB by the time it starts the uplink, read 183.8 MB for a 38 MB uplink. Only a
    command that is not ``-c CODE`` falls back to ``ru_maxrss``.
    """
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_") and k != "NOTIFY_SOCKET"}
    full_env.update(env or {})
    started = time.perf_counter()
    if args[:1] == ["-c"]:
        args = ["-c", PEAK_AT_EXIT + args[1], *args[2:]]
    proc = subprocess.Popen(
        [python, *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited {proc.returncode}: {stderr[-2000:]}")
    own = re.search(r"^VmHWM:\s+(\d+) kB", stderr, flags=re.M)
    peak_kb = int(own.group(1)) if own else usage.ru_maxrss
    anon = re.search(r"^RssAnon:\s+(\d+) kB", stderr, flags=re.M)
    return Measured(
        wall_s=wall,
        peak_rss_mb=peak_kb / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        anon_mb=int(anon.group(1)) / 1024 if anon else 0.0,
    )


def median_wall(args: list[str], repeat: int, *, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``repeat`` fresh runs, seconds."""
    return statistics.median(run(args, env=env).wall_s for _ in range(repeat))


def tree_bytes(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def deployed_python(directory: Path, extras: str = "") -> tuple[str | None, str]:
    """A venv in ``directory`` with ``pip install .EXTRAS`` as a Pi installs brain: its python, or None and why.

    Why: the dev venv holds ``rich`` (brought in by import-linter, never by brain), which
    structlog's console renderer imports whenever it is installed: some 4 MB of heap that a
    Pi's install never has. Making the venv takes some 15 s from pip's cache.
    """
    venv = directory / "deployed-venv"
    python = str(venv / "bin" / "python")
    try:
        if not venv.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", f"{ROOT}{extras}"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        reason = exc.stderr.decode(errors="replace").strip().splitlines() if exc.stderr else []
        return None, f"pip install .{extras} failed: {reason[-1] if reason else exc}"
    found = subprocess.run([python, "-c", "import rich"], capture_output=True, check=False)
    if found.returncode == 0:
        return None, "the deployed venv has rich (a dependency brought it in): not the Pi's install"
    return python, f"pip install .{extras}"
