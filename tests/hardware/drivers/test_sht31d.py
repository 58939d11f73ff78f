import pytest

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.sht31d import SHT31DDriver, SHT31DSettings
from hardware.retry import RetryPolicy
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeSHT31D, Unplugged, make_context, opener

TEMP, RH = SensorKey.AIR_TEMPERATURE_C, SensorKey.RELATIVE_HUMIDITY_PCT
SETTINGS = SHT31DSettings.model_validate({"driver": "sht31d", "address": 0x44})


def _driver(clock: FakeTime, plug: Unplugged) -> SHT31DDriver:
    context = make_context(clock, retry=RetryPolicy(initial_s=30, max_s=600))
    return SHT31DDriver(SETTINGS, context, open_device=opener(plug, clock, lambda: FakeSHT31D(plug)))


def _poll(driver: SHT31DDriver) -> dict[SensorKey, float] | str:
    try:
        return driver.read()
    except SensorReadError as exc:
        return str(exc)


def test_reads_temperature_and_humidity() -> None:
    clock, plug = FakeTime(), Unplugged()
    assert _driver(clock, plug).read() == {TEMP: 21.5, RH: 64.0}


def test_absent_at_start_is_retried_with_backoff_until_it_answers() -> None:
    clock, plug = FakeTime(now=0.0), Unplugged()
    plug.gone = True
    driver = _driver(clock, plug)
    results = {}
    for t in range(0, 301, 60):  # polls every 60 s
        clock.now = float(t)
        if t == 180:  # plugged in just before this poll, which is not due for a retry yet
            plug.gone = False
        results[t] = _poll(driver)
    # Backoff 30, 60, 120 s: attempts at 0 (next >= 30), 60 (next >= 120), 120 (next >= 240), 240.
    assert plug.opens == [0.0, 60.0, 120.0, 240.0]
    assert "No I2C device at address" in str(results[0])
    assert "next retry in 60 s" in str(results[180])
    assert results[240] == {TEMP: 21.5, RH: 64.0}
    assert results[300] == {TEMP: 21.5, RH: 64.0}


def test_disappearing_mid_run_gives_errors_then_comes_back_by_itself() -> None:
    clock, plug = FakeTime(now=0.0), Unplugged()
    driver = _driver(clock, plug)
    assert _poll(driver) == {TEMP: 21.5, RH: 64.0}
    plug.gone = True
    clock.now = 60.0
    assert "stopped answering: [Errno 121] Remote I/O error" in str(_poll(driver))
    clock.now = 120.0  # due again (30 s after the loss): reopening fails, backoff doubles
    assert "cannot open" in str(_poll(driver))
    plug.gone = False
    clock.now = 180.0  # next attempt is due at 180
    assert _poll(driver) == {TEMP: 21.5, RH: 64.0}
    assert plug.opens == [0.0, 120.0, 180.0]


def test_a_crc_error_re_initialises_the_device() -> None:
    clock, plug = FakeTime(now=0.0), Unplugged()
    devices: list[FakeSHT31D] = []

    class Garbled(FakeSHT31D):
        @property
        def temperature(self) -> float:
            raise RuntimeError("CRC mismatch")

    def make() -> FakeSHT31D:
        devices.append(Garbled(plug) if not devices else FakeSHT31D(plug))
        return devices[-1]

    driver = SHT31DDriver(SETTINGS, make_context(clock), open_device=opener(plug, clock, make))
    assert "CRC mismatch" in str(_poll(driver))
    clock.now = 30.0
    assert _poll(driver) == {TEMP: 21.5, RH: 64.0}
    assert len(devices) == 2


def test_out_of_range_is_an_error_not_a_reading() -> None:
    clock, plug = FakeTime(), Unplugged()
    device = FakeSHT31D(plug, temperature=130.0)
    driver = SHT31DDriver(SETTINGS, make_context(clock), open_device=lambda: device)
    with pytest.raises(SensorReadError, match="outside the measuring range"):
        driver.read()


def test_label_defaults_to_driver_and_address() -> None:
    assert SETTINGS.label == "sht31d@0x44"
