"""The alert policy over real HTTP and real files: one message per fault episode, sensors of a step
together, a repeating fault a standing notice (issue 28)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from brain.contracts import DeviceStatusV1
from brain.storage import DatasetWriter
from brain.uplink.alerts import AlertRunner
from tests.factories import T0, device_status_payload
from tests.uplink.test_alerts import Catcher, anomaly, catcher, health, hooks, ntfy, settings, write

__all__ = ["catcher"]  # the fixture, used by name


def _stop(runner: AlertRunner) -> None:
    stop = threading.Event()
    stop.set()
    runner.run(stop)  # one last save of the cursors


def test_a_fault_is_one_push_and_its_return_to_ok_one_more_without_its_recovery_period(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port))
    write(
        writer,
        health(0, "ok", "none"),
        health(5, "faulty", "stuck_at"),
        health(10, "faulty", "jump"),  # another fault within the episode: no push
        health(20, "degraded", "none"),  # the recovery period: no push
        health(40, "ok", "none"),
    )
    runner.turn()
    sent = [(h["status"], h["severity"], h["kind"], h["time"]) for h in hooks(catcher.requests)]
    assert sent == [
        ("raised", "critical", "co2_ppm", "2026-06-01T00:05:00+00:00"),
        ("resolved", "critical", "co2_ppm", "2026-06-01T00:40:00+00:00"),
    ]


def test_sensors_that_fail_at_one_step_are_one_message_and_recover_as_one(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port))
    write(writer, health(0, "ok", "none", "air_temperature_c"), health(0, "ok", "none", "co2_ppm"))
    runner.turn()
    write(
        writer,
        health(5, "faulty", "stuck_at", "air_temperature_c"),
        health(5, "faulty", "stuck_at", "relative_humidity_pct"),
        health(5, "degraded", "drift", "co2_ppm"),
        health(30, "ok", "none", "air_temperature_c"),
        health(30, "ok", "none", "relative_humidity_pct"),
        health(30, "ok", "none", "co2_ppm"),
    )
    runner.turn()
    fault, back = hooks(catcher.requests)
    assert (fault["status"], fault["severity"]) == ("raised", "critical")
    assert fault["kind"] == "air_temperature_c+relative_humidity_pct+co2_ppm"
    assert fault["title"] == (
        "greenhouse-1: 3 sensors at fault (air_temperature_c, relative_humidity_pct, co2_ppm)"
    )
    assert "co2_ppm is degraded: drift" in fault["message"]
    assert (back["status"], back["kind"]) == ("resolved", fault["kind"])
    assert len(ntfy(catcher.requests)) == 2  # the same two on ntfy


def test_a_fault_repeating_within_the_window_is_a_standing_notice_not_a_push_even_across_a_restart(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, repeat_window_h=2))
    write(writer, health(0, "ok", "none"), health(5, "faulty", "stuck_at"), health(30, "ok", "none"))
    runner.turn()
    _stop(runner)
    again = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, repeat_window_h=2))
    write(writer, health(60, "faulty", "stuck_at"), health(90, "ok", "none"), health(100, "faulty", "drift"))
    again.turn()
    assert [h["status"] for h in hooks(catcher.requests)] == ["raised", "resolved"]
    cursor = again._streams[1].cursor
    assert cursor.state["standing"]["co2_ppm"]["count"] == 3
    assert cursor.state["standing"]["co2_ppm"]["fault"] == "drift"
    # free of faults for longer than the window: the next fault is pushed again
    minutes = 100 + int(timedelta(hours=3).total_seconds() // 60)
    write(writer, health(110, "ok", "none"), health(minutes, "faulty", "jump"))
    again.turn()
    assert [h["status"] for h in hooks(catcher.requests)] == ["raised", "resolved", "raised"]
    assert "co2_ppm" not in again._streams[1].cursor.state["standing"]


def devices(minute: int, positions: dict[str, float] | None = None, **relays: str) -> DeviceStatusV1:
    payload = {
        **device_status_payload(),
        "timestamp": (T0 + timedelta(minutes=minute)).isoformat(),
        "devices": relays,
    }
    if positions is not None:
        payload |= {"schema_version": "1.1", "positions": positions}
    return DeviceStatusV1.model_validate(payload)


def test_low_co2_with_the_vents_open_is_recorded_then_pushed_only_once_it_outlasts_the_setting(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    writer.write("device_status", devices(0, vent_fan="on", heater="off"))
    writer.flush()
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, quiet_while_acting_h=2))
    co2 = {"kind": "co2_low", "metric": "co2_ppm", "message": "CO2 low."}
    write(writer, anomaly(5, kind="co2_low").model_copy(update=co2))
    for minute in (60, 120):  # the vents still open; 2 h after the start is minute 125
        writer.write("device_status", devices(minute, vent_fan="on"))
        writer.flush()
        runner.turn()
    assert hooks(catcher.requests) == []  # recorded only: the house is already ventilating
    writer.write("device_status", devices(125, vent_fan="on"))
    writer.flush()
    runner.turn()
    (late,) = hooks(catcher.requests)
    assert (late["kind"], late["status"], late["time"]) == ("co2_low", "raised", "2026-06-01T00:05:00+00:00")
    assert late["message"].endswith("Still open after 2 h although vent_fan is running.")
    _stop(runner)
    again = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, quiet_while_acting_h=2))
    write(writer, anomaly(5, end_minute=150, kind="co2_low").model_copy(update=co2))
    again.turn()  # its end is pushed, as its start was (remembered across the restart)
    assert [(h["kind"], h["status"]) for h in hooks(catcher.requests)] == [
        ("co2_low", "raised"),
        ("co2_low", "resolved"),
    ]


def test_an_episode_ending_while_quiet_is_never_pushed_but_one_without_the_house_acting_is_at_once(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    writer.write(
        "device_status", devices(0, {"vent_lee": 40.0, "misting": 0.0}, vent_lee="on", misting="off")
    )
    writer.flush()
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port))
    co2 = {"kind": "co2_low", "metric": "co2_ppm", "message": "CO2 low."}
    write(writer, anomaly(5, kind="co2_low").model_copy(update=co2))  # vent_lee 40 % open: acting
    write(writer, anomaly(5, end_minute=50, kind="co2_low").model_copy(update=co2))
    write(writer, anomaly(60))  # heat, and the misting is off: not acting, pushed at once
    runner.turn()
    assert [(h["kind"], h["status"]) for h in hooks(catcher.requests)] == [("temperature_high", "raised")]


def test_a_critical_is_pushed_at_once_even_while_the_house_acts(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    writer.write("device_status", devices(0, misting="on", vent_fan="on"))
    writer.flush()
    runner = AlertRunner(data_root, "greenhouse-1", settings(catcher.port))
    write(writer, anomaly(5))  # a warning with the misting on: quiet
    runner.turn()
    assert hooks(catcher.requests) == []
    write(writer, anomaly(5, severity="critical"))  # it escalates: pushed at once
    write(writer, anomaly(20, severity="critical", kind="co2_high"))  # a critical start: at once
    runner.turn()
    sent = [(h["kind"], h["severity"], h["time"]) for h in hooks(catcher.requests)]
    assert sent == [
        ("temperature_high", "critical", "2026-06-01T00:05:00+00:00"),
        ("co2_high", "critical", "2026-06-01T00:20:00+00:00"),
    ]
