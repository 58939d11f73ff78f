import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import brain.storage.durable as durable_module
import brain.storage.writer as writer_module
from brain.contracts import STREAMS, ObservationV1, StateV1
from brain.errors import ConfigError, StorageError
from brain.storage import (
    DatasetWriter,
    FsyncPolicy,
    StorageSettings,
    UnknownStreamError,
    UnserializablePolicy,
)
from brain.storage.dataset import LOCK_FILE_NAME
from tests.factories import T0, minutes, observation, record
from tests.fake_time import FakeTime
from tests.storage.jsonl_files import lines_of


@pytest.fixture
def os_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """Spy on the writer's os.write / os.fsync and on directory fsyncs, calling the real ones."""
    calls: list[tuple[str, object]] = []
    real_write, real_fsync, real_fsync_dir = os.write, os.fsync, durable_module.fsync_dir

    def write(fd: int, data: bytes) -> int:
        calls.append(("write", bytes(data)))
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # directory fsyncs are counted by fsync_dir below
            calls.append(("fsync", fd))
        real_fsync(fd)

    def fsync_dir(path: Path) -> None:
        calls.append(("fsync_dir", path))
        real_fsync_dir(path)

    monkeypatch.setattr(writer_module.os, "write", write)
    monkeypatch.setattr(writer_module.os, "fsync", fsync)
    monkeypatch.setattr(durable_module, "fsync_dir", fsync_dir)
    monkeypatch.setattr(writer_module, "fsync_dir", fsync_dir)
    return calls


def test_atomic_append_writes_valid_lines(
    make_writer: Callable[..., DatasetWriter], data_root: Path, os_calls: list[tuple[str, object]]
) -> None:
    writer = make_writer(fsync=FsyncPolicy.NEVER)
    records = [(stream, record(stream, T0 + timedelta(minutes=i))) for i in range(5) for stream in STREAMS]
    for stream, item in records:
        writer.write(stream, item)
    writer.close()

    # One os.write per record, each carrying exactly one whole line: a reader never sees half a record.
    writes = [data for kind, data in os_calls if kind == "write"]
    assert len(writes) == len(records)
    assert all(isinstance(data, bytes) and data.endswith(b"\n") and data.count(b"\n") == 1 for data in writes)
    for stream, model in STREAMS.items():
        lines = lines_of(data_root / "run_20260601" / f"{stream}.0000.jsonl")
        expected = [item for name, item in records if name == stream]
        assert [model.model_validate_json(line) for line in lines] == expected
        # The bytes are pydantic's own JSON dump, so the same record always gives the same bytes.
        assert lines == [item.model_dump_json().encode() + b"\n" for item in expected]


@pytest.mark.parametrize("policy", list(FsyncPolicy))
def test_flush_and_fsync_modes(
    make_writer: Callable[..., DatasetWriter],
    data_root: Path,
    os_calls: list[tuple[str, object]],
    policy: FsyncPolicy,
) -> None:
    clock = FakeTime()
    writer = make_writer(fsync=policy, batch_records=3, batch_seconds=5.0, monotonic=clock.monotonic)
    durable_after_each = []
    for timestamp in minutes(4):
        writer.write("observations", observation(timestamp))
        durable_after_each.append(writer.durable["observations"])
    file_fsyncs = sum(1 for kind, _ in os_calls if kind == "fsync")
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    assert len(lines_of(part)) == 4  # every policy hands each record to the kernel at once
    assert writer.written["observations"] == 4

    if policy is FsyncPolicy.ALWAYS:
        assert durable_after_each == [1, 2, 3, 4] and file_fsyncs == 4
    elif policy is FsyncPolicy.BATCH:
        # Group commit at the third record; the fourth waits for the count, the clock or a flush.
        assert durable_after_each == [0, 0, 3, 3] and file_fsyncs == 1
        writer.flush_if_due()
        assert writer.durable["observations"] == 3
        clock.advance(5.0)
        writer.flush_if_due()
        assert writer.durable["observations"] == 4
        writer.write("observations", observation(T0 + timedelta(hours=1)))
        clock.advance(5.0)
        writer.write("observations", observation(T0 + timedelta(hours=2)))  # the clock triggers the commit
        assert writer.durable["observations"] == 6
    else:
        assert durable_after_each == [0, 0, 0, 0] and file_fsyncs == 0
        assert not any(kind == "fsync_dir" for kind, _ in os_calls)

    writer.flush()
    expected_durable = 0 if policy is FsyncPolicy.NEVER else writer.written["observations"]
    assert writer.durable["observations"] == expected_durable


def test_new_files_and_directories_are_durable_before_any_record(
    make_writer: Callable[..., DatasetWriter], data_root: Path, os_calls: list[tuple[str, object]]
) -> None:
    writer = make_writer(fsync=FsyncPolicy.ALWAYS)
    writer.write("observations", observation(T0))
    run_dir = data_root / "run_20260601"
    first_file_fsync = next(i for i, (kind, _) in enumerate(os_calls) if kind == "fsync")
    dir_fsyncs = [path for kind, path in os_calls[:first_file_fsync] if kind == "fsync_dir"]
    # The data root was created in tmp_path, the run directory in the data root, the part in the run.
    assert dir_fsyncs == [data_root.parent, data_root, run_dir]


def test_batch_flush_and_close_make_everything_durable(make_writer: Callable[..., DatasetWriter]) -> None:
    writer = make_writer(fsync=FsyncPolicy.BATCH, batch_records=100)
    for timestamp in minutes(5):
        writer.write("observations", observation(timestamp))
        writer.write("state", record("state", timestamp))
    assert dict(writer.durable) == dict.fromkeys(STREAMS, 0)
    writer.close()
    assert writer.durable["observations"] == 5 and writer.durable["state"] == 5
    writer.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        writer.write("observations", observation(T0))


def test_restart_on_the_same_day_appends_without_touching_earlier_bytes(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    first = make_writer()
    for timestamp in minutes(3):
        first.write("observations", observation(timestamp))
    first.close()
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    before = part.read_bytes()

    second = make_writer()
    second.write("observations", observation(T0 + timedelta(hours=1)))
    second.close()
    after = part.read_bytes()
    assert after.startswith(before)
    assert [ObservationV1.model_validate_json(line).timestamp for line in lines_of(part)] == [
        *minutes(3),
        T0 + timedelta(hours=1),
    ]


def test_unknown_stream_or_wrong_record_kind_is_refused(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer()
    with pytest.raises(UnknownStreamError, match="'observation'"):
        writer.write("observation", observation(T0))
    with pytest.raises(UnknownStreamError, match="ObservationV1 to stream 'state'"):
        writer.write("state", observation(T0))
    assert [path.name for path in data_root.iterdir()] == [LOCK_FILE_NAME]  # no run directory, no part


def test_the_storage_section_is_the_writers_settings() -> None:
    from brain.config import load_settings

    section = {"fsync": "always", "batch_records": 7, "batch_seconds": 2.5, "max_file_bytes": 8192}
    loaded = load_settings(flags={"storage": section})
    assert loaded.settings.storage == StorageSettings(
        fsync=FsyncPolicy.ALWAYS, batch_records=7, batch_seconds=2.5, max_file_bytes=8192
    )
    # Plain strings, as configuration holds them, become the policies they name.
    assert StorageSettings(fsync="always").fsync is FsyncPolicy.ALWAYS
    assert loaded.settings.storage.on_unserializable is UnserializablePolicy.SKIP


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"batch_records": 0}, "storage.batch_records"),
        ({"batch_seconds": 0.0}, "storage.batch_seconds"),
        ({"max_file_bytes": 0}, "storage.max_file_bytes"),
        ({"fsync": "sometimes"}, "storage.fsync"),
        ({"on_unserializable": "ignore"}, "storage.on_unserializable"),
    ],
)
def test_bad_settings_name_their_key(change: dict[str, object], key: str) -> None:
    from brain.config import load_settings

    with pytest.raises(ValidationError) as invalid:
        StorageSettings(**change)
    assert invalid.value.errors()[0]["loc"] == (key.removeprefix("storage."),)
    with pytest.raises(ConfigError) as raised:
        load_settings(flags={"storage": change})
    assert raised.value.key == key


def test_an_unknown_site_time_zone_stops_the_writer_before_it_writes(data_root: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        DatasetWriter(data_root, StorageSettings(), timezone="Mars/Olympus_Mons")
    assert raised.value.key == "timezone"
    assert not data_root.exists()


def test_state_records_round_trip_through_the_writer(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer()
    state = record("state", T0)
    writer.write("state", state)
    writer.close()
    (line,) = lines_of(data_root / "run_20260601" / "state.0000.jsonl")
    assert StateV1.model_validate_json(line) == state
