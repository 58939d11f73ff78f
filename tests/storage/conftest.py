"""Fixtures for the storage tests: a data root, settings, writers that are always closed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from tests.storage.processes import start_holder, stop


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_writer(data_root: Path) -> Iterator[Callable[..., DatasetWriter]]:
    """Build writers on ``data_root`` (settings and timezone as keywords); each is closed after the test."""
    writers: list[DatasetWriter] = []

    def make(
        *, monotonic: Callable[[], float] | None = None, timezone: str = "UTC", **settings: Any
    ) -> DatasetWriter:
        settings.setdefault("fsync", FsyncPolicy.ALWAYS)
        extra = {"monotonic": monotonic} if monotonic is not None else {}
        writer = DatasetWriter(data_root, StorageSettings(**settings), timezone=timezone, **extra)
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.close()


@pytest.fixture
def holder(data_root: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process that holds a writer on ``data_root`` until its stdin is closed."""
    process = start_holder(data_root)
    yield process
    stop(process)
