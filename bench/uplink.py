"""The uplink's budgets on loopback (issue 19): backlog drain, live latency, memory, cursor writes.

- Backlog: a week of 1-minute records (``brain-daemon --simulate``) drained by a fresh
  ``brain uplink --exit-when-drained`` into a real Mosquitto: records per second, and
  how many times the daemon's production rate that is (required >= 20x), and how
  long one day of records takes. Peak RSS of that process (required <= 40 MB).
- Peak RSS twice, because the budget is for the uplink as deployed: once in a venv
  made here by ``pip install .[uplink]`` (what a Pi runs; the budget line), once in
  this (dev) venv, whose ``rich`` (pulled in by import-linter, never by brain) is
  imported by structlog's console renderer and adds some 4 MB. Making the deployed
  venv takes some 15 s (pip's cache); without network it is reported as not measured.
- Cursor writes: the same drain in this process, counting each stream's cursor
  writes (one fsync each) per second of drain (required <= 1).
- Live latency: a fresh observation written every half second by a real
  DatasetWriter while the uplink follows; time from ``write`` returning to the
  message on the live topic at a subscriber (required < 2 s).

Needs ``mosquitto`` on the PATH (Debian: ``apt-get install mosquitto``), and pip able to
reach the package index for the deployed venv.
Run: ``python bench/uplink.py``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import process

sys.path.insert(0, str(process.ROOT))

from tests.uplink.broker import Broker, Subscriber

TOOLS = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"
IMPORTS = (
    "import brain.cli, brain.uplink.settings, brain.uplink.service, brain.uplink.alerts, paho.mqtt.client"
)
"""What ``brain uplink`` imports before it reads a record: the import floor."""
DAYS = 7
POLL_S = 60.0


def _records(data_root: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in data_root.glob("run_*/*.jsonl"))


def _config(directory: Path, data_root: Path, port: int) -> Path:
    path = directory / "brain.toml"
    path.write_text(
        f'data_root = "{data_root}"\n[logging]\nformat = "json"\nlevel = "warning"\n'
        f'[uplink]\nhost = "127.0.0.1"\nport = {port}\n'
    )
    return path


def _drain_in_process(data_root: Path, port: int) -> dict[str, float]:
    from brain.uplink.discovery import Cadence
    from brain.uplink.publisher import Credentials
    from brain.uplink.service import Uplink, UplinkPlan
    from brain.uplink.settings import UplinkSettings

    plan = UplinkPlan(
        data_root, "greenhouse-1", UplinkSettings(host="127.0.0.1", port=port), Cadence(60, 900), "bench"
    )
    uplink = Uplink(plan, Credentials(None))
    started = time.perf_counter()
    uplink.run(threading.Event(), exit_when_drained=True)
    elapsed = time.perf_counter() - started
    # Two writes of each cursor are outside the once-a-second rule: the fresh cursor's (its epoch)
    # and the one at shutdown; the rule governs the rest.
    writes = {d.stream: d.store.writes - 2 for d in uplink.deliveries if d.delivered}
    return {"elapsed_s": elapsed, "max_writes_per_s": max(writes.values()) / elapsed}


def _live_latency(data_root: Path, config: Path, port: int, python: str, samples: int = 20) -> list[float]:
    from brain.storage import DatasetWriter, StorageSettings
    from tests.factories import record

    live = Subscriber(port, ["brain/+/live/observations"], client_id="bench-live")
    # From outside the project, so a deployed venv imports its installed package, not the source tree.
    uplink = subprocess.Popen([python, "-c", TOOLS, "uplink", "--config", str(config)], cwd=config.parent)
    writer = DatasetWriter(data_root, StorageSettings(fsync="always"))
    latencies: list[float] = []
    try:
        time.sleep(3)  # the uplink is up and caught up
        for _ in range(samples):
            before = len(live.messages)
            writer.write("observations", record("observations", datetime.now(UTC)))
            written = time.monotonic()
            live.wait_for(lambda before=before: len(live.messages) > before, timeout=10)
            latencies.append(time.monotonic() - written)
            time.sleep(0.5)
        rss_kb = int(
            next(
                line
                for line in Path(f"/proc/{uplink.pid}/status").read_text().splitlines()
                if line.startswith("VmRSS")
            ).split()[1]
        )
    finally:
        writer.close()
        uplink.terminate()
        uplink.wait(timeout=30)
        live.close()
    latencies.append(rss_kb / 1024)  # smuggled out: the live process's resident memory
    return latencies


def measure() -> dict[str, Any]:
    """Every figure of the module docstring; ``{"skipped": reason}`` without mosquitto."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        return {"skipped": "mosquitto is not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        data_root = directory / "data"
        process.run(
            [
                *process.DAEMON,
                "--simulate",
                "--duration-hours",
                str(24 * DAYS),
                "--output-dir",
                str(data_root),
            ]
        )
        records = _records(data_root)
        deployed, deployed_how = process.deployed_python(directory, "[uplink]")
        broker = Broker(directory / "broker")
        try:
            config = _config(directory, data_root, broker.port)
            uplink_args = ["-c", TOOLS, "uplink", "--config", str(config), "--exit-when-drained"]
            drained = process.run(uplink_args)
            floor = process.run(["-c", IMPORTS])
            imports = floor.wall_s
            drain_s = max(1e-3, drained.wall_s - imports)
            deployed_peak = deployed_floor = None
            if deployed is not None:
                # Run from outside the project, so the installed package is imported, not the source tree.
                shutil.rmtree(data_root / "uplink")
                deployed_peak = process.run(uplink_args, python=deployed, cwd=directory).peak_rss_mb
                deployed_floor = process.run(["-c", IMPORTS], python=deployed, cwd=directory).peak_rss_mb
            shutil.rmtree(data_root / "uplink")
            in_process = _drain_in_process(data_root, broker.port)
            live_root = directory / "live"
            *latencies, live_rss_mb = _live_latency(
                live_root,
                _config(directory, live_root, broker.port),
                broker.port,
                deployed or sys.executable,
            )
        finally:
            broker.stop()
    rate = records / drain_s
    production = records / (DAYS * 86400)
    return {
        "records": records,
        "drain_s": drain_s,
        "drain_per_s": rate,
        "times_production": rate / production,
        "day_s": drain_s / DAYS,
        "deployed": deployed_how if deployed is not None else f"not measured: {deployed_how}",
        "deployed_peak_rss_mb": deployed_peak,
        "deployed_import_floor_rss_mb": deployed_floor,
        "live_rss_mb": live_rss_mb,
        "live_rss_venv": "deployed" if deployed is not None else "dev",
        "peak_rss_mb": drained.peak_rss_mb,
        "import_floor_rss_mb": floor.peak_rss_mb,
        "cursor_writes_per_s": in_process["max_writes_per_s"],
        "latency_median_s": statistics.median(latencies),
        "latency_max_s": max(latencies),
    }


def main() -> None:
    figures = measure()
    if "skipped" in figures:
        print(f"uplink: skipped ({figures['skipped']})")
        return
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}, indent=2))
    print(
        f"backlog: {figures['records']:,} records ({DAYS} days) in {figures['drain_s']:.2f} s = {figures['drain_per_s']:,.0f}/s, "
        f"{figures['times_production']:,.0f}x the production rate; one day in {figures['day_s']:.2f} s"
    )
    print(
        f"live latency: median {figures['latency_median_s'] * 1000:.0f} ms, max {figures['latency_max_s'] * 1000:.0f} ms"
    )
    if figures["deployed_peak_rss_mb"] is not None:
        print(
            f"RSS as deployed (pip install .[uplink], no rich; the budget, <= 40 MB): "
            f"peak {figures['deployed_peak_rss_mb']:.1f} MB while draining, "
            f"{figures['live_rss_mb']:.1f} MB following live; "
            f"the imports alone: {figures['deployed_import_floor_rss_mb']:.1f} MB"
        )
    else:
        print(f"RSS as deployed: {figures['deployed']}")
    print(
        f"RSS in the dev venv (with rich, which structlog imports): peak {figures['peak_rss_mb']:.1f} MB "
        f"while draining; the imports alone: {figures['import_floor_rss_mb']:.1f} MB"
    )
    print(
        f"cursor writes: at most {figures['cursor_writes_per_s']:.2f} per second per stream (besides a fresh cursor's first and the last at shutdown)"
    )


if __name__ == "__main__":
    main()
