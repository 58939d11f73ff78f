import gzip
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from brain.contracts import ObservationV1
from brain.storage import DatasetWriter, apply_retention, iter_records
from tests.factories import minutes, observation
from tests.storage.jsonl_files import tree

TODAY = date(2026, 6, 20)


def fill_days(make_writer: Callable[..., DatasetWriter], days: list[date]) -> list[datetime]:
    writer = make_writer()
    stamps: list[datetime] = []
    for day in days:
        start = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        stamps += minutes(3, start=start)
    for timestamp in stamps:
        writer.write("observations", observation(timestamp))
    writer.close()
    return stamps


def test_old_runs_are_compressed_and_very_old_ones_deleted(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    # Ages on June 20: 40, 31, 30, 8, 7, 0 days.
    days = [
        date(2026, 5, 11),
        date(2026, 5, 20),
        date(2026, 5, 21),
        date(2026, 6, 12),
        date(2026, 6, 13),
        TODAY,
    ]
    stamps = fill_days(make_writer, days)
    report = apply_retention(data_root, TODAY, retention_days=30, compress_after_days=7)

    assert [path.name for path in report.deleted] == ["run_20260511", "run_20260520"]
    assert [path.parent.name for path in report.compressed] == ["run_20260521", "run_20260612"]
    assert tree(data_root) == [
        "run_20260521/observations.0000.jsonl.gz",
        "run_20260612/observations.0000.jsonl.gz",
        "run_20260613/observations.0000.jsonl",
        "run_20260620/observations.0000.jsonl",
    ]
    # The reader reads the compressed runs like the others; nothing kept was lost.
    assert [item.timestamp for item in iter_records(data_root, "observations", ObservationV1)] == stamps[6:]

    again = apply_retention(data_root, TODAY, retention_days=30, compress_after_days=7)
    assert again.deleted == [] and again.compressed == []


def test_compression_gives_the_same_bytes_every_time(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_days(make_writer, [date(2026, 6, 1)])
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    copy_root = tmp_path / "copy"
    (copy_root / "run_20260601").mkdir(parents=True)
    (copy_root / "run_20260601" / part.name).write_bytes(part.read_bytes())
    for root in (data_root, copy_root):
        apply_retention(root, TODAY, retention_days=400, compress_after_days=7)
    packed = (data_root / "run_20260601" / "observations.0000.jsonl.gz").read_bytes()
    # No file name and no time in the gzip header (independent of when or where it ran).
    assert packed == (copy_root / "run_20260601" / "observations.0000.jsonl.gz").read_bytes()
    assert packed[4:8] == b"\x00\x00\x00\x00"


def test_leftovers_of_an_interrupted_run_are_finished(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    stamps = fill_days(make_writer, [date(2026, 6, 1), date(2026, 6, 2)])
    run_dir = data_root / "run_20260601"
    part = run_dir / "observations.0000.jsonl"
    # Cut off after the rename of the .gz, before the original was removed.
    (run_dir / "observations.0000.jsonl.gz").write_bytes(gzip.compress(part.read_bytes()))
    (run_dir / "observations.0000.jsonl.gz.tmp").write_bytes(b"half")
    # Cut off in the middle of deleting an old run.
    (data_root / "run_20250101.deleting").mkdir()
    (data_root / "run_20250101.deleting" / "state.0000.jsonl").write_bytes(b"{}\n")

    apply_retention(data_root, TODAY, retention_days=30, compress_after_days=7)
    assert tree(data_root) == [
        "run_20260601/observations.0000.jsonl.gz",
        "run_20260602/observations.0000.jsonl.gz",
    ]
    assert [item.timestamp for item in iter_records(data_root, "observations", ObservationV1)] == stamps


def test_a_missing_data_root_needs_nothing(tmp_path: Path) -> None:
    report = apply_retention(tmp_path / "none", TODAY, retention_days=30, compress_after_days=7)
    assert report.deleted == [] and report.compressed == []
    assert not (tmp_path / "none").exists()  # not created just to be locked


def test_writing_into_a_compressed_day_starts_a_new_part(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    stamps = fill_days(make_writer, [date(2026, 6, 1)])
    apply_retention(data_root, TODAY, retention_days=30, compress_after_days=7)
    late = stamps[-1] + timedelta(hours=1)
    writer = make_writer()
    writer.write("observations", observation(late))
    writer.close()
    assert tree(data_root) == [
        "run_20260601/observations.0000.jsonl.gz",
        "run_20260601/observations.0001.jsonl",
    ]
    assert [item.timestamp for item in iter_records(data_root, "observations", ObservationV1)] == [
        *stamps,
        late,
    ]
