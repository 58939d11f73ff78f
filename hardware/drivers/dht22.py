"""DHT22 (AM2302) air temperature and humidity on one GPIO line, via ``adafruit-circuitpython-dht``.

Why the retries and the spacing: the DHT22 speaks a timing-critical one-wire
protocol that Blinka bit-bangs from Python (``use_pulseio=False``, which the
library's example says "may be necessary on a Linux single board computer like
the Raspberry Pi": its pulseio is a separate libgpiod helper process), so a good share of
reads fail with ``RuntimeError`` ("Checksum did not validate", "A full buffer was
not returned"); the library's own examples simply try again. The datasheet
allows one conversion every 2 s, and the library enforces it in its own way: a
second read within 2 s silently returns the *cached* values, which after a
checksum failure are the garbled ones. So every attempt here is at least
:data:`MIN_READ_INTERVAL_S` after the previous one, across polls too, and the
retries within a poll back off (2.1 s, 4.2 s, ...). After ``attempts`` failures
the poll reports ``null`` with the last library message.

The ranges in :func:`read` are the datasheet's measuring ranges
(-40 to 80 degC, 0 to 100 %RH).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.base import ClimateSettings, DriverBase, DriverContext, GpioPin, SensorSettings, checked
from hardware.retry import DeviceLink

MIN_READ_INTERVAL_S = 2.1
"""Datasheet minimum of 2 s between conversions, plus margin: the library caches when under 2 s."""

_RH = SensorKey.RELATIVE_HUMIDITY_PCT
_TEMP = SensorKey.AIR_TEMPERATURE_C


class DHTDevice(Protocol):
    """The part of ``adafruit_dht.DHT22`` this driver uses."""

    @property
    def temperature(self) -> float | None: ...  # noqa: D102

    @property
    def humidity(self) -> float | None: ...  # noqa: D102

    def exit(self) -> None: ...  # noqa: D102


class DHT22Settings(ClimateSettings):
    """``driver = "dht22"``: a DHT22 data line on a GPIO pin (with a 4.7-10 kOhm pull-up to 3.3 V)."""

    can_provide: ClassVar[frozenset[SensorKey]] = frozenset({_TEMP, _RH})
    default_provides: ClassVar[tuple[SensorKey, ...]] = (_TEMP, _RH)

    driver: Literal["dht22"]
    pin: GpioPin
    """BCM number of the GPIO the data line is wired to."""
    attempts: int = Field(default=3, ge=1, le=5)
    """Reads tried per poll before the poll reports null."""

    @property
    def where(self) -> str:  # noqa: D102
        return f"GPIO{self.pin}"

    @property
    def gpio_pin(self) -> int | None:  # noqa: D102
        return self.pin

    def worst_case_read_s(self) -> float:
        """All backoff waits plus about half a second per bit-banged attempt."""
        return sum(_backoff_s(n) for n in range(1, self.attempts)) + 0.5 * self.attempts


def _backoff_s(attempt: int) -> float:
    """Wait before the ``attempt``-th retry (1-based) within one poll."""
    return float(MIN_READ_INTERVAL_S * 2 ** (attempt - 1))


def open_dht22(pin: int) -> Any:
    """Open the sensor through the Adafruit library (imported here: only the Pi has it).

    The bit-banged DHT22 requests its GPIO line only when it converts, so a line
    nobody can have (no GPIO chip, no permission on ``/dev/gpiochip*``, taken by
    the 1-Wire overlay) would look like a run of failed conversions. Requesting
    the line once here makes it what it is, a device that cannot be opened (the
    start-up self-test's "not found", with Blinka's or the kernel's reason).
    """
    import adafruit_dht
    import board
    import digitalio

    line = getattr(board, f"D{pin}")
    digitalio.DigitalInOut(line).deinit()
    return adafruit_dht.DHT22(line, use_pulseio=False)


class DHT22Driver(DriverBase[DHT22Settings]):
    """Reads temperature and humidity with retries, never more often than every 2.1 s."""

    settings_model: ClassVar[type[SensorSettings]] = DHT22Settings

    def __init__(
        self,
        settings: DHT22Settings,
        context: DriverContext,
        *,
        open_device: Callable[[], DHTDevice] | None = None,
    ) -> None:
        self._settings = settings
        self._monotonic = context.monotonic
        self._sleep = context.sleep
        self._link: DeviceLink[DHTDevice] = DeviceLink(
            settings.label,
            open_device or (lambda: open_dht22(settings.pin)),
            retry=context.retry,
            monotonic=context.monotonic,
            release=lambda device: device.exit(),
        )
        self._last_attempt: float | None = None

    def read(self) -> dict[SensorKey, float]:
        """Try up to ``attempts`` times; return both values of the first good conversion."""
        device = self._link.acquire()
        failures: list[str] = []
        for attempt in range(self._settings.attempts):
            self._wait_until(MIN_READ_INTERVAL_S if attempt == 0 else _backoff_s(attempt))
            self._last_attempt = self._monotonic()
            try:
                # The library converts once and caches for 2 s: both values come from one conversion.
                temperature, humidity = device.temperature, device.humidity
                values = self._settings.calibrated(
                    checked(_TEMP, temperature, -40.0, 80.0), checked(_RH, humidity, 0.0, 100.0)
                )
            except (RuntimeError, SensorReadError) as exc:
                failures.append(str(exc) or type(exc).__name__)
                continue
            except OSError as exc:  # the GPIO line itself failed (chip gone, line busy): reopen later
                self._link.lost(exc)
                raise SensorReadError(f"GPIO{self._settings.pin} unusable: {exc}") from exc
            return values
        raise SensorReadError(f"no valid reading in {len(failures)} attempts (last: {failures[-1]})")

    def _wait_until(self, spacing_s: float) -> None:
        if self._last_attempt is None:
            return
        remaining = self._last_attempt + spacing_s - self._monotonic()
        if remaining > 0:
            self._sleep(remaining)

    def close(self) -> None:
        """Release the GPIO line (``DHT22.exit()``); idempotent."""
        self._link.close()
