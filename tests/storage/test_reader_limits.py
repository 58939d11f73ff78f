"""The reader on hostile input: long lines, gzip bombs, FIFOs and devices, floods of bad lines.

Issue 16 item 6: a 50 MB line took 399 MB, a 1 MB gzip expanding to one 1 GiB line
took 2.15 GB, a part that is a symlink to ``/dev/zero`` ended in ``MemoryError`` and a
FIFO blocked forever. Each case here runs on real files; the daemon-level drills are
in ``tests/reliability/test_hostile_input.py``.
"""

from __future__ import annotations

import gzip
import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.contracts import ObservationV1
from brain.storage import (
    MAX_LINE_BYTES,
    MAX_LOGGED_MALFORMED,
    MalformedLinePolicy,
    RecordStream,
    UnrecognisedInputError,
    iter_records,
)
from brain.storage.errors import MalformedLineError
from tests.factories import minutes, observation_line
from tests.storage.jsonl_files import write_lines


def _padded(minute: int, size: int) -> bytes:
    """A valid observation line of exactly ``size`` bytes (JSON allows the trailing blanks)."""
    line = observation_line(minute)
    return line + b" " * (size - len(line))


def test_a_line_up_to_the_limit_is_read_and_a_longer_one_reported_with_its_length(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "observations.0000.jsonl",
        [_padded(0, MAX_LINE_BYTES), _padded(1, MAX_LINE_BYTES + 1), observation_line(2), b"x" * 200_000],
    )
    with capture_logs() as logs:
        records = iter_records(path, "observations", ObservationV1)
        kept = [item.timestamp for item in records]
    assert kept == [minutes(3)[0], minutes(3)[2]]
    reasons = {entry["line"]: entry["reason"] for entry in logs if entry["event"] == "malformed_line_skipped"}
    limit = f"longer than the {MAX_LINE_BYTES} a record may have: not read"
    assert reasons == {2: f"line of {MAX_LINE_BYTES + 1} bytes, {limit}", 4: f"line of 200000 bytes, {limit}"}
    assert records.malformed == 2


def test_an_over_long_last_line_without_newline_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "observations.0000.jsonl"
    path.write_bytes(observation_line(0) + b"\n" + b"y" * (3 * MAX_LINE_BYTES))
    records = iter_records(path, "observations", ObservationV1)
    assert len(list(records)) == 1
    assert records.errors[0].line == 2 and records.errors[0].reason.startswith(
        f"line of {3 * MAX_LINE_BYTES} "
    )


def test_a_gzip_bomb_of_one_long_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    # 64 MiB of one line compress to about 64 KB; read whole it would cost 64 MiB at least.
    bomb_bytes = 64 * 1024 * 1024
    run_dir = tmp_path / "run_20260601"
    write_lines(run_dir / "observations.0000.jsonl", [observation_line(0)])
    with gzip.open(run_dir / "observations.0001.jsonl.gz", "wb") as bomb:
        for _ in range(bomb_bytes // MAX_LINE_BYTES):
            bomb.write(b"a" * MAX_LINE_BYTES)
        bomb.write(b"\n" + observation_line(1) + b"\n")
    assert (run_dir / "observations.0001.jsonl.gz").stat().st_size < 1024 * 1024
    tracemalloc.start()
    try:
        records = iter_records(run_dir, "observations", ObservationV1)
        kept = [item.timestamp for item in records]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept == minutes(2)
    assert records.errors[0].reason.startswith(f"line of {bomb_bytes} bytes")
    assert peak < 8 * MAX_LINE_BYTES, f"peak {peak} bytes"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_part_that_is_a_symlink_to_a_device_is_refused_unread(tmp_path: Path) -> None:
    run_dir = tmp_path / "run_20260601"
    write_lines(run_dir / "observations.0000.jsonl", [observation_line(0)])
    (run_dir / "observations.0001.jsonl").symlink_to("/dev/zero")
    write_lines(run_dir / "observations.0002.jsonl", [observation_line(1)])
    records = iter_records(run_dir, "observations", ObservationV1)
    assert [item.timestamp for item in records] == minutes(2)
    assert [(error.path.name, error.reason) for error in records.errors] == [
        ("observations.0001.jsonl", "file refused: a character device, not a regular file: not read")
    ]


def test_a_fifo_part_is_refused_without_blocking(tmp_path: Path) -> None:
    run_dir = tmp_path / "run_20260601"
    write_lines(run_dir / "observations.0000.jsonl", [observation_line(0)])
    os.mkfifo(run_dir / "observations.0001.jsonl")
    kept: list[object] = []
    records = iter_records(run_dir, "observations", ObservationV1)
    reader = threading.Thread(target=lambda: kept.extend(records), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the open, so the test process can end
        with (run_dir / "observations.0001.jsonl").open("wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert len(kept) == 1
    assert records.errors[0].reason == "file refused: a FIFO, not a regular file: not read"


def test_a_refused_file_stops_a_fail_policy_read_naming_it(tmp_path: Path) -> None:
    fifo = tmp_path / "run_20260601" / "observations.0000.jsonl"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with pytest.raises(MalformedLineError, match="a FIFO, not a regular file"):
        list(iter_records(fifo.parent, "observations", ObservationV1, policy=MalformedLinePolicy.FAIL))


def test_after_the_first_malformed_lines_the_rest_are_counted_and_summed_up(tmp_path: Path) -> None:
    extra = 57
    bad = [b"not json"] * (MAX_LOGGED_MALFORMED + extra)
    path = write_lines(tmp_path / "observations.0000.jsonl", [observation_line(0), *bad, observation_line(1)])
    with capture_logs() as logs:
        records = iter_records(path, "observations", ObservationV1)
        assert len(list(records)) == 2
    events = [entry["event"] for entry in logs]
    assert events.count("malformed_line_skipped") == MAX_LOGGED_MALFORMED
    assert events.count("malformed_lines_no_longer_logged") == 1
    summary = [entry for entry in logs if entry["event"] == "malformed_lines_summary"]
    assert [(s["skipped"], s["not_logged"]) for s in summary] == [(MAX_LOGGED_MALFORMED + extra, extra)]
    assert records.malformed == MAX_LOGGED_MALFORMED + extra


def test_a_reader_told_to_give_up_does_so_only_before_the_first_record(tmp_path: Path) -> None:
    garbage = write_lines(tmp_path / "garbage.jsonl", [b"time,temp,rh"] + [b"2026-06-01 00:00,20.1,70"] * 200)
    with pytest.raises(UnrecognisedInputError, match="the first 100 lines are not valid records"):
        list(RecordStream(garbage, "observations", ObservationV1, give_up_after=100))
    late = write_lines(tmp_path / "late.jsonl", [observation_line(0)] + [b"junk"] * 200)
    records = RecordStream(late, "observations", ObservationV1, give_up_after=100)
    assert len(list(records)) == 1 and records.malformed == 200


def test_several_paths_are_read_as_one_stream(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "run_20260601" / "observations.0000.jsonl", [observation_line(0)])
    second = write_lines(tmp_path / "run_20260602" / "observations.0000.jsonl", [observation_line(1)])
    records = iter_records([first.parent, second.parent], "observations", ObservationV1)
    assert [item.timestamp for item in records] == minutes(2)
    assert records.files == [first, second]
