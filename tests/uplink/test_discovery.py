"""Home Assistant discovery configs: device classes and units as Home Assistant needs them, stable ids."""

from __future__ import annotations

import json
from typing import Any

from brain.contracts import SENSOR_KEYS, AnomalyKind, SensorKey
from brain.uplink.discovery import Cadence, anomaly_event_types, discovery_configs
from brain.uplink.messages import Topics


def configs(site: str = "greenhouse-1", sensors: list[SensorKey] | None = None) -> dict[str, dict[str, Any]]:
    made = discovery_configs(
        site=site,
        topics=Topics("brain", site),
        discovery_prefix="homeassistant",
        sensors=list(SENSOR_KEYS) if sensors is None else sensors,
        cadence=Cadence(poll_interval_s=60, base_cycle_s=900),
        version="0.1.0",
    )
    return {topic: json.loads(payload) for topic, payload in made}


def by_id(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {config["unique_id"]: config for config in found.values()}


def test_sensors_carry_the_device_class_and_unit_home_assistant_expects() -> None:
    entities = by_id(configs())
    expected = {
        "air_temperature_c": ("temperature", "°C"),
        "relative_humidity_pct": ("humidity", "%"),
        "co2_ppm": ("carbon_dioxide", "ppm"),
        "substrate_moisture_pct": ("moisture", "%"),
        "dew_point_c": ("temperature", "°C"),
        "vpd_kpa": (None, "kPa"),  # not pressure: Home Assistant would show psi on US installs
        "par_umol_m2_s": (None, "µmol/m²/s"),  # not illuminance: that accepts only lx
    }
    for key, (device_class, unit) in expected.items():
        entity = entities[f"brain_greenhouse-1_{key}"]
        assert entity.get("device_class") == device_class, key
        assert entity["unit_of_measurement"] == unit, key
        assert entity["state_class"] == "measurement"


def test_every_entity_has_availability_a_device_and_a_config_topic_under_the_prefix() -> None:
    found = configs()
    for topic, config in found.items():
        assert topic.startswith("homeassistant/") and topic.endswith("/config")
        assert topic.split("/")[2] == "brain_greenhouse-1"
        assert config["availability_topic"] == "brain/greenhouse-1/uplink/availability"
        assert config["device"]["identifiers"] == ["brain_greenhouse-1"]
    components = sorted(topic.split("/")[1] for topic in found)
    assert components.count("sensor") == 7 and components.count("binary_sensor") == 6
    assert components.count("event") == 1


def test_problem_sensors_per_installed_sensor_and_for_anomalies() -> None:
    entities = by_id(configs(sensors=[SensorKey.AIR_TEMPERATURE_C, SensorKey.CO2_PPM]))
    problems = {uid for uid, config in entities.items() if config.get("device_class") == "problem"}
    assert problems == {
        "brain_greenhouse-1_air_temperature_c_problem",
        "brain_greenhouse-1_co2_ppm_problem",
        "brain_greenhouse-1_climate_anomaly",
    }
    assert "brain_greenhouse-1_par_umol_m2_s" not in entities
    health = entities["brain_greenhouse-1_co2_ppm_problem"]
    assert health["state_topic"] == "brain/greenhouse-1/live/sensor_health/co2_ppm"
    assert "fault" in health["json_attributes_template"]


def test_the_anomaly_event_lists_a_start_and_an_end_for_every_kind() -> None:
    event = by_id(configs())["brain_greenhouse-1_anomaly"]
    assert event["state_topic"] == "brain/greenhouse-1/live/anomalies"
    assert set(event["event_types"]) == set(anomaly_event_types())
    assert len(event["event_types"]) == 2 * len(AnomalyKind)
    assert "expire_after" not in event  # events have no state to expire


def test_expire_after_follows_the_daemons_cadence() -> None:
    entities = by_id(configs())
    assert entities["brain_greenhouse-1_air_temperature_c"]["expire_after"] == 180
    assert entities["brain_greenhouse-1_climate_anomaly"]["expire_after"] == 180
    assert entities["brain_greenhouse-1_vpd_kpa"]["expire_after"] == 1080
    assert entities["brain_greenhouse-1_co2_ppm_problem"]["expire_after"] == 1080


def test_unique_ids_depend_on_the_site_only_so_restarts_never_make_a_second_entity() -> None:
    assert configs() == configs()
    other = set(by_id(configs(site="greenhouse-2")))
    assert other.isdisjoint(by_id(configs()))
    assert all(uid.startswith("brain_greenhouse-2_") for uid in other)
