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
    """Build writers on ``data_root`` (settings as keywords); every one is closed after the test."""
    writers: list[DatasetWriter] = []

    def make(*, monotonic: Callable[[], float] | None = None, **settings: Any) -> DatasetWriter:
        settings.setdefault("fsync", FsyncPolicy.ALWAYS)
        extra = {"monotonic": monotonic} if monotonic is not None else {}
        writer = DatasetWriter(data_root, StorageSettings(**settings), **extra)
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.close()


@pytest.fixture
def drills_only(request: pytest.FixtureRequest) -> None:
    """Long drills run only when asked for with ``-m slow`` (``make drills``), never in ``make test``."""
    expression = request.config.getoption("-m") or ""
    if "slow" not in expression or "not slow" in expression:
        pytest.skip("long drill: run with -m slow")


@pytest.fixture
def holder(data_root: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process that holds a writer on ``data_root`` until its stdin is closed."""
    process = start_holder(data_root)
    yield process
    stop(process)
