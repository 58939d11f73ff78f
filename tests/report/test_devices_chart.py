"""The devices under the climate curves: relay runs, positions as step lines, the advice marked.

Pixels of the rendered chart are read at the places the chart's own axes put a time and a
row, so a band drawn at the wrong hour or a marker away from its tooltip fails.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from brain.contracts import ActionV1, DeviceStatusV1, RelayState
from brain.report.day_plots import ROW_HEIGHT, advice_words, device_row_base, draw_devices
from brain.report.days import day_window, resolve_zone
from brain.report.daystats import summarise
from brain.report.plots import COLOURS, image_position, num, png_bytes, require_matplotlib
from brain.report.records import load_day
from brain.report.timeline import Span
from tests.factories import T0
from tests.report.conftest import DAY, REASON

UTC_ZONE = resolve_zone(None, None)


@dataclass(frozen=True)
class PositionedStatus:
    """A device status with ``positions`` as DeviceStatusV1 1.1 carries them (the advisor's minor version).

    Used only while this branch's contract is 1.0; with the 1.1 model the real record is built.
    """

    timestamp: datetime
    site_id: str
    devices: dict[str, Any]
    positions: dict[str, float] = field(default_factory=dict)


def with_positions(status: DeviceStatusV1, positions: dict[str, float]) -> Any:
    """``status`` with ``positions``, each positioned device in ``devices`` too: on above 0 % (as in 1.1)."""
    on = {name: RelayState.ON if value > 0 else RelayState.OFF for name, value in positions.items()}
    devices = {**status.devices, **on}
    if "positions" in DeviceStatusV1.model_fields:
        payload = status.model_dump(mode="json") | {"schema_version": "1.1", "positions": positions}
        return DeviceStatusV1.model_validate(payload | {"devices": {k: v.value for k, v in devices.items()}})
    return PositionedStatus(status.timestamp, status.site_id, devices, positions)


def vent_opening(minute: int) -> float:
    """The lee vent: shut until 09:00, 50 % until 14:00, 100 % after."""
    return 0.0 if minute < 9 * 60 else 50.0 if minute < 14 * 60 else 100.0


def colour_at(picture: Any, place: tuple[float, float]) -> tuple[int, int, int]:
    left_pct, top_pct = place
    x = round(picture.width * left_pct / 100.0)
    y = round(picture.height * top_pct / 100.0)
    return tuple(picture.getpixel((x, y)))  # type: ignore[return-value]


def near(colour: tuple[int, int, int], hex_colour: str, tolerance: int = 40) -> bool:
    want = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(colour, want, strict=True))


def test_every_relay_is_a_band_at_its_hours_and_each_advice_a_marker_with_its_reason(
    advised_root: Path,
) -> None:
    require_matplotlib()
    from PIL import Image

    day = load_day(advised_root, day_window(DAY, UTC_ZONE.zone))
    summary = summarise(day, UTC_ZONE.zone)

    assert summary.devices["vent_fan"] == [Span(T0 + timedelta(hours=10), T0 + timedelta(hours=16), "on")]
    assert summary.devices["co2_valve"] == [
        Span(T0 + timedelta(hours=12), T0 + timedelta(hours=13), "unknown")
    ]
    figure, axes, marks = draw_devices(summary)
    picture = Image.open(io.BytesIO(png_bytes(figure))).convert("RGB")
    base = device_row_base(summary)
    middle = {name: bottom + ROW_HEIGHT / 2 for name, bottom in base.items()}

    def seen(hour: float, row: str) -> tuple[int, int, int]:
        return colour_at(picture, image_position(axes, num(T0 + timedelta(hours=hour)), middle[row]))

    assert near(seen(12.5, "vent_fan"), COLOURS["device_on"])
    assert near(seen(8.5, "vent_fan"), "#ffffff", 10)  # off before 10:00 (off the hour grid)
    assert near(seen(2.5, "heater"), COLOURS["device_on"])
    assert not near(seen(12.5, "co2_valve"), "#ffffff", 10)  # unknown is drawn, in grey
    assert not near(seen(12.5, "co2_valve"), COLOURS["device_on"])
    assert list(base)[-1] == "other advice"  # the inspect advice names no drawn device
    assert [mark.title for mark in marks] == [
        f"10:00 turn on vent_fan: {REASON}",
        "12:00 inspect sensor: CO2 valve unreadable.",
    ]
    for mark in marks:  # each tooltip sits on its marker
        assert near(colour_at(picture, (mark.left_pct, mark.top_pct - 0.3)), COLOURS["advice"], 60)


def test_positions_are_step_lines_read_from_device_status_where_present(advised_root: Path) -> None:
    require_matplotlib()
    from PIL import Image

    day = load_day(advised_root, day_window(DAY, UTC_ZONE.zone))
    day.device_status = [
        with_positions(status, {"vent_lee": vent_opening(index)})
        for index, status in enumerate(day.device_status)
    ]
    summary = summarise(day, UTC_ZONE.zone)

    times, values = summary.positions["vent_lee"]
    assert len(times) == 1440 and values[10 * 60] == 50.0 and values[15 * 60] == 100.0
    figure, axes, _ = draw_devices(summary)
    picture = Image.open(io.BytesIO(png_bytes(figure))).convert("RGB")
    bottom = device_row_base(summary)["vent_lee"]

    def seen(hour: float, share: float) -> tuple[int, int, int]:
        place = image_position(axes, num(T0 + timedelta(hours=hour)), bottom + ROW_HEIGHT * share)
        return colour_at(picture, place)

    assert not near(seen(11.0, 0.25), "#ffffff", 10)  # filled up to the 50 % opening ...
    assert near(seen(11.0, 0.8), "#ffffff", 10)  # ... and not above it
    assert not near(seen(15.0, 0.8), "#ffffff", 10)  # open fully after 14:00
    assert near(seen(7.0, 0.5), "#ffffff", 10)  # shut before 09:00
    assert summary.devices["vent_lee"][0].start == T0 + timedelta(
        hours=9
    )  # "on" too, but drawn as its opening


def test_advice_with_a_target_position_says_it(advised_root: Path) -> None:
    day = load_day(advised_root, day_window(DAY, UTC_ZONE.zone))
    action = day.actions[0]
    if "target_position_pct" in ActionV1.model_fields:  # ActionV1 1.1, the advisor's
        payload = action.model_dump(mode="json") | {"schema_version": "1.1", "target_position_pct": 80.0}
        target = ActionV1.model_validate(payload)
    else:
        target = SimpleNamespace(**dict(action), target_position_pct=80.0)

    assert advice_words(action) == "turn on vent_fan"
    assert advice_words(target) == "turn on vent_fan to 80 %"


def test_a_log_without_positions_draws_relays_only(steady_root: Path) -> None:
    day = load_day(steady_root, day_window(DAY, UTC_ZONE.zone))
    summary = summarise(day, UTC_ZONE.zone)

    assert summary.positions == {}
    assert summary.actions == []
    assert list(summary.devices) == ["irrigation_pump"]
