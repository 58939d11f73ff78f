"""Fakes at the Adafruit-library boundary: same attributes as the real driver objects.

Each fake behaves like the library object it stands for, as far as brain uses
it: the DHT22 converts at most every 2 s and otherwise returns its cache (as
``adafruit_dht`` does), the SCD4x reports ``data_ready`` only for new samples,
the I2C devices raise ``OSError`` (errno 121, what Linux returns when nothing
answers at an address) while they are unplugged.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Callable

from hardware.drivers.base import DriverContext
from hardware.i2c import I2CBus
from hardware.retry import RetryPolicy
from tests.fake_time import FakeTime


def make_context(
    clock: FakeTime, *, retry: RetryPolicy | None = None, bus: I2CBus | None = None
) -> DriverContext:
    return DriverContext(
        i2c=bus or I2CBus(open_bus=object),
        retry=retry or RetryPolicy(initial_s=30.0, max_s=600.0),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def remote_io_error() -> OSError:
    return OSError(errno.EREMOTEIO, "Remote I/O error")


class FakeDHT22:
    """``adafruit_dht.DHT22``: converts on access unless the last conversion is under 2 s old."""

    CHECKSUM = "Checksum did not validate. Try again."
    SHORT = "A full buffer was not returned. Try again."

    def __init__(
        self,
        clock: FakeTime,
        *,
        temperature: float = 23.4,
        humidity: float = 71.2,
        fail_rate: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self.true_temperature = temperature
        self.true_humidity = humidity
        self._fail_rate = fail_rate
        self._rng = rng or random.Random(0)
        self._last_called: float | None = None
        self._temperature: float | None = None
        self._humidity: float | None = None
        self.conversions: list[float] = []
        self.exited = 0

    def _measure(self) -> None:
        now = self._clock.monotonic()
        if self._last_called is not None and now - self._last_called <= 2.0:
            return  # the library returns its cache within 2 s
        self._last_called = now
        self.conversions.append(now)
        if self._rng.random() < self._fail_rate:
            # Like the library, a failed checksum leaves garbage in the cache before it raises.
            self._temperature, self._humidity = -999.0, -999.0
            raise RuntimeError(self._rng.choice([self.CHECKSUM, self.SHORT]))
        self._temperature, self._humidity = self.true_temperature, self.true_humidity

    @property
    def temperature(self) -> float | None:
        self._measure()
        return self._temperature

    @property
    def humidity(self) -> float | None:
        self._measure()
        return self._humidity

    def exit(self) -> None:
        self.exited += 1


class Unplugged:
    """Shared switch: while ``gone`` is true, opening and reading the device fail like a NACK."""

    def __init__(self) -> None:
        self.gone = False
        self.opens: list[float] = []

    def check(self) -> None:
        if self.gone:
            raise remote_io_error()


class FakeSHT31D:
    """``adafruit_sht31d.SHT31D``: ``temperature`` and ``relative_humidity`` measure on access."""

    def __init__(self, plug: Unplugged, temperature: float = 21.5, humidity: float = 64.0) -> None:
        self._plug = plug
        self.reading = (temperature, humidity)

    @property
    def temperature(self) -> float:
        self._plug.check()
        return self.reading[0]

    @property
    def relative_humidity(self) -> float:
        self._plug.check()
        return self.reading[1]


def opener(plug: Unplugged, clock: FakeTime, make: Callable[[], object]) -> Callable[[], object]:
    """An ``open_device`` that fails like an absent device while unplugged, and records attempts."""

    def open_device() -> object:
        plug.opens.append(clock.monotonic())
        if plug.gone:
            raise ValueError("No I2C device at address: 0x44")
        return make()

    return open_device


class FakeSCD4X:
    """``adafruit_scd4x.SCD4X`` in periodic mode: a new sample every 5 s after start."""

    def __init__(self, clock: FakeTime, *, started_at: float | None = None, co2: int = 812) -> None:
        self._clock = clock
        self.started_at = clock.monotonic() if started_at is None else started_at
        self._consumed = 0
        self.co2 = co2
        self.temperature_c = 24.0
        self.humidity_pct = 60.0
        self.stalled = False

    def _samples(self) -> int:
        return int((self._clock.monotonic() - self.started_at) // 5.0)

    @property
    def data_ready(self) -> bool:
        return not self.stalled and self._samples() > self._consumed

    def _read(self) -> None:
        if self.data_ready:
            self._consumed = self._samples()

    @property
    def CO2(self) -> int:  # noqa: N802 (the library's name)
        self._read()
        return self.co2

    @property
    def temperature(self) -> float:
        self._read()
        return self.temperature_c

    @property
    def relative_humidity(self) -> float:
        self._read()
        return self.humidity_pct


class FakeAnalogIn:
    """``adafruit_ads1x15.analog_in.AnalogIn``: ``value`` is the raw count."""

    def __init__(self, value: int) -> None:
        self.value = value


class FakeBH1750:
    """``adafruit_bh1750.BH1750``: ``lux``."""

    def __init__(self, lux: float) -> None:
        self.lux = lux
