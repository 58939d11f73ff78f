"""Helpers for the scheduler tests: a start instant and a log of what ran when."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

START = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Runs:
    """Records ``(job name, fire time)`` in the order jobs ran."""

    calls: list[tuple[str, datetime]] = field(default_factory=list)

    def job(self, name: str):  # type: ignore[no-untyped-def]
        def record(fire_time: datetime) -> None:
            self.calls.append((name, fire_time))

        return record

    def times(self, name: str) -> list[datetime]:
        return [when for who, when in self.calls if who == name]


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def restore_sigterm() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)
