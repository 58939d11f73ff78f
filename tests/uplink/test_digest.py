"""The daily digest over real HTTP and real files: once per local day at its hour, across restarts."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from brain.contracts import StateV1
from brain.storage import DatasetWriter
from brain.uplink.alerts import AlertRunner
from brain.uplink.digest import day_digest, digest_message
from brain.uplink.discovery import Cadence
from brain.uplink.publisher import Credentials
from brain.uplink.service import Uplink, UplinkPlan
from brain.uplink.settings import UplinkSettings
from tests.factories import T0, state_payload
from tests.uplink.broker import Broker
from tests.uplink.test_alerts import Catcher, anomaly, catcher, health, hooks, ntfy, settings, write

__all__ = ["catcher"]  # the fixture, used by name


def state(minute: int, temperature: float, par: float) -> StateV1:
    stamp = (T0 + timedelta(minutes=minute)).isoformat()
    return StateV1.model_validate(
        {**state_payload(), "timestamp": stamp, "air_temperature_c": temperature, "par_umol_m2_s": par}
    )


def _a_day(writer: DatasetWriter) -> None:
    """2026-06-01 (UTC): 12 h at 20 C in the dark, then 12 h at 32 C under 500 umol/m2/s."""
    for minute in range(0, 24 * 60 + 1, 15):
        day = minute >= 12 * 60
        writer.write("state", state(minute, 32.0 if day else 20.0, 500.0 if day else 0.0))
    write(
        writer,
        anomaly(12 * 60 + 30),
        anomaly(12 * 60 + 30, end_minute=14 * 60),
        anomaly(20 * 60, kind="co2_high"),  # still open at the day's end
        health(6 * 60, "faulty", "stuck_at"),
    )


def test_one_digest_per_day_at_its_hour_with_the_days_figures_never_repeated_by_a_restart(
    data_root: Path, writer: DatasetWriter, catcher: Catcher
) -> None:
    _a_day(writer)
    clock = [datetime(2026, 6, 2, 6, 0, tzinfo=UTC)]

    def runner() -> AlertRunner:
        return AlertRunner(data_root, "greenhouse-1", settings(catcher.port), now=lambda: clock[0])

    first = runner()
    first.turn()  # a first start tells no day before it: the first digest is the next one due
    assert hooks(catcher.requests) == []
    clock[0] = datetime(2026, 6, 2, 7, 30, tzinfo=UTC)
    first.turn()
    first.turn()
    (digest,) = hooks(catcher.requests)
    assert (digest["source"], digest["kind"], digest["severity"]) == ("digest", "daily", "info")
    assert digest["title"] == "greenhouse-1: the day of 2026-06-01"
    figures = digest["record"]
    # each state stands for the 15 min to the next in the day: 48 at 20 C, 47 at 32 C (23:45 ends it)
    assert (figures["min_c"], figures["max_c"], figures["mean_c"]) == (20.0, 32.0, 25.94)
    assert figures["hours_outside"] == 11.75  # the warm half, above 30 C
    assert figures["light_mol_m2"] == 21.15  # 500 umol/m2/s for 11.75 h
    assert [e["kind"] for e in figures["closed_episodes"]] == ["temperature_high"]
    assert [e["kind"] for e in figures["open_episodes"]] == ["co2_high"]
    assert figures["sensors_to_check"] == {"co2_ppm": "stuck_at"}
    assert "24 h mean 25.9 C (min 20.0, max 32.0), 11.8 h outside 15-30 C;" in digest["message"]
    assert digest["message"].endswith("Standing: none.")
    (told,) = ntfy(catcher.requests)
    assert (told["headers"]["Priority"], told["headers"]["Tags"]) == ("2", "spiral_calendar")  # no sound
    assert told["body"].decode() == digest["message"]
    stop = threading.Event()
    stop.set()
    first.run(stop)
    clock[0] = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
    again = runner()  # a restart on the same day: the digest is not sent again
    again.turn()
    assert len(hooks(catcher.requests)) == 1
    clock[0] = datetime(2026, 6, 3, 7, 0, tzinfo=UTC)
    again.turn()
    days = [h["title"] for h in hooks(catcher.requests)]
    assert days == ["greenhouse-1: the day of 2026-06-01", "greenhouse-1: the day of 2026-06-02"]


def test_no_digest_when_it_is_off(data_root: Path, writer: DatasetWriter, catcher: Catcher) -> None:
    _a_day(writer)
    clock = [datetime(2026, 6, 2, 6, 0, tzinfo=UTC)]
    quiet = AlertRunner(data_root, "greenhouse-1", settings(catcher.port, digest=False), now=lambda: clock[0])
    quiet.turn()
    clock[0] = datetime(2026, 6, 3, 7, 30, tzinfo=UTC)
    quiet.turn()
    assert hooks(catcher.requests) == []


def test_home_assistant_gets_the_digest_on_a_retained_topic_with_a_discovery_sensor(
    data_root: Path, writer: DatasetWriter, broker: Broker, subscribe: Any
) -> None:
    _a_day(writer)
    writer.flush()
    clock = [datetime(2026, 6, 2, 7, 30, tzinfo=UTC)]
    plan = UplinkPlan(
        data_root=data_root,
        site="greenhouse-1",
        settings=UplinkSettings(host="127.0.0.1", port=broker.port),
        cadence=Cadence(poll_interval_s=60, base_cycle_s=900),
        version="test",
        timezone="UTC",
    )
    uplink = Uplink(plan, Credentials(None), now=lambda: clock[0])
    stop = threading.Event()
    thread = threading.Thread(target=uplink.run, args=(stop,))
    thread.start()
    try:
        topics = ("brain/greenhouse-1/live/digest", "homeassistant/sensor/+/daily_digest/config")
        probe = subscribe(*topics, client_id="probe")
        probe.wait_for(lambda: len(probe.messages) >= 2, timeout=30)
        late = subscribe(*topics, client_id="home-assistant")
        late.wait_for(lambda: len(late.messages) >= 2, timeout=30)
        assert all(m.retain for m in late.messages)  # there for a Home Assistant that comes later
        config = next(m.json() for m in late.messages if m.topic.endswith("/config"))
        assert (config["state_topic"], config["unique_id"]) == (
            "brain/greenhouse-1/live/digest",
            "brain_greenhouse-1_daily_digest",
        )
        digest = next(m.json() for m in late.messages if m.topic == "brain/greenhouse-1/live/digest")
        assert (digest["day"], digest["mean_c"], digest["hours_outside"]) == ("2026-06-01", 25.94, 11.75)
        assert digest["sensors_to_check"] == {"co2_ppm": "stuck_at"}
        clock[0] = datetime(2026, 6, 3, 7, 0, tzinfo=UTC)  # the next day's digest replaces it
        late.wait_for(
            lambda: any(m.json().get("day") == "2026-06-02" for m in late.on("/live/digest")), timeout=30
        )
    finally:
        stop.set()
        thread.join(timeout=30)


def test_the_digest_lists_standing_notices_of_sensors_and_of_standing_episodes(
    data_root: Path, writer: DatasetWriter
) -> None:
    _a_day(writer)
    chronic = anomaly(60, kind="vpd_high").model_copy(
        update={"schema_version": "1.2", "standing": True, "metric": "vpd_kpa"}
    )
    write(writer, chronic)
    digest, episodes = day_digest(data_root, date(2026, 6, 1), ZoneInfo("UTC"), (15.0, 30.0))
    sensors = {"par_umol_m2_s": {"fault": "stuck_at", "first": "2026-05-30T11:05:00+00:00", "count": 4}}
    _, text, body = digest_message("greenhouse-1", digest, episodes, sensors)
    assert text.endswith(
        "Standing: par_umol_m2_s stuck_at (4 times since 2026-05-30T11:05); "
        "vpd_high (a standing condition since 06-01 01:00)."
    )
    assert body["standing"] == sensors
    _, quiet, _ = digest_message("greenhouse-1", digest, set(), {})
    assert quiet.endswith("Standing: none.")
