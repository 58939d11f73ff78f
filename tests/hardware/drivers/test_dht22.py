import random

import pytest

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.dht22 import MIN_READ_INTERVAL_S, DHT22Driver, DHT22Settings
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeDHT22, make_context

TEMP, RH = SensorKey.AIR_TEMPERATURE_C, SensorKey.RELATIVE_HUMIDITY_PCT


def _driver(clock: FakeTime, device: FakeDHT22, **settings: object) -> DHT22Driver:
    config = DHT22Settings.model_validate({"driver": "dht22", "pin": 4, **settings})
    return DHT22Driver(config, make_context(clock), open_device=lambda: device)


def test_reads_both_values_from_one_conversion() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock, temperature=22.0, humidity=55.5)
    assert _driver(clock, device).read() == {TEMP: 22.0, RH: 55.5}
    assert len(device.conversions) == 1


def test_thirty_percent_failures_rarely_reach_the_record() -> None:
    """With 30 % failed conversions and 3 attempts a poll is null with probability 0.3**3 = 2.7 %."""
    clock = FakeTime()
    device = FakeDHT22(clock, fail_rate=0.3, rng=random.Random(20240601))
    driver = _driver(clock, device)
    polls, nulls = 1000, 0
    for _ in range(polls):
        clock.advance(60)
        try:
            values = driver.read()
        except SensorReadError as exc:
            nulls += 1
            assert "attempts" in str(exc) and "Try again" in str(exc)
        else:
            # never the garbage a failed checksum leaves in the library's cache
            assert values == {TEMP: device.true_temperature, RH: device.true_humidity}
    # Binomial(1000, 0.027): mean 27, standard deviation 5.1; these bounds are 4 sd either side.
    assert 6 <= nulls <= 48
    gaps = [b - a for a, b in zip(device.conversions, device.conversions[1:], strict=False)]
    assert min(gaps) > 2.0  # the datasheet minimum; the library caches below it


def test_retries_back_off_and_never_read_faster_than_every_two_seconds() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock, fail_rate=1.0)
    with pytest.raises(SensorReadError, match=r"3 attempts"):
        _driver(clock, device).read()
    assert clock.sleeps == [pytest.approx(2.1), pytest.approx(4.2)]
    assert len(device.conversions) == 3


def test_back_to_back_polls_wait_for_the_sensor() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock)
    driver = _driver(clock, device)
    driver.read()
    clock.advance(0.5)
    driver.read()
    assert clock.sleeps == [pytest.approx(MIN_READ_INTERVAL_S - 0.5)]
    assert len(device.conversions) == 2


def test_implausible_values_are_retried_not_recorded() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock, humidity=3276.8)
    with pytest.raises(SensorReadError, match="outside the measuring range"):
        _driver(clock, device, attempts=2).read()


def test_offsets_apply_and_humidity_stays_within_100() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock, temperature=20.0, humidity=97.0)
    values = _driver(clock, device, temperature_offset_c=-0.5, humidity_offset_pct=5.0).read()
    assert values == {TEMP: 19.5, RH: 100.0}


def test_provides_only_what_is_asked() -> None:
    clock = FakeTime()
    assert _driver(clock, FakeDHT22(clock), provides=["relative_humidity_pct"]).read() == {RH: 71.2}


def test_close_releases_the_pin_once() -> None:
    clock = FakeTime()
    device = FakeDHT22(clock)
    driver = _driver(clock, device)
    driver.read()
    driver.close()
    driver.close()
    assert device.exited == 1


def test_a_gpio_line_error_reopens_the_device_later() -> None:
    clock = FakeTime()
    opened: list[float] = []

    class BusyLine(FakeDHT22):
        @property
        def temperature(self) -> float | None:
            raise OSError(16, "Device or resource busy")

    def open_device() -> FakeDHT22:
        opened.append(clock.now)
        return BusyLine(clock)

    config = DHT22Settings.model_validate({"driver": "dht22", "pin": 4})
    driver = DHT22Driver(config, make_context(clock), open_device=open_device)
    with pytest.raises(SensorReadError, match="GPIO4 unusable"):
        driver.read()
    with pytest.raises(SensorReadError, match="next retry"):
        driver.read()
    clock.advance(30)
    with pytest.raises(SensorReadError, match="GPIO4 unusable"):
        driver.read()
    assert len(opened) == 2


def test_a_conversion_that_returns_nothing_is_retried() -> None:
    clock = FakeTime()

    class Silent(FakeDHT22):
        @property
        def humidity(self) -> float | None:
            return None

    with pytest.raises(SensorReadError, match=r"no value returned \(got None\)"):
        _driver(clock, Silent(clock), attempts=2).read()
