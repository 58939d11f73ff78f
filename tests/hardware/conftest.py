"""Fixtures of the hardware tests: scripted drivers that stand in for any sensor."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from brain.contracts import SensorKey
from brain.errors import SensorReadError


class ScriptedDriver:
    """A driver whose read returns, fails or blocks as the test says (for source-level tests)."""

    def __init__(self, label: str, keys: tuple[SensorKey, ...], value: float = 1.0) -> None:
        self.label = label
        self.keys = keys
        self.value = value
        self.error: str | None = None
        self.crash: Exception | None = None
        self.gate: threading.Event | None = None
        self.calls = 0
        self.closed = 0

    def read(self) -> dict[SensorKey, float]:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.crash is not None:
            raise self.crash
        if self.error is not None:
            raise SensorReadError(self.error)
        return dict.fromkeys(self.keys, self.value)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedDriver]]:
    """Make scripted drivers; any left blocked are released at the end of the test."""
    made: list[ScriptedDriver] = []

    def make(label: str, *keys: SensorKey, value: float = 1.0) -> ScriptedDriver:
        made.append(ScriptedDriver(label, keys, value))
        return made[-1]

    yield make
    for driver in made:
        if driver.gate is not None:
            driver.gate.set()
