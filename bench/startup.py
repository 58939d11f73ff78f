"""Start-up: ``brain-daemon --help`` and the time to READY, beside ``python -c pass``.

READY is the sd_notify datagram the daemon sends once its parts are built and the
loop is about to start (what systemd waits for with ``Type=notify``); it is
measured on a simulated run with a notify socket owned by this bench.
Run: ``python bench/startup.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from process import DAEMON, ROOT, median_wall


def time_to_ready() -> float:
    """Seconds from starting ``brain-daemon --simulate`` to its READY=1 datagram."""
    with tempfile.TemporaryDirectory() as tmp:
        address = str(Path(tmp) / "notify.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(address)
        server.settimeout(30)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_")}
        env["NOTIFY_SOCKET"] = address
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *DAEMON, "--simulate", "--time-scale", "1", "--output-dir", str(Path(tmp) / "d"),
             "--log-format", "json"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while not server.recv(4096).startswith(b"READY=1"):
                pass
            ready = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            server.close()
        return ready


def measure(repeat: int = 5) -> dict[str, float]:
    """Median seconds of each start-up figure."""
    return {
        "python_pass_s": median_wall(["-c", "pass"], repeat),
        "help_s": median_wall([*DAEMON, "--help"], repeat),
        "ready_s": statistics.median(time_to_ready() for _ in range(repeat)),
    }


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    f = measure(parser.parse_args().repeat)
    print(f"python -c pass              {f['python_pass_s']:6.3f} s")
    print(f"brain-daemon --help         {f['help_s']:6.3f} s")
    print(
        f"brain-daemon to READY=1     {f['ready_s']:6.3f} s  (--simulate, parts built, loop about to start)"
    )


if __name__ == "__main__":
    main()
