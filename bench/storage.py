"""Storage throughput: writes per second for each fsync policy, bytes per record, validated reads per second.

Run: ``python bench/storage.py [--records N] [--dir DIR]``. ``--dir`` should be on the
medium that matters (the Pi's SD card): fsync costs depend entirely on it, and a
tmpfs makes fsync free. The reader figures are compared with
``pandas.read_json(lines=True)`` merely loading the same file, the yardstick the
replay goal is stated in, and with batch validation (a JSON array per chunk),
the alternative the reader's design rejected.
"""

from __future__ import annotations

import argparse
import gc
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import TypeAdapter

from brain.contracts import ObservationV1
from brain.sources.replay import ReplaySource
from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings, iter_records


def make_records(count: int) -> list[ObservationV1]:
    """A realistic stream: one observation a minute, values moving, one sensor sometimes unread."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = []
    for index in range(count):
        unread = index % 97 == 0
        records.append(
            ObservationV1(
                schema_version="1.0",
                timestamp=start + timedelta(minutes=index),
                site_id="greenhouse-1",
                source="hardware",
                sensors={
                    "air_temperature_c": round(18.0 + (index % 1440) / 120.0, 2),
                    "relative_humidity_pct": round(60.0 + (index % 300) / 10.0, 1),
                    "co2_ppm": 400.0 + index % 500,
                    "par_umol_m2_s": float(index % 1200),
                    "substrate_moisture_pct": None if unread else 45.5,
                },
                errors={"substrate_moisture_pct": "ADS1115 at 0x48: no ACK"} if unread else {},
            )
        )
    return records


def timed(action: Callable[[], int]) -> tuple[int, float]:
    """Run ``action`` (returning how many items it handled) once with the collector settled."""
    gc.collect()
    started = time.perf_counter()
    count = action()
    return count, time.perf_counter() - started


def bench_writer(root: Path, records: list[ObservationV1], policy: FsyncPolicy) -> tuple[float, float]:
    target = root / f"write-{policy.value}"
    writer = DatasetWriter(target, StorageSettings(fsync=policy))

    def write_all() -> int:
        for record in records:
            writer.write("observations", record)
        writer.close()
        return len(records)

    count, seconds = timed(write_all)
    size = sum(path.stat().st_size for path in target.rglob("*.jsonl"))
    return count / seconds, size / count


def bench_readers(data_root: Path) -> list[tuple[str, float]]:
    files = sorted(data_root.rglob("observations.*.jsonl"))
    raw = b"".join(path.read_bytes() for path in files)
    lines = raw.splitlines()
    figures = []

    def reader() -> int:
        return sum(1 for _ in iter_records(data_root, "observations", ObservationV1))

    def replay() -> int:
        source = ReplaySource(data_root)
        count = 0
        while source.next_observation() is not None:
            count += 1
        return count

    def batches(size: int) -> Callable[[], int]:
        adapter = TypeAdapter(list[ObservationV1])

        def run() -> int:
            count = 0
            for start in range(0, len(lines), size):
                count += len(adapter.validate_json(b"[" + b",".join(lines[start : start + size]) + b"]"))
            return count

        return run

    candidates: list[tuple[str, Callable[[], int]]] = [
        ("reader: iter_records, read + validated", reader),
        ("ReplaySource.next_observation", replay),
        ("alternative: batch validation, 100 lines (in memory)", batches(100)),
        ("alternative: batch validation, 1000 lines (in memory)", batches(1000)),
    ]
    try:
        import pandas as pd

        def pandas_load() -> int:
            return len(pd.read_json(io.BytesIO(raw), lines=True))

        candidates.append(("yardstick: pandas.read_json(lines=True), load only", pandas_load))
    except ImportError:  # pragma: no cover - pandas is the bench extra
        print("pandas not installed: no yardstick (pip install -e '.[bench]')")
    for name, action in candidates:
        count, seconds = timed(action)
        figures.append((name, count / seconds))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per policy")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: temp dir)")
    args = parser.parse_args()

    records = make_records(args.records)
    root = Path(tempfile.mkdtemp(prefix="brain-bench-storage-", dir=args.dir))
    try:
        print(f"storage benchmark: {args.records:,} ObservationV1 records in {root}")
        for policy in FsyncPolicy:
            rate, per_record = bench_writer(root, records, policy)
            print(f"  write fsync={policy.value:<6} {rate:>12,.0f} records/s  {per_record:6.1f} bytes/record")
        never = root / f"write-{FsyncPolicy.NEVER.value}"
        print("read (validated ObservationV1 lines per second):")
        figures = bench_readers(never)
        for name, rate in figures:
            print(f"  {name:<55} {rate:>12,.0f} lines/s")
        yardstick = dict(figures).get("yardstick: pandas.read_json(lines=True), load only")
        if yardstick:
            print(f"  reader / pandas load: {dict(figures)[figures[0][0]] / yardstick:.2f}x")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
