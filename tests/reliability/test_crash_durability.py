"""Kill a writing process with SIGKILL at random moments; nothing acknowledged may be lost or doubled.

The child is a real process (forked, so it starts in microseconds instead of the
second a fresh interpreter needs to import pydantic) and reports, through a pipe,
how many records of each stream the writer has acknowledged as durable. Each
restart appends to the same files, as the daemon does after a crash on the same
day; runs are three hours apart, so some of them cross midnight.
"""

import json
import os
import random
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from brain.contracts import STREAMS
from brain.storage import DatasetWriter, FsyncPolicy, MalformedLinePolicy, StorageSettings, iter_records
from brain.storage.repair import repair_torn_tail
from tests.factories import T0, device_status, observation

STREAM_NAMES = ("observations", "device_status")
RECORDS_PER_RUN = 5000  # at one per second, well inside the three hours between run starts


def run_start(run: int) -> datetime:
    return T0 + timedelta(hours=3 * run)


def child(data_root: Path, run: int, ack_fd: int) -> None:
    """Write until killed; after every write, report newly durable counts as ``<stream> <count>`` lines."""
    policy = FsyncPolicy.ALWAYS if run % 2 == 0 else FsyncPolicy.BATCH
    settings = StorageSettings(fsync=policy, batch_records=7, max_file_bytes=16 * 1024)
    writer = DatasetWriter(data_root, settings)
    acked = dict.fromkeys(STREAM_NAMES, 0)
    for index in range(RECORDS_PER_RUN):
        timestamp = run_start(run) + timedelta(seconds=index)
        writer.write("observations", observation(timestamp, air_temperature_c=float(run)))
        writer.write("device_status", device_status(timestamp))
        report = b""
        for stream in STREAM_NAMES:
            if writer.durable[stream] > acked[stream]:
                acked[stream] = writer.durable[stream]
                report += f"{stream} {acked[stream]}\n".encode()
        if report:
            os.write(ack_fd, report)
    writer.close()


def run_and_kill(data_root: Path, run: int, delay_s: float, *, after_ack: bool = False) -> dict[str, int]:
    """Fork a writer, SIGKILL it after ``delay_s``, return the durable counts it acknowledged.

    ``after_ack``: the ``delay_s`` starts at its first acknowledgement, not at the fork (an event:
    on a loaded machine whose disk is slow to fsync, no kill 0-60 ms after the fork may come late
    enough to find anything acknowledged).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage dies with it
        os.close(read_fd)
        try:
            child(data_root, run, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    first = b""
    while after_ack and b"\n" not in first and (chunk := os.read(read_fd, 4096)):
        first += chunk
    time.sleep(delay_s)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as pipe:
        acks = (first + pipe.read()).decode().split()
    acked = dict.fromkeys(STREAM_NAMES, 0)
    for stream, count in zip(acks[::2], acks[1::2], strict=True):
        acked[stream] = max(acked[stream], int(count))
    return acked


def crash_drill(data_root: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    acked_per_run = [
        run_and_kill(data_root, run, rng.uniform(0.0, 0.06), after_ack=run % 4 == 3) for run in range(kills)
    ]
    assert sum(acks["observations"] for acks in acked_per_run) > 0, (
        "no kill came late enough to test anything"
    )

    # What the next start would do: repair every part it may append to; then every line must parse.
    for part in sorted(data_root.rglob("*.jsonl")):
        repair_torn_tail(part)
        for line in part.read_bytes().splitlines():
            json.loads(line)

    for stream in STREAM_NAMES:
        records = iter_records(data_root, stream, STREAMS[stream], policy=MalformedLinePolicy.FAIL)
        found = [record.timestamp for record in records]  # type: ignore[attr-defined]
        assert len(found) == len(set(found)), f"{stream}: a record was written twice"
        by_run: dict[int, list[datetime]] = {}
        for stamp in found:
            by_run.setdefault((stamp - T0) // timedelta(hours=3), []).append(stamp)
        for run, acked in enumerate(acked_per_run):
            written = sorted(by_run.get(run, []))
            # What a run wrote is a gap-free prefix of what it meant to write (each record once, see above)...
            assert written == [run_start(run) + timedelta(seconds=i) for i in range(len(written))]
            # ...and that prefix holds every record the run acknowledged as durable.
            assert len(written) >= acked[stream], f"{stream}: run {run} lost acknowledged records"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    crash_drill(tmp_path / "data", kills=24, seed=20260601)


@pytest.mark.slow
def test_sigkill_drill_many_kills(tmp_path: Path) -> None:
    crash_drill(tmp_path / "data", kills=300, seed=int(time.time()))
