"""The one fake of real time for tests: a monotonic clock, a wall clock, and sleeps that move them.

Why: what waits on real time takes it injected (``RealClock`` and ``SimClock``'s pacing:
``monotonic``, ``wall``, ``sleep``; the hardware drivers: ``monotonic``, ``sleep``; the
storage writer's batch timer: ``monotonic``). Given these methods instead, a test waits
an hour in no time, and measures exactly what the code under test waited. For logical
time (a source's or the loop's ``now``), tests use ``brain.clock.SimClock`` itself.

Example::

    fake = FakeTime()
    clock = RealClock(wall=fake.time, monotonic=fake.monotonic, sleep=fake.wait)
    fake.at(fake.now + 0.1, stop.set)  # "another thread" asks to stop 100 ms into a wait
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from brain.clock import StopSignal

WALL_START_S = datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp()


@dataclass
class FakeTime:
    """``now`` is the monotonic reading; the wall reads ``wall_s`` and moves with it unless stepped."""

    now: float = 1000.0
    wall_s: float = WALL_START_S
    sleeps: list[float] = field(default_factory=list)
    _due: list[tuple[float, int, Callable[[], object]]] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        """Wall-clock seconds since the epoch, as ``time.time`` gives them."""
        return self.wall_s

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock (NTP correcting it); monotonic time does not move."""
        self.wall_s += seconds

    def at(self, monotonic_s: float, action: Callable[[], object]) -> None:
        """Run ``action`` when time reaches ``monotonic_s`` (during a sleep, a wait or an advance)."""
        self._due.append((monotonic_s, len(self._due), action))
        self._due.sort(key=lambda item: item[:2])

    def advance(self, seconds: float) -> None:
        """Time passes (a job working, a machine stalling), running what falls due on the way."""
        assert seconds >= 0
        self._run_until(self.now + seconds)

    def sleep(self, seconds: float) -> None:
        """``time.sleep``: the hardware drivers' wait."""
        assert seconds >= 0
        self.sleeps.append(seconds)
        self._run_until(self.now + seconds)

    def wait(self, stop: StopSignal, seconds: float) -> bool:
        """``StopSignal.sleep`` for the clocks: up to ``seconds``, ending as soon as ``stop`` is set."""
        if stop.is_set():
            return True
        began = self.now
        self._run_until(self.now + max(seconds, 0.0), stop)
        self.sleeps.append(self.now - began)
        return stop.is_set()

    def _run_until(self, target: float, stop: StopSignal | None = None) -> None:
        while self._due and self._due[0][0] <= target:
            when, _, action = self._due.pop(0)
            self._move_to(max(when, self.now))
            action()
            if stop is not None and stop.is_set():
                return
        self._move_to(target)

    def _move_to(self, monotonic_s: float) -> None:
        self.wall_s += monotonic_s - self.now
        self.now = monotonic_s
