from collections.abc import Iterator

import pytest
from gpiozero import DigitalOutputDevice, GPIOPinInUse
from gpiozero.pins.mock import MockFactory, MockPin

from brain.contracts import RelayState
from hardware.config import RelaySettings
from hardware.relays import RelayBank
from hardware.retry import RetryPolicy
from tests.fake_time import FakeTime

ON, OFF, UNKNOWN = RelayState.ON, RelayState.OFF, RelayState.UNKNOWN


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


def _bank(factory: MockFactory, clock: FakeTime, *relays: tuple[str, int, bool]) -> RelayBank:
    settings = [RelaySettings(name=name, pin=pin, active_high=high) for name, pin, high in relays]
    return RelayBank(settings, retry=RetryPolicy(30, 600), monotonic=clock.monotonic, pin_factory=factory)


def test_levels_read_as_on_and_off_with_either_polarity(factory: MockFactory) -> None:
    bank = _bank(factory, FakeTime(), ("heater", 17, True), ("co2_valve", 19, False))
    heater, valve = factory.pin(17), factory.pin(19)
    heater.drive_high()
    valve.drive_high()
    assert bank.read() == {"heater": ON, "co2_valve": OFF}
    heater.drive_low()
    valve.drive_low()
    assert bank.read() == {"heater": OFF, "co2_valve": ON}
    assert bank.names == ("heater", "co2_valve")
    bank.close()


def test_no_pull_resistor_is_added(factory: MockFactory) -> None:
    bank = _bank(factory, FakeTime(), ("heater", 17, True))
    bank.read()
    assert factory.pin(17).pull == "floating"
    bank.close()


def test_a_busy_pin_is_unknown_until_it_is_free(factory: MockFactory) -> None:
    clock = FakeTime()
    blocker = DigitalOutputDevice(22, pin_factory=factory)
    bank = _bank(factory, clock, ("circulation_fan", 22, True), ("heater", 17, True))
    assert bank.read()["circulation_fan"] is UNKNOWN
    assert bank.read()["heater"] is OFF  # the others are unaffected
    blocker.close()
    factory.pin(22).drive_high()
    assert bank.read()["circulation_fan"] is UNKNOWN  # backoff: not retried yet
    clock.advance(30)
    assert bank.read()["circulation_fan"] is ON
    bank.close()


def test_a_pin_that_cannot_be_read_is_unknown_and_reopened(factory: MockFactory) -> None:
    class FlakyPin(MockPin):
        failing = False

        def _get_state(self) -> bool:
            if FlakyPin.failing:
                raise OSError(5, "Input/output error")
            return bool(super()._get_state())

    factory.pin_class = FlakyPin
    clock = FakeTime()
    bank = _bank(factory, clock, ("misting", 6, True))
    factory.pin(6).drive_high()
    assert bank.read() == {"misting": ON}
    FlakyPin.failing = True
    assert bank.read() == {"misting": UNKNOWN}
    FlakyPin.failing = False
    assert bank.read() == {"misting": UNKNOWN}  # reopened only after the backoff
    clock.advance(30)
    assert bank.read() == {"misting": ON}
    bank.close()


def test_close_releases_the_pins(factory: MockFactory) -> None:
    bank = _bank(factory, FakeTime(), ("heater", 17, True))
    bank.read()
    with pytest.raises(GPIOPinInUse):  # held while the bank is open
        DigitalOutputDevice(17, pin_factory=factory)
    bank.close()
    bank.close()
    claimed = DigitalOutputDevice(17, pin_factory=factory)  # free again: another device may claim it
    assert not claimed.closed
    claimed.close()
