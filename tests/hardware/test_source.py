import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from gpiozero.pins.mock import MockFactory

from brain.clock import SimClock, StopSignal
from brain.contracts import ObservationV1, RelayState, SensorKey
from brain.errors import SourceError
from brain.sources.base import Source, TimedSource
from hardware.config import RelaySettings
from hardware.drivers.ads1115_moisture import ADS1115MoistureDriver, ADS1115MoistureSettings
from hardware.drivers.bh1750_par import BH1750PARDriver, BH1750PARSettings
from hardware.drivers.dht22 import DHT22Driver, DHT22Settings
from hardware.drivers.scd4x import SCD4XDriver, SCD4XSettings
from hardware.drivers.sht31d import SHT31DDriver, SHT31DSettings
from hardware.relays import RelayBank
from hardware.retry import RetryPolicy
from hardware.source import NOT_CONFIGURED, HardwareSource
from tests.fake_time import FakeTime
from tests.hardware.conftest import ScriptedDriver
from tests.hardware.fakes import (
    FakeAnalogIn,
    FakeBH1750,
    FakeDHT22,
    FakeSCD4X,
    FakeSHT31D,
    Unplugged,
    make_context,
    opener,
)

TEMP, RH, CO2 = SensorKey.AIR_TEMPERATURE_C, SensorKey.RELATIVE_HUMIDITY_PCT, SensorKey.CO2_PPM
PAR, MOISTURE = SensorKey.PAR_UMOL_M2_S, SensorKey.SUBSTRATE_MOISTURE_PCT
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
POLL = timedelta(seconds=60)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


class Greenhouse:
    """Every supported sensor on fakes, two relays on gpiozero's mock pins."""

    def __init__(self, factory: MockFactory, *, dht_fail_rate: float = 0.0) -> None:
        self.clock = FakeTime()
        context = make_context(self.clock)
        self.plug = Unplugged()
        self.dht = FakeDHT22(self.clock, fail_rate=dht_fail_rate, rng=random.Random(7))
        self.scd = FakeSCD4X(self.clock, started_at=self.clock.now - 60)
        drivers = [
            SHT31DDriver(
                SHT31DSettings.model_validate({"driver": "sht31d"}),
                context,
                open_device=opener(self.plug, self.clock, lambda: FakeSHT31D(self.plug)),
            ),
            DHT22Driver(
                DHT22Settings.model_validate({"driver": "dht22", "pin": 4}),
                context,
                open_device=lambda: self.dht,
            ),
            SCD4XDriver(
                SCD4XSettings.model_validate({"driver": "scd4x"}), context, open_device=lambda: self.scd
            ),
            ADS1115MoistureDriver(
                ADS1115MoistureSettings.model_validate(
                    {"driver": "ads1115_moisture", "channel": 0, "dry_raw": 20000, "wet_raw": 10000}
                ),
                context,
                open_device=lambda: FakeAnalogIn(14000),
            ),
            BH1750PARDriver(
                BH1750PARSettings.model_validate({"driver": "bh1750_par"}),
                context,
                open_device=lambda: FakeBH1750(27000.0),
            ),
        ]
        relays = RelayBank(
            [RelaySettings(name="heater", pin=17), RelaySettings(name="vent_fan", pin=27, active_high=False)],
            retry=RetryPolicy(),
            monotonic=self.clock.monotonic,
            pin_factory=factory,
        )
        self.daemon_clock = SimClock(START - POLL)  # the first poll is at START
        self.clock_readings = 0
        self.source = HardwareSource(
            site_id="greenhouse-1", now=self._now, drivers=drivers, relays=relays, read_timeout_s=5.0
        )

    def _now(self) -> datetime:
        self.clock_readings += 1
        return self.daemon_clock.now()

    def poll(self) -> ObservationV1:
        """The daemon's next poll, a minute after the last."""
        self.daemon_clock.wait_until(self.daemon_clock.now() + POLL, StopSignal())
        self.clock.advance(POLL.total_seconds())
        return self.source.next_observation()


def test_one_poll_reads_every_sensor_and_relay(factory: MockFactory) -> None:
    house = Greenhouse(factory)
    factory.pin(17).drive_high()
    factory.pin(27).drive_high()
    observation = house.poll()
    assert observation.source == "hardware" and observation.site_id == "greenhouse-1"
    assert observation.timestamp == START
    assert observation.sensors.model_dump() == {
        "air_temperature_c": 21.5,  # the SHT31-D, listed first in the greenhouse above
        "relative_humidity_pct": 64.0,
        "co2_ppm": 812.0,
        "par_umol_m2_s": 500.0,  # 27 000 lux / 54
        "substrate_moisture_pct": 60.0,  # (20000 - 14000) / (20000 - 10000)
    }
    assert observation.errors == {}
    status = house.source.device_status()
    assert status.timestamp == observation.timestamp and status.site_id == "greenhouse-1"
    assert status.devices == {"heater": RelayState.ON, "vent_fan": RelayState.OFF}
    assert house.clock_readings == 1  # one clock reading per poll, shared by both records
    assert len(house.dht.conversions) == 1  # the DHT22 provides two keys and is read once


def test_is_a_live_source() -> None:
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[],
        relays=RelayBank([], retry=RetryPolicy(), monotonic=time.monotonic),
        read_timeout_s=30,  # nothing hangs here: the bound costs nothing, and a loaded machine needs room
    )
    assert isinstance(source, Source)
    assert not isinstance(source, TimedSource)
    with pytest.raises(SourceError, match="before the first observation"):
        source.device_status()
    observation = source.next_observation()
    assert observation.sensors.model_dump() == dict.fromkeys(observation.sensors.model_dump())
    assert observation.errors == dict.fromkeys(SensorKey, NOT_CONFIGURED)


def test_fallback_fills_a_key_when_the_primary_fails(factory: MockFactory) -> None:
    house = Greenhouse(factory)
    house.plug.gone = True  # the SHT31-D is unplugged; the DHT22 backs it up
    observation = house.poll()
    assert observation.sensors.air_temperature_c == house.dht.true_temperature
    assert observation.sensors.relative_humidity_pct == house.dht.true_humidity
    assert observation.errors == {}


def test_thirty_percent_dht22_failures_never_raise(factory: MockFactory) -> None:
    house = Greenhouse(factory, dht_fail_rate=0.3)
    house.plug.gone = True  # only the DHT22 left for temperature and humidity
    polls = [house.poll() for _ in range(200)]
    nulls = [o for o in polls if o.sensors.air_temperature_c is None]
    # P(null poll) = 0.3**3 = 2.7 %: about 5 of 200 (standard deviation 2.3).
    assert 0 < len(nulls) <= 16
    for observation in nulls:
        assert observation.sensors.relative_humidity_pct is None
        assert "dht22@GPIO4: no valid reading in 3 attempts" in observation.errors[TEMP]
        assert "sht31d@0x44: " in observation.errors[TEMP]  # the primary's reason is kept too
    assert all(o.sensors.co2_ppm == 812.0 for o in polls)  # one flaky sensor costs nothing else


def test_a_hung_sensor_costs_its_reading_not_the_poll(scripted: Callable[..., ScriptedDriver]) -> None:
    stuck = scripted("co2", CO2)
    stuck.gate = threading.Event()
    fine = scripted("par", PAR, value=420.0)
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[stuck, fine],
        relays=RelayBank([], retry=RetryPolicy(), monotonic=time.monotonic),
        read_timeout_s=2,  # the hung read costs this long; the healthy one finishes inside it beside CPU hogs
    )
    observation = source.next_observation()
    assert observation.sensors.co2_ppm is None and observation.errors[CO2] == "co2: read timed out after 2 s"
    assert observation.sensors.par_umol_m2_s == 420.0
    source.close()


def test_long_error_texts_are_cut_to_fit_the_contract(scripted: Callable[..., ScriptedDriver]) -> None:
    noisy = scripted("co2", CO2)
    noisy.error = "x" * 2000
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[noisy],
        relays=RelayBank([], retry=RetryPolicy(), monotonic=time.monotonic),
        read_timeout_s=30,  # nothing hangs here: the bound costs nothing, and a loaded machine needs room
    )
    assert len(source.next_observation().errors[CO2]) == 500


def test_non_finite_values_never_reach_the_record(scripted: Callable[..., ScriptedDriver]) -> None:
    broken = scripted("co2", CO2, value=float("nan"))
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[broken],
        relays=RelayBank([], retry=RetryPolicy(), monotonic=time.monotonic),
        read_timeout_s=30,  # nothing hangs here: the bound costs nothing, and a loaded machine needs room
    )
    observation = source.next_observation()
    assert observation.sensors.co2_ppm is None
    assert "no usable value (nan)" in observation.errors[CO2]


def test_failures_are_logged_when_they_start_and_end(scripted: Callable[..., ScriptedDriver]) -> None:
    flaky = scripted("co2", CO2)
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[flaky],
        relays=RelayBank([], retry=RetryPolicy(), monotonic=time.monotonic),
        read_timeout_s=30,  # nothing hangs here: the bound costs nothing, and a loaded machine needs room
    )
    with structlog.testing.capture_logs() as logs:
        flaky.error = "no ACK"
        for _ in range(5):
            source.next_observation()
        flaky.error = None
        source.next_observation()
    events = [(entry["event"], entry.get("sensor")) for entry in logs if entry["event"].startswith("sensor_")]
    assert events == [("sensor_failing", "co2"), ("sensor_recovered", "co2")]


def test_close_releases_everything_once(
    factory: MockFactory, scripted: Callable[..., ScriptedDriver]
) -> None:
    driver = scripted("co2", CO2)

    class Bus:
        closed = 0

        def close(self) -> None:
            Bus.closed += 1

    relays = RelayBank(
        [RelaySettings(name="heater", pin=17)],
        retry=RetryPolicy(),
        monotonic=time.monotonic,
        pin_factory=factory,
    )
    source = HardwareSource(
        site_id="s",
        now=SimClock(START).now,
        drivers=[driver],
        relays=relays,
        read_timeout_s=30,  # nothing hangs here: the bound costs nothing, and a loaded machine needs room
        resources=[Bus()],
    )
    source.next_observation()
    source.close()
    source.close()
    assert driver.closed == 1 and Bus.closed == 1
    with pytest.raises(SourceError, match="closed"):
        source.next_observation()
