"""Files 0644, folders 0755, whatever the umask: every kind of file brain creates, under umask 000 and 077."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings, apply_retention
from brain.storage.dataset import LOCK_FILE_NAME
from brain.storage.export import export_public
from brain.storage.modes import DIR_MODE, FILE_MODE
from brain.storage.repair import repair_torn_tail
from tests.factories import T0, minutes, observation


@pytest.fixture(params=[0o000, 0o077], ids=["umask000", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask for the test (process-wide, so restored after it)."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    """Permission bits of ``root`` and everything under it, by relative path."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_everything_brain_creates_has_its_mode_whatever_the_umask(umask: int, tmp_path: Path) -> None:
    data_root = tmp_path / "deep" / "data"  # missing parents are created too
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.BATCH))
    for timestamp in minutes(2) + minutes(2, start=T0.replace(day=20)):
        writer.write("observations", observation(timestamp))
    writer.close()
    old_part = data_root / "run_20260601" / "observations.0000.jsonl"
    with old_part.open("ab") as handle:
        handle.write(b'{"torn')
    repair_torn_tail(old_part)  # creates the .torn side file
    apply_retention(data_root, date(2026, 6, 20), retention_days=30, compress_after_days=7)  # a .gz
    export_public(data_root, tmp_path / "export")

    found = modes(tmp_path / "deep") | {f"export/{k}": v for k, v in modes(tmp_path / "export").items()}
    expected_files = {
        "data/.brain.lock",
        "data/run_20260601/observations.0000.jsonl.gz",
        "data/run_20260601/observations.0000.jsonl.torn",
        "data/run_20260620/observations.0000.jsonl",
        "export/run_20260601/observations.0000.jsonl",
        "export/run_20260620/observations.0000.jsonl",
    }
    expected_dirs = {".", "data", "data/run_20260601", "data/run_20260620", "export/.", "export/run_20260601"}
    expected_dirs.add("export/run_20260620")
    assert {name for name, mode in found.items() if mode == FILE_MODE} == expected_files
    assert {name for name, mode in found.items() if mode == DIR_MODE} == expected_dirs
    assert len(found) == len(expected_files) + len(expected_dirs)  # nothing with any other mode
    assert (data_root / LOCK_FILE_NAME).stat().st_mode & 0o777 == 0o644


def test_an_existing_file_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    part = data_root / "run_20260601" / "observations.0000.jsonl"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"")
    part.chmod(0o600)
    writer = DatasetWriter(data_root, StorageSettings())
    writer.write("observations", observation(T0))
    writer.close()
    assert stat.S_IMODE(part.stat().st_mode) == 0o600 and part.read_bytes()
