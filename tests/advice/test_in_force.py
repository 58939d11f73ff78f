"""The advice in force (brain/advice.py): superseded, resolved by the device, lapsed after the horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from brain.advice import ADVICE_HORIZON, ActionLine, AdviceBook, DeviceLine, state_of

T = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)


def action(minutes: float, action_type: str, device: str | None, **extra: Any) -> ActionLine:
    at = (T + timedelta(minutes=minutes)).isoformat()
    ref = extra.pop("ref", {"stream": "state", "timestamp": at})
    record = {"schema_version": "1.1", "timestamp": at, "site_id": "gh", "action_type": action_type,
              "target_device": device, "reason": f"{action_type} {device}.", "in_response_to": ref,
              "mode": "advisory", **extra}  # fmt: skip
    return ActionLine.of(record)


def status(minutes: float, devices: dict[str, str], positions: dict[str, float] | None = None) -> DeviceLine:
    record: dict[str, Any] = {"timestamp": (T + timedelta(minutes=minutes)).isoformat(), "devices": devices}
    if positions is not None:
        record["positions"] = positions
    return DeviceLine.of(record)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def test_an_action_not_followed_is_in_force_until_the_horizon() -> None:
    book = AdviceBook().feed([action(0, "turn_on", "vent")], [status(5, {"vent": "off"})])

    assert [a.words() for a in book.in_force(at(10))] == ["turn_on vent"]
    assert book.in_force(at(ADVICE_HORIZON.total_seconds() / 60 + 1)) == []
    assert book.in_force(at(-1)) == [], "an action after the instant judged is not known yet"


@pytest.mark.parametrize(
    ("kind", "relay", "position", "resolved"),
    [
        ("turn_on", "on", None, True),
        ("turn_on", "off", None, False),
        ("turn_on", "on", 15.0, False),  # a vent at 15 % is not open by the advisor's 20 % rule
        ("turn_on", "on", 40.0, True),
        ("turn_off", "off", None, True),
        ("turn_off", "on", 30.0, False),
        ("inspect", "on", None, False),
        ("inspect", "off", None, True),
        ("turn_on", "unknown", None, False),
    ],
)
def test_the_device_resolves_the_advice_by_doing_what_it_asks(
    kind: str, relay: str, position: float | None, resolved: bool
) -> None:
    positions = {"vent": position} if position is not None else None
    book = AdviceBook().feed([action(0, kind, "vent")], [status(3, {"vent": relay}, positions)])

    assert (book.in_force(at(5)) == []) is resolved


def test_a_status_older_than_the_action_does_not_resolve_it() -> None:
    book = AdviceBook().feed([action(10, "turn_on", "vent")], [status(5, {"vent": "on"})])

    assert [a.device for a in book.in_force(at(12))] == ["vent"]


def test_a_newer_action_supersedes_per_device_and_per_kind() -> None:
    kinds = {"vent_lee": "ventilation", "vent_wind": "ventilation", "heater": "heating"}
    book = AdviceBook(kinds).feed(
        [
            action(0, "turn_on", "vent_lee"),
            action(5, "turn_on", "heater"),
            action(20, "turn_off", "vent_wind"),
        ],
        [status(21, {"vent_lee": "off", "vent_wind": "on", "heater": "off"})],
    )

    assert [a.device for a in book.in_force(at(25))] == ["vent_lee", "heater", "vent_wind"]
    by_kind = book.by_kind(at(25))
    assert by_kind["ventilation"] is not None and by_kind["ventilation"].device == "vent_wind"
    assert state_of(by_kind["heating"]) == "turn_on"
    book.add_action(action(30, "turn_on", "heater"))
    book.add_status(status(31, {"heater": "on", "vent_wind": "off"}))
    assert book.by_kind(at(32)) == {"heating": None, "ventilation": None}
    assert state_of(None) == "none"


def test_the_advice_for_an_anomaly_is_the_action_naming_it_else_its_kinds_in_force() -> None:
    start = at(9)
    ref = {"stream": "anomalies", "timestamp": start.isoformat(), "kind": "temperature_high"}
    kinds = {"pads": "cooling", "vents": "ventilation", "heater": "heating"}
    named = action(9, "turn_on", "pads", ref=ref)
    book = AdviceBook(kinds).feed([action(0, "turn_on", "vents"), action(1, "turn_on", "heater")], [])

    assert [a.device for a in book.answering("temperature_high", start, at(10))] == ["vents"]
    assert book.answering("co2_low", start, at(10)) == []
    book.add_action(named)
    assert book.answering("temperature_high", start, at(10)) == [named]


def test_damaged_records_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="in_response_to"):
        ActionLine.of({"timestamp": T.isoformat(), "action_type": "turn_on", "reason": "x"})
    with pytest.raises(ValueError, match="target_position_pct"):
        action(0, "turn_on", "vent", target_position_pct="40")
    with pytest.raises(ValueError, match="devices"):
        DeviceLine.of({"timestamp": T.isoformat()})
    with pytest.raises(ValueError, match="nested"):
        ActionLine.of_line(b"[" * 100_000)
    assert action(0, "turn_on", "vent", target_position_pct=40).words() == "turn_on vent to 40 %"
    assert AdviceBook().feed([action(0, "alert_grower", None)], []).in_force(at(1)) == []


def test_the_default_relays_kinds_follow_the_contracts_default_devices() -> None:
    from brain.contracts import DEFAULT_DEVICES
    from brain.names import DEFAULT_DEVICE_KINDS

    assert tuple(DEFAULT_DEVICE_KINDS) == tuple(DEFAULT_DEVICES)
