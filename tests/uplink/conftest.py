"""Fixtures of the uplink tests: a real broker, a subscriber, a data root written by a real DatasetWriter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from tests.uplink.broker import Broker, Subscriber


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = Broker(tmp_path / "broker")
    yield started
    started.stop()


@pytest.fixture
def subscribe(broker: Broker) -> Iterator[Callable[..., Subscriber]]:
    made: list[Subscriber] = []

    def make(*topics: str, **options: Any) -> Subscriber:
        subscriber = Subscriber(broker.port, list(topics) or ["#"], **options)
        made.append(subscriber)
        return subscriber

    yield make
    for subscriber in made:
        subscriber.close()


@pytest.fixture
def writer(data_root: Path) -> Iterator[DatasetWriter]:
    opened = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    yield opened
    opened.close()
