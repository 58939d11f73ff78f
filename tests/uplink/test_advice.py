"""The advice on the uplink: actions on history and live topics, an entity per device kind, advice in alerts.

A real Mosquitto (tests/uplink/broker.py) and a real HTTP server (the alert tests' catcher).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from brain.contracts import ActionV1, AnomalyV1, DeviceStatusV1
from brain.storage import DatasetWriter
from brain.uplink.alerts import AlertRunner
from brain.uplink.discovery import Cadence
from brain.uplink.publisher import Credentials
from brain.uplink.service import Uplink, UplinkPlan
from brain.uplink.settings import AlertSettings, UplinkSettings
from tests.factories import T0, action_payload, anomaly_payload, device_status
from tests.uplink.broker import Broker
from tests.uplink.test_alerts import Catcher, hooks

SITE = "greenhouse-1"
KINDS = {"misting": "cooling", "vent_fan": "ventilation", "heater": "heating"}
PADS_REASON = "Air 35.1 °C and rising and VPD 2.40 kPa, misting off: start misting."


def advice(at: datetime, action_type: str, device: str, reason: str, **extra: Any) -> ActionV1:
    payload = action_payload() | {"schema_version": "1.1", "timestamp": at.isoformat()}
    payload |= {"action_type": action_type, "target_device": device, "reason": reason, **extra}
    payload["in_response_to"] = {"stream": "state", "timestamp": at.isoformat()}
    return ActionV1.model_validate(payload)


def relays(at: datetime, **states: str) -> DeviceStatusV1:
    return device_status(at, devices={"misting": "off", "vent_fan": "off", "heater": "off"} | states)


def drain(data_root: Path, broker: Broker, kinds: dict[str, str] = KINDS) -> Uplink:
    plan = UplinkPlan(
        data_root=data_root,
        site=SITE,
        settings=UplinkSettings(host="127.0.0.1", port=broker.port),
        cadence=Cadence(poll_interval_s=60, base_cycle_s=900),
        version="test",
        device_kinds=kinds,
    )
    uplink = Uplink(plan, Credentials(None))
    uplink.run(threading.Event(), exit_when_drained=True)
    return uplink


def hot_afternoon(writer: DatasetWriter, now: datetime) -> None:
    """Vents advised open and opened; pads advised on a minute ago, not started; a fresh status last."""
    writer.write("device_status", relays(now - timedelta(minutes=12)))
    writer.write(
        "actions", advice(now - timedelta(minutes=10), "turn_on", "vent_fan", "Air 31 °C: open vent_fan.")
    )
    writer.write("actions", advice(now - timedelta(minutes=1), "turn_on", "misting", PADS_REASON))
    writer.write("device_status", relays(now - timedelta(seconds=30), vent_fan="on"))
    writer.flush()


def test_actions_go_on_history_and_live_and_each_kind_is_an_entity_with_its_advice_retained(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    hot_afternoon(writer, now)
    watch = subscribe("brain/+/history/actions", "brain/+/live/actions")
    drain(data_root, broker)
    # Home Assistant starting later gets the configs and the advice: both retained
    ha = subscribe("homeassistant/+/+/+/config", "brain/+/live/advice/#", client_id="home-assistant")
    ha.wait_for(lambda: len(ha.on("/live/advice/")) == 3 and len(ha.on("advice_")) == 3)
    watch.wait_for(lambda: len(watch.on("/live/actions")) == 1 and len(watch.on("/history/")) == 2)

    history = [m.json() for m in watch.on("/history/actions")]
    assert [(h["seq"], h["record"]["target_device"]) for h in history] == [(0, "vent_fan"), (1, "misting")]
    config = next(m.json() for m in ha.on("/sensor/brain_greenhouse-1/advice_cooling/config"))
    assert (config["device_class"], config["options"]) == ("enum", ["turn_on", "turn_off", "inspect", "none"])
    assert (
        config["state_topic"] == config["json_attributes_topic"] == "brain/greenhouse-1/live/advice/cooling"
    )
    assert config["unique_id"] == "brain_greenhouse-1_advice_cooling" and "expire_after" in config
    assert config["availability_topic"] == "brain/greenhouse-1/uplink/availability"
    states = {m.topic.rsplit("/", 1)[1]: m for m in ha.on("/live/advice/")}
    assert all(m.retain for m in states.values())
    cooling = states["cooling"].json()
    assert cooling["state"] == "turn_on"
    assert cooling["attributes"]["device"] == "misting" and cooling["attributes"]["reason"] == PADS_REASON
    assert cooling["attributes"]["timestamp"] == (now - timedelta(minutes=1)).isoformat()
    assert watch.on("/live/actions")[0].json()["record"]["target_device"] == "misting", "the fresh one only"
    assert states["ventilation"].json()["state"] == "none", "the vents were opened: the advice is done"
    assert states["heating"].json() == states["heating"].json() | {"state": "none"}
    assert states["heating"].json()["attributes"]["reason"] is None


def test_a_restart_knows_the_advice_in_force_from_the_log(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    writer.write(
        "actions", advice(now - timedelta(minutes=5), "inspect", "vent_fan", "vent_fan at 100 %: inspect.")
    )
    writer.flush()
    drain(data_root, broker)
    writer.write("device_status", relays(now - timedelta(seconds=10), vent_fan="on"))
    writer.flush()
    live = subscribe("brain/+/live/advice/ventilation")
    drain(data_root, broker)  # a new process: the action was delivered before; its advice is still in force

    live.wait_for(lambda: any(m.json()["state"] == "inspect" for m in live.messages))


def test_old_records_reach_history_only_and_an_uplink_without_device_kinds_makes_no_advice_entity(
    data_root: Path, broker: Broker, writer: DatasetWriter, subscribe: Any
) -> None:
    hot_afternoon(writer, T0)  # 2026: long past, history only
    watch = subscribe("brain/#", "homeassistant/#")
    drain(data_root, broker, kinds={})
    watch.wait_for(lambda: len(watch.on("/history/actions")) == 2)

    assert watch.on("/live/actions") == [] and watch.on("/live/advice") == []
    assert watch.on("advice_") == []


def test_an_alert_about_heat_carries_the_advice_for_the_pads(data_root: Path, writer: DatasetWriter) -> None:
    catcher = Catcher()
    try:
        runner = AlertRunner(
            data_root,
            SITE,
            AlertSettings(webhook_url=f"http://127.0.0.1:{catcher.port}/hook"),
            device_kinds=KINDS,
        )
        start = T0 + timedelta(hours=13)
        hot_afternoon(writer, start)
        heat = {**anomaly_payload(), "timestamp": start.isoformat(), "started_at": start.isoformat()}
        writer.write("anomalies", AnomalyV1.model_validate(heat | {"kind": "temperature_high"}))
        # Critical: a warning would be held back while the vents run (the house already acting, issue 28).
        low = {**heat, "kind": "co2_low", "metric": "co2_ppm", "observed_value": 250.0, "threshold": 300.0}
        low["severity"] = "critical"
        writer.write("anomalies", AnomalyV1.model_validate(low))
        writer.flush()
        runner.turn()
    finally:
        catcher.close()

    heat_alert, co2_alert = hooks(catcher.requests)
    assert heat_alert["message"].endswith(f"Advice: {PADS_REASON}")
    assert "Advice" not in co2_alert["message"], "no CO2 dosing advice is in force"


def test_an_action_naming_the_anomaly_is_its_advice_and_an_end_carries_none(
    data_root: Path, writer: DatasetWriter
) -> None:
    catcher = Catcher()
    start = T0 + timedelta(hours=2)
    try:
        runner = AlertRunner(
            data_root,
            SITE,
            AlertSettings(webhook_url=f"http://127.0.0.1:{catcher.port}/hook"),
            device_kinds={},
        )
        cold = {**anomaly_payload(), "timestamp": start.isoformat(), "started_at": start.isoformat()}
        cold |= {"kind": "temperature_low", "observed_value": 8.0, "threshold": 10.0}
        writer.write("anomalies", AnomalyV1.model_validate(cold))
        heating = advice(start, "turn_on", "boiler", "Air 8.0 °C: turn on boiler.")
        heating = heating.model_copy(
            update={"in_response_to": heating.in_response_to.model_copy(
                update={"stream": "anomalies", "kind": "temperature_low"})}
        )  # fmt: skip
        writer.write("actions", heating)
        ended = cold | {
            "timestamp": (start + timedelta(hours=1)).isoformat(),
            "ended_at": (start + timedelta(hours=1)).isoformat(),
        }
        writer.write("anomalies", AnomalyV1.model_validate(ended))
        writer.flush()
        runner.turn()
    finally:
        catcher.close()

    raised, resolved = hooks(catcher.requests)
    assert raised["message"].endswith("Advice: Air 8.0 °C: turn on boiler.")
    assert "Advice" not in resolved["message"]
    assert json.dumps(resolved)  # a plain JSON body
