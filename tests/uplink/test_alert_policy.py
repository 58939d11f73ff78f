"""The alert policy over real HTTP and real files: one message per fault episode, sensors of a step
together, a repeating fault a standing notice (issue 28)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from brain.storage import DatasetWriter
from brain.uplink.alerts import AlertRunner
from tests.uplink.test_alerts import Catcher, catcher, health, hooks, ntfy, settings, write

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
