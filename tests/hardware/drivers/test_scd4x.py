import pytest

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.scd4x import MEASUREMENT_PERIOD_S, SCD4XDriver, SCD4XSettings
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeSCD4X, make_context

CO2, TEMP, RH = SensorKey.CO2_PPM, SensorKey.AIR_TEMPERATURE_C, SensorKey.RELATIVE_HUMIDITY_PCT


def _driver(clock: FakeTime, device: FakeSCD4X, **settings: object) -> SCD4XDriver:
    config = SCD4XSettings.model_validate({"driver": "scd4x", **settings})
    return SCD4XDriver(config, make_context(clock), open_device=lambda: device)


def test_first_poll_after_start_waits_for_the_first_sample() -> None:
    clock = FakeTime()
    device = FakeSCD4X(clock)  # just started: first sample 5 s later
    assert _driver(clock, device).read() == {CO2: 812.0}
    assert sum(clock.sleeps) == pytest.approx(MEASUREMENT_PERIOD_S)


def test_a_poll_never_reuses_a_sample() -> None:
    clock = FakeTime()
    device = FakeSCD4X(clock, started_at=clock.now - 60)
    driver = _driver(clock, device)
    assert driver.read() == {CO2: 812.0}
    assert clock.sleeps == []
    device.co2 = 900
    # Immediately again: the sample was consumed, so the poll waits for the next one (<= 5 s).
    assert driver.read() == {CO2: 900.0}
    assert 0 < sum(clock.sleeps) <= MEASUREMENT_PERIOD_S


def test_a_stalled_sensor_reports_no_new_data() -> None:
    clock = FakeTime()
    device = FakeSCD4X(clock, started_at=clock.now - 60)
    device.stalled = True
    with pytest.raises(SensorReadError, match="no new data within one measurement period"):
        _driver(clock, device).read()
    assert sum(clock.sleeps) == pytest.approx(MEASUREMENT_PERIOD_S)


def test_temperature_and_humidity_when_asked() -> None:
    clock = FakeTime()
    device = FakeSCD4X(clock, started_at=clock.now - 60)
    values = _driver(
        clock, device, provides=["co2_ppm", "air_temperature_c"], temperature_offset_c=-1.5
    ).read()
    assert values == {CO2: 812.0, TEMP: 22.5}


def test_impossible_co2_is_an_error() -> None:
    clock = FakeTime()
    device = FakeSCD4X(clock, started_at=clock.now - 60, co2=65535)
    with pytest.raises(SensorReadError, match="outside the measuring range"):
        _driver(clock, device).read()
