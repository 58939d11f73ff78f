"""The start-up self-test: the first poll says, device by device, found / not found / out of range, once."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog
from gpiozero import DigitalOutputDevice
from gpiozero.pins.mock import MockFactory

from brain.sources.base import DeviceProbe, ProbeStatus, SelfTestingSource
from hardware.config import RelaySettings
from hardware.drivers.bh1750_par import BH1750PARDriver, BH1750PARSettings
from hardware.drivers.dht22 import DHT22Driver, DHT22Settings
from hardware.drivers.sht31d import SHT31DDriver, SHT31DSettings
from hardware.relays import RelayBank
from hardware.retry import RetryPolicy
from hardware.source import HardwareSource
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeBH1750, FakeDHT22, FakeSHT31D, Unplugged, make_context

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


def _absent() -> FakeBH1750:
    raise OSError(errno.EREMOTEIO, "Remote I/O error")


def _source(factory: MockFactory, clock: FakeTime) -> HardwareSource:
    context = make_context(clock)
    drivers = [
        SHT31DDriver(
            SHT31DSettings(driver="sht31d", name="canopy_sht31d"),
            context,
            open_device=lambda: FakeSHT31D(Unplugged(), temperature=21.5, humidity=64.0),
        ),
        SHT31DDriver(  # a garbled transfer: 130 degC is beyond the SHT31-D's range
            SHT31DSettings(driver="sht31d", name="garbled_sht31d", address=0x45),
            context,
            open_device=lambda: FakeSHT31D(Unplugged(), temperature=130.0, humidity=64.0),
        ),
        BH1750PARDriver(
            BH1750PARSettings(driver="bh1750_par", name="par_bh1750"), context, open_device=_absent
        ),
        DHT22Driver(  # every conversion fails its checksum
            DHT22Settings(driver="dht22", name="canopy_dht22", pin=4, attempts=2),
            context,
            open_device=lambda: FakeDHT22(clock, fail_rate=1.0),
        ),
    ]
    relays = RelayBank(
        [RelaySettings(name="heater", pin=17), RelaySettings(name="vent_fan", pin=22)],
        retry=RetryPolicy(),
        monotonic=clock.monotonic,
        pin_factory=factory,
    )
    return HardwareSource(
        site_id="greenhouse-1", now=lambda: START, drivers=drivers, relays=relays, read_timeout_s=30
    )


def test_each_device_is_reported_once_with_what_was_found(factory: MockFactory) -> None:
    factory.pin(17).drive_high()
    busy = DigitalOutputDevice(22, pin_factory=factory)  # something else holds vent_fan's line
    source = _source(factory, FakeTime())
    with structlog.testing.capture_logs() as logs:
        source.next_observation()
        source.next_observation()
    lines = [entry for entry in logs if entry["event"] == "hardware_self_test"]
    by_device = {entry["device"]: entry for entry in lines}
    assert len(lines) == len(by_device) == 6  # once each, not again on the second poll
    assert by_device["canopy_sht31d"]["status"] == "found"
    assert by_device["canopy_sht31d"]["log_level"] == "info"
    assert by_device["canopy_sht31d"]["reading"] == "air_temperature_c=21.5, relative_humidity_pct=64"
    assert by_device["garbled_sht31d"]["status"] == "reading out of range"
    assert "130.0 is outside the measuring range" in by_device["garbled_sht31d"]["error"]
    assert by_device["par_bh1750"]["status"] == "not found"
    assert "Remote I/O error" in by_device["par_bh1750"]["error"]
    assert by_device["canopy_dht22"]["status"] == "no reading"
    assert by_device["canopy_dht22"]["error"].startswith("no valid reading in 2 attempts")
    assert (by_device["heater"]["status"], by_device["heater"]["reading"]) == ("found", "on")
    assert by_device["vent_fan"]["status"] == "not found" and "in use" in by_device["vent_fan"]["error"]
    assert {entry["log_level"] for entry in lines if entry["status"] != "found"} == {"warning"}
    (done,) = [entry for entry in logs if entry["event"] == "hardware_self_test_done"]
    assert (done["found"], done["configured"]) == (2, 6)
    busy.close()
    source.close()


def test_self_test_polls_once_when_nothing_has_polled_yet(factory: MockFactory) -> None:
    source = _source(factory, FakeTime())
    assert isinstance(source, SelfTestingSource)
    probes = source.self_test()
    assert [(p.device, p.kind, p.status) for p in probes] == [
        ("canopy_sht31d", "sensor", ProbeStatus.FOUND),
        ("garbled_sht31d", "sensor", ProbeStatus.OUT_OF_RANGE),
        ("par_bh1750", "sensor", ProbeStatus.NOT_FOUND),
        ("canopy_dht22", "sensor", ProbeStatus.NO_READING),
        ("heater", "relay", ProbeStatus.FOUND),
        ("vent_fan", "relay", ProbeStatus.FOUND),
    ]
    assert probes[4] == DeviceProbe("heater", "relay", ProbeStatus.FOUND, "off")
    assert source.self_test() == probes  # the first poll's results, not a new poll
    source.close()
