"""What a replayed observation costs at the least: the parts a replay cannot skip, with no loop around them.

Why this exists: the replay requirement (brain at least half as fast as ``pandas.read_json``)
leaves about 14 us per observation on this machine. This bench times, in one process and
on the same seeded file as ``replay_vs_pandas.py``, only what every replayed observation
must do whatever the daemon around it looks like: read and validate the line (pydantic-core),
build its device status, ``Estimator.step``, serialise the observation and append it with
one ``os.write``, and at each base cycle or event build, serialise and append the state and
its five sensor-health records. No scheduler, sink, rotation or fsync: so the figure is a
lower bound for the daemon's loop, and ``fresh process >= imports + floor x lines`` bounds
the best ratio any loop around these parts could reach. The whole daemon is timed in the
same process for comparison.

Run: ``python bench/replay_floor.py [--days 30] [--base-cycle-s 900]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

from replay_vs_pandas import WORK, observations_file


def parts_alone(data: Path, base_cycle_s: float, out: Path) -> tuple[int, float]:
    """(observations, seconds) of the unavoidable parts, in the daemon's order, on one descriptor."""
    from brain.contracts import DeviceStatusV1, ObservationSource, ObservationV1
    from brain.estimator import Estimator
    from brain.storage.reader import RecordStream

    estimator = Estimator()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    count = 0
    next_cycle = 0.0
    started = time.perf_counter()
    try:
        for observation in RecordStream(data, "observations", ObservationV1):
            object.__setattr__(observation, "source", ObservationSource.REPLAY)  # as ReplaySource does
            status = DeviceStatusV1(
                schema_version="1.0", timestamp=observation.timestamp, site_id=observation.site_id, devices={}
            )
            os.write(fd, observation.__pydantic_serializer__.to_json(observation, warnings=False) + b"\n")
            estimate = estimator.step(observation, status)
            count += 1
            seconds = observation.timestamp.timestamp()
            if estimate.anomalies or estimate.health_changed or seconds >= next_cycle:
                next_cycle = (seconds // base_cycle_s + 1) * base_cycle_s
                for record in (*estimate.anomalies, estimate.state, *estimate.sensor_health):
                    os.write(fd, record.__pydantic_serializer__.to_json(record, warnings=False) + b"\n")
    finally:
        os.close(fd)
    return count, time.perf_counter() - started


def whole_daemon(data: Path, base_cycle_s: float, out: Path) -> float:
    """Seconds of ``brain.daemon.run`` replaying ``data`` in this process (no imports, no start-up)."""
    from brain import daemon
    from brain.config import load_settings

    shutil.rmtree(out, ignore_errors=True)
    loaded = load_settings(
        None,
        {
            "source": "replay",
            "replay": {"path": data},
            "time_scale": 0,
            "data_root": out,
            "base_cycle_s": base_cycle_s,
        },
    )
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        daemon.run(loaded)
    elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def measure(days: int = 30, base_cycle_s: float | None = None, repeat: int = 3) -> dict[str, float]:
    """Best of ``repeat``: microseconds per observation of the parts alone and of the whole daemon."""
    from brain.config import BrainSettings

    cycle = base_cycle_s if base_cycle_s is not None else BrainSettings.model_fields["base_cycle_s"].default
    data = observations_file(days, WORK)
    scratch = Path(tempfile.mkdtemp(prefix="brain-bench-floor-"))
    try:
        best_parts = best_daemon = float("inf")
        lines = 0
        for _ in range(repeat):
            lines, seconds = parts_alone(data, cycle, scratch / "floor.jsonl")
            best_parts = min(best_parts, seconds)
            best_daemon = min(best_daemon, whole_daemon(data, cycle, scratch / "daemon"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "lines": lines,
        "base_cycle_s": cycle,
        "parts_us": best_parts / lines * 1e6,
        "daemon_us": best_daemon / lines * 1e6,
    }


def main() -> None:
    """Print the floor and the daemon's loop, per observation, for the default cycle and the 2-hour one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--base-cycle-s", type=float, default=None, help="default: the daemon's default")
    args = parser.parse_args()
    cycles = [args.base_cycle_s] if args.base_cycle_s is not None else [None, 7200.0]
    for cycle in cycles:
        figures = measure(args.days, cycle)
        print(
            f"replay, {figures['lines']:,.0f} observations, base cycle {figures['base_cycle_s']:.0f} s: "
            f"the parts alone {figures['parts_us']:.1f} us/observation, "
            f"the daemon's loop {figures['daemon_us']:.1f} us/observation (in process, best of 3)"
        )


if __name__ == "__main__":
    main()
