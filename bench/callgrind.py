"""Instructions counted by callgrind: figures that do not move with the machine's load.

Why: wall-clock figures on this shared VM swing by a factor of two from hour to hour
(docs/performance.md, "Method"), so a budget set in microseconds fails whatever the code
does. The number of instructions a piece of Python executes is the same on a quiet and on a
loaded machine (valgrind runs the program on a synthetic CPU, one instruction at a time).

How only the measured region is counted: the measured program brackets the region with
``os.getppid()`` (start) and ``os.getpgrp()`` (end), two calls neither Python's start-up nor
brain ever makes, and valgrind is run with ``--zero-before=getppid --dump-before=getpgrp``:
callgrind zeroes its counters as the region starts and writes one dump file as it ends, whose
``summary:`` line is the instructions executed in between. A first empty region measures the
brackets' own cost (about 800 instructions), subtracted from every later region. Where the
region cannot be bracketed (a whole fresh process, such as ``brain-daemon --replay``), two runs
of different lengths are counted and their difference divided by the difference in work: the
start-up, the imports and the shutdown cancel out.

``PYTHONHASHSEED=0`` keeps set and dict iteration orders the same from run to run, so two
runs agree to about 0.01 % (a replay of a day took 1,954,246,163 and 1,954,388,923 instructions
in two runs: the rest is the monotonic clock the writer reads to decide when a batch is due).
What is not counted: the kernel's side of system calls (an ``fsync`` counts as the few
instructions of its libc wrapper) and cache misses, so the count measures the code's own
work, not the disk or memory.

Valgrind is installed with apt-get when missing (``available()``); where it cannot be
(no apt-get, no root), the callers print a line saying so instead of a figure.
Run: ``python bench/callgrind.py`` (counts an empty region and a small loop: a self-check).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from process import ROOT

MARK_START = "os.getppid()"
"""The Python statement that starts a measured region (valgrind: ``--zero-before=getppid``)."""
MARK_END = "os.getpgrp()"
"""The Python statement that ends it (valgrind: ``--dump-before=getpgrp``)."""


def available() -> str | None:
    """None when valgrind can run; otherwise why not. Installs valgrind with apt-get when missing."""
    if shutil.which("valgrind") is None:
        if shutil.which("apt-get") is None:
            return "valgrind is not installed and there is no apt-get to install it"
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        if sudo and shutil.which("sudo") is None:
            return "valgrind is not installed and installing it needs root"
        print("installing valgrind (apt-get install valgrind) ...", file=sys.stderr, flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "valgrind"]):
            done = subprocess.run([*sudo, *step], env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                return (
                    f"valgrind is not installed and {' '.join(step[:2])} failed: {done.stderr.strip()[-200:]}"
                )
        if shutil.which("valgrind") is None:
            return "apt-get installed valgrind, but it is not on PATH"
    probe = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", "pass"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"valgrind cannot run here: {probe.stderr.strip()[-200:]}"
    return None


def _run(args: list[str], out: Path, *, bracketed: bool) -> tuple[list[int], int]:
    """Run ``python ARGS`` under callgrind; (instructions of each bracketed region, of the whole run).

    ``bracketed``: zero and dump at the marks (:data:`MARK_START`, :data:`MARK_END`); without it
    the whole run is one count, whatever the program calls.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_") and k != "NOTIFY_SOCKET"}
    env["PYTHONHASHSEED"] = "0"
    marks = ["--zero-before=getppid", "--dump-before=getpgrp"] if bracketed else []
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            *marks,
            f"--callgrind-out-file={out}/callgrind.out",
            sys.executable,
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"callgrind run of {args[:2]} exited {done.returncode}: {done.stderr[-2000:]}")
    regions: dict[int, int] = {}
    whole = 0
    for dump in out.glob("callgrind.out*"):
        text = dump.read_text(errors="replace")
        summary = int(re.search(r"^summary:\s+(\d+)", text, flags=re.M).group(1))  # type: ignore[union-attr]
        part = re.search(r"^part:\s+(\d+)", text, flags=re.M)
        if "Trigger: --dump-before=getpgrp" in text and part:
            regions[int(part.group(1))] = summary
        whole += summary
    return [regions[part] for part in sorted(regions)], whole


def regions(code: str) -> list[int]:
    """Instructions of each region ``code`` brackets with :data:`MARK_START` / :data:`MARK_END`.

    ``code`` runs as ``python -c`` with ``os`` imported; an empty region is measured first and
    its cost (the brackets themselves) is subtracted from each.
    """
    program = f"import os\n{MARK_START}\n{MARK_END}\n{code}"
    with tempfile.TemporaryDirectory(prefix="brain-callgrind-") as scratch:
        counts, _ = _run(["-c", program], Path(scratch), bracketed=True)
    if not counts:
        raise RuntimeError("callgrind wrote no region: the code never reached its end mark")
    empty, *measured = counts
    return [count - empty for count in measured]


def whole_run(args: list[str]) -> int:
    """Instructions of a whole fresh ``python ARGS`` process (start-up and imports included)."""
    with tempfile.TemporaryDirectory(prefix="brain-callgrind-") as scratch:
        return _run(args, Path(scratch), bracketed=False)[1]


def main() -> None:
    """Count a loop of 1,000 and one of 2,000 additions: the second about twice the first."""
    why = available()
    if why is not None:
        print(f"skipped: {why}")
        return
    loop = f"{MARK_START}\ns = 0\nfor i in range({{n}}):\n    s += i\n{MARK_END}\n"
    small, large = regions(loop.format(n=1000) + loop.format(n=2000))
    print(f"1,000 additions: {small:,} instructions; 2,000: {large:,} ({large / small:.2f}x)")


if __name__ == "__main__":
    main()
