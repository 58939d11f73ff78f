"""Every sensor read of a poll runs in its own worker thread, bounded by one deadline.

Why threads: an I2C transfer or a bit-banged GPIO read can hang in the kernel
or the vendor library, and Python cannot interrupt it. So each driver's read
runs in a daemon thread; the poll waits for all of them until one shared
deadline (``timeout_s`` after the poll started) and reports the ones that have
not returned as failed. A driver whose previous read is still hung is not
called again (no pile-up of threads on a dead bus): it is reported as hung
until that read returns, and the late result is discarded because it belongs
to an earlier poll. Daemon threads never block the process from exiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from brain.sources.base import ProbeStatus
from hardware.drivers.base import SensorDriver
from hardware.errors import DeviceNotFoundError, OutOfRangeError

log = structlog.get_logger(__name__)

HUNG = "previous read has not returned; not called again until it does"


@dataclass(frozen=True)
class ReadOutcome:
    """One driver's result in one poll: values, or the reason there are none."""

    values: Mapping[SensorKey, float] = field(default_factory=dict)
    error: str | None = None
    status: ProbeStatus = ProbeStatus.NO_READING
    """What the self-test makes of it: found (values), not found, out of range, or no reading."""


def _status_of(exc: SensorReadError) -> ProbeStatus:
    if isinstance(exc, DeviceNotFoundError):
        return ProbeStatus.NOT_FOUND
    if isinstance(exc, OutOfRangeError):
        return ProbeStatus.OUT_OF_RANGE
    return ProbeStatus.NO_READING


class _Read:
    """One read running in its own thread."""

    def __init__(self, driver: SensorDriver) -> None:
        self.driver = driver
        self.started = time.monotonic()
        self.finished = self.started
        self.outcome = ReadOutcome(error="read did not finish")
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"read-{driver.label}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.outcome = ReadOutcome(values=self.driver.read(), status=ProbeStatus.FOUND)
        except SensorReadError as exc:
            self.outcome = ReadOutcome(error=str(exc), status=_status_of(exc))
        except Exception as exc:  # a driver bug must cost one reading, not the daemon
            log.exception("sensor_driver_crashed", sensor=self.driver.label)
            self.outcome = ReadOutcome(error=f"driver error {type(exc).__name__}: {exc}")
        finally:
            self.finished = time.monotonic()
            self.done.set()


class BoundedReader:
    """Reads a set of drivers concurrently, each at most ``timeout_s`` per poll, never two at once."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._running: dict[str, _Read] = {}

    def read_all(self, drivers: Sequence[SensorDriver]) -> dict[str, ReadOutcome]:
        """Read every driver once; return an outcome per driver label."""
        deadline = time.monotonic() + self._timeout_s
        outcomes: dict[str, ReadOutcome] = {}
        started: list[_Read] = []
        for driver in drivers:
            previous = self._running.get(driver.label)
            if previous is not None and not previous.done.is_set():
                outcomes[driver.label] = ReadOutcome(error=HUNG)
                continue
            if previous is not None:
                self._forget(previous)
            read = _Read(driver)
            self._running[driver.label] = read
            started.append(read)
        for read in started:
            finished = read.done.wait(max(0.0, deadline - time.monotonic()))
            label = read.driver.label
            if finished:
                outcomes[label] = read.outcome
                del self._running[label]
            else:
                log.warning("sensor_read_timed_out", sensor=label, timeout_s=self._timeout_s)
                outcomes[label] = ReadOutcome(error=f"read timed out after {self._timeout_s:g} s")
        return {driver.label: outcomes[driver.label] for driver in drivers}

    @property
    def hung(self) -> tuple[str, ...]:
        """Labels of drivers whose read from an earlier poll has still not returned."""
        return tuple(label for label, read in self._running.items() if not read.done.is_set())

    @staticmethod
    def _forget(read: _Read) -> None:
        log.info(
            "sensor_read_returned_late",
            sensor=read.driver.label,
            after_s=round(read.finished - read.started, 1),
        )
