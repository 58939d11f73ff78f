import gzip
from datetime import date
from pathlib import Path

import pytest

from brain.errors import StorageError
from brain.storage import DatasetManager
from brain.storage.dataset import parse_part_name, part_file_name, run_date, stream_files, stream_parts


def test_create_run_directory_naming(data_root: Path) -> None:
    manager = DatasetManager(data_root)
    assert manager.latest_run() is None and manager.runs() == []

    june_first = manager.create_run(date(2026, 6, 1))
    assert june_first == data_root / "run_20260601" and june_first.is_dir()
    manager.create_run(date(2025, 12, 31))
    manager.create_run(date(2026, 1, 2))
    # Entries that are not run directories are not runs.
    (data_root / "notes").mkdir()
    (data_root / "run_2026").mkdir()
    (data_root / "run_20261340").mkdir()
    (data_root / "run_20260703").write_text("a file, not a directory")

    assert [path.name for path in manager.runs()] == ["run_20251231", "run_20260102", "run_20260601"]
    assert manager.latest_run() == june_first


def test_creating_an_existing_run_leaves_it_untouched(data_root: Path) -> None:
    manager = DatasetManager(data_root)
    run_dir = manager.create_run(date(2026, 6, 1))
    part = run_dir / "observations.0000.jsonl"
    part.write_bytes(b'{"kept": true}\n')
    assert manager.create_run(date(2026, 6, 1)) == run_dir
    assert part.read_bytes() == b'{"kept": true}\n'


def test_names_parse_back() -> None:
    assert run_date(Path("data/run_20260601")) == date(2026, 6, 1)
    assert run_date(Path("data/run_20260631")) is None
    assert part_file_name("observations", 7) == "observations.0007.jsonl"
    assert parse_part_name("observations.0007.jsonl") == ("observations", 7, False)
    assert parse_part_name("sensor_health.0012.jsonl.gz") == ("sensor_health", 12, True)
    assert parse_part_name("observations.0007.jsonl.torn") is None
    assert parse_part_name("observations.0007.jsonl.gz.tmp") is None


def test_parts_in_rotation_order_and_a_part_both_plain_and_gzipped_counted_once(data_root: Path) -> None:
    run_dir = DatasetManager(data_root).create_run(date(2026, 6, 1))
    for name in ("observations.0010.jsonl", "observations.0002.jsonl", "state.0000.jsonl"):
        (run_dir / name).write_bytes(b"")
    (run_dir / "observations.0002.jsonl.gz").write_bytes(gzip.compress(b""))
    (run_dir / "observations.0001.jsonl.gz").write_bytes(gzip.compress(b""))
    parts = stream_parts(run_dir, "observations")
    assert [(part.path.name, part.number, part.compressed) for part in parts] == [
        ("observations.0001.jsonl.gz", 1, True),
        ("observations.0002.jsonl", 2, False),
        ("observations.0010.jsonl", 10, False),
    ]


def test_stream_files_of_a_file_a_run_and_a_data_root(data_root: Path) -> None:
    manager = DatasetManager(data_root)
    for day in (date(2026, 6, 2), date(2026, 6, 1)):
        (manager.create_run(day) / "state.0000.jsonl").write_bytes(b"")
    first = data_root / "run_20260601" / "state.0000.jsonl"
    assert stream_files(first, "state") == [first]
    assert stream_files(data_root / "run_20260602", "state") == [
        data_root / "run_20260602" / "state.0000.jsonl"
    ]
    assert stream_files(data_root, "state") == [first, data_root / "run_20260602" / "state.0000.jsonl"]
    assert stream_files(data_root, "actions") == []
    with pytest.raises(StorageError, match="no such file"):
        stream_files(data_root / "missing", "state")
