import gzip
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from brain.contracts import ObservationV1
from brain.errors import StorageError
from brain.storage import DatasetWriter, StorageSettings, iter_records
from tests.factories import T0, minutes, observation


def test_reads_every_part_of_every_run_in_time_order(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    line_bytes = len(observation(T0).model_dump_json()) + 1
    writer = make_writer(max_file_bytes=line_bytes * 7)
    stamps = minutes(3 * 24 * 4, step=timedelta(minutes=15))  # three days: three runs, several parts each
    for timestamp in stamps:
        writer.write("observations", observation(timestamp))
    writer.close()
    # Compress one middle part, as retention would.
    middle = data_root / "run_20260602" / "observations.0003.jsonl"
    middle.with_name(middle.name + ".gz").write_bytes(gzip.compress(middle.read_bytes()))
    middle.unlink()

    records = iter_records(data_root, "observations", ObservationV1)
    assert [item.timestamp for item in records] == stamps
    assert records.records == len(stamps) and records.malformed == 0
    assert len(records.files) > 3
    assert records.location == (records.files[-1], 5)  # 96 records a day = 13 parts of 7, then 5

    one_run = iter_records(data_root / "run_20260602", "observations", ObservationV1)
    assert [item.timestamp for item in one_run] == stamps[96:192]
    one_file = iter_records(
        data_root / "run_20260601" / "observations.0001.jsonl", "observations", ObservationV1
    )
    assert [item.timestamp for item in one_file] == stamps[7:14]


def test_a_part_left_both_plain_and_gzipped_is_read_once(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer()
    for timestamp in minutes(5):
        writer.write("observations", observation(timestamp))
    writer.close()
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    part.with_name(part.name + ".gz").write_bytes(gzip.compress(part.read_bytes()))
    assert [item.timestamp for item in iter_records(data_root, "observations", ObservationV1)] == minutes(5)


def test_a_missing_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no such file or directory"):
        iter_records(tmp_path / "nowhere", "observations", ObservationV1)


def test_close_ends_the_stream(make_writer: Callable[..., DatasetWriter], data_root: Path) -> None:
    writer = make_writer()
    for timestamp in minutes(3):
        writer.write("observations", observation(timestamp))
    writer.close()
    records = iter_records(data_root, "observations", ObservationV1)
    assert next(records).timestamp == T0
    records.close()
    assert list(records) == []


def test_a_data_root_without_the_stream_is_empty(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer()
    writer.write("observations", observation(T0))
    writer.close()
    assert list(iter_records(data_root, "device_status", ObservationV1)) == []


def test_the_writer_and_the_reader_take_a_str_path_as_well(tmp_path: Path) -> None:
    root = str(tmp_path / "data")  # what a script or a notebook passes
    writer = DatasetWriter(root, StorageSettings())
    writer.write("observations", observation(T0))
    writer.close()
    assert [item.timestamp for item in iter_records(root, "observations", ObservationV1)] == [T0]
