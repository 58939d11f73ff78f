"""A device's kind and whether a kind runs: configured first, then the name; positions over relays."""

from __future__ import annotations

import pytest

from brain.device_kinds import device_kind, kind_running, running
from brain.names import DeviceKind


@pytest.mark.parametrize(
    ("name", "kinds", "expected"),
    [
        ("vent_fan", {}, DeviceKind.VENTILATION),
        ("exhaust_fans", {}, DeviceKind.VENTILATION),
        ("circulation_fan", {}, None),
        ("pad_cooling", {}, DeviceKind.COOLING),
        ("grow_lights", {}, DeviceKind.LAMPS),
        ("heater", {}, None),
        ("circulation_fan", {"circulation_fan": "ventilation"}, "ventilation"),
        ("vent_lee", {"vent_lee": "energy_screen"}, "energy_screen"),
    ],
)
def test_a_device_is_of_its_configured_kind_else_of_the_kind_its_name_says(
    name: str, kinds: dict[str, str], expected: str | None
) -> None:
    assert device_kind(name, kinds) == expected


def test_a_position_decides_over_the_relay_from_ten_percent_open() -> None:
    assert running("vents", {"vents": "on"}, {"vents": 2.0}) is False, "cracked for humidity"
    assert running("vents", {"vents": "off"}, {"vents": 10.0}) is True
    assert running("vents", {"vents": "on"}, {}) is True
    assert running("vents", {"vents": "unknown"}, {}) is False


@pytest.mark.parametrize(
    ("relays", "positions", "expected"),
    [
        ({"vent_fan": "on", "heater": "off"}, {}, True),
        ({"vent_fan": "off", "circulation_fan": "on"}, {}, False),
        ({"vent_fan": "unknown"}, {}, None),
        ({"heater": "on"}, {}, None),
        ({"vent_lee": "on"}, {"vent_lee": 5.0}, False),
    ],
)
def test_a_kind_runs_when_one_of_its_devices_does_and_is_unknown_without_any(
    relays: dict[str, str], positions: dict[str, float], expected: bool | None
) -> None:
    assert kind_running(DeviceKind.VENTILATION, relays, positions, {}) is expected
