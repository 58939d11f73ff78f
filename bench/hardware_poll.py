"""What one hardware poll costs on top of the sensors themselves, and that nothing leaks.

Runs the real HardwareSource (one worker thread per driver per poll, the bounded
reader, record validation) over five instant drivers and seven relays on
gpiozero's mock pins, and prints the time per poll, the live thread count and
the resident memory before and after. On the Pi the sensors dominate (one
bit-banged DHT22 attempt alone holds the line 0.1 s and listens 0.1 s in the
library); this isolates brain's own overhead.

Usage: python bench/hardware_poll.py [polls]
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from datetime import UTC, datetime

from gpiozero.pins.mock import MockFactory

from brain.contracts import SENSOR_KEYS, SensorKey
from hardware.config import RelaySettings
from hardware.relays import RelayBank
from hardware.retry import RetryPolicy
from hardware.source import HardwareSource

RELAYS = ("heater", "vent_fan", "circulation_fan", "irrigation_pump", "misting", "grow_lights", "co2_valve")
PINS = (17, 27, 22, 5, 6, 13, 19)


class InstantDriver:
    """A driver whose device answers at once."""

    def __init__(self, key: SensorKey) -> None:
        self.label = key.value
        self.keys = (key,)

    def read(self) -> dict[SensorKey, float]:
        return {self.keys[0]: 21.5}

    def close(self) -> None:
        pass


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(polls: int = 5000) -> None:
    factory = MockFactory()
    relays = RelayBank(
        [RelaySettings(name=name, pin=pin) for name, pin in zip(RELAYS, PINS, strict=True)],
        retry=RetryPolicy(),
        monotonic=time.monotonic,
        pin_factory=factory,
    )
    source = HardwareSource(
        site_id="bench",
        now=lambda: datetime.now(UTC),
        drivers=[InstantDriver(key) for key in SENSOR_KEYS],
        relays=relays,
        read_timeout_s=10,
    )
    for _ in range(100):  # warm-up
        source.next_observation()
    rss_before, threads_before = _rss_mib(), threading.active_count()
    started = time.perf_counter()
    for _ in range(polls):
        source.next_observation()
        source.device_status()
    elapsed = time.perf_counter() - started
    rss_after, threads_after = _rss_mib(), threading.active_count()
    source.close()
    print(f"polls: {polls}")
    print(f"time per poll: {elapsed / polls * 1000:.3f} ms (5 sensor threads, 7 relays, 2 records)")
    print(f"threads alive: {threads_before} before, {threads_after} after")
    print(f"peak RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
