"""Home Assistant MQTT discovery: one retained config per entity, so brain shows up in Home Assistant.

Each config goes to ``<discovery_prefix>/<component>/brain_<site>/<object>/config``
(Home Assistant's single-component discovery), retained, so Home Assistant finds
it whenever it starts; the uplink publishes them again on every connection and
whenever ``<discovery_prefix>/status`` says ``online`` (Home Assistant's birth
message), because a broker without persistence forgets retained messages.

Why each choice (Home Assistant's MQTT sensor, binary sensor and event docs):

- ``unique_id`` is ``brain_<site>_<what>``: made only of the site id and a fixed
  name, so a restart of brain, the broker or Home Assistant finds the same
  entity and never creates a second one.
- Device classes and units: temperature and dew point in °C, humidity in %,
  ``carbon_dioxide`` in ppm, ``moisture`` in %, all ``state_class: measurement``
  (long-term statistics). VPD in kPa has *no* device class: ``pressure`` would be
  converted to psi on US installations and a VPD in psi means nothing to a
  grower. PAR in µmol/m²/s has none either: ``illuminance`` accepts only lx.
- ``expire_after``: the entity turns unavailable when no value came for that
  long, so a dead daemon (whose uplink still runs) shows as such: three poll
  intervals for what every poll writes, a base cycle plus three polls for what
  only a state record carries.
- Availability: the uplink's retained ``online`` and its last will ``offline``
  on one topic, so a dead uplink shows every entity unavailable.
- An ``enum`` sensor per device kind of ``[advisor.devices]``: the advice in force for it
  (``turn_on``, ``turn_off``, ``inspect``, ``none``), with the device, target position,
  reason, time and the record it answers as attributes (:mod:`brain.uplink.advice`).
- A ``problem`` binary sensor per installed sensor (on unless its health is
  ``ok``; status, fault and since as attributes); anomalies as an ``event``
  entity (one event per episode start or end) plus a ``problem`` binary sensor
  that is on while any episode is open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from brain.advice import NO_ADVICE
from brain.names import AnomalyKind, SensorKey
from brain.uplink.messages import AVAILABILITY_OFFLINE, AVAILABILITY_ONLINE, Topics

MANUFACTURER = "brain"
MODEL = "greenhouse climate daemon"


@dataclass(frozen=True)
class Measure:
    """One Home Assistant sensor: which field of which live stream, and how Home Assistant shows it."""

    key: str
    name: str
    stream: str
    field: str
    device_class: str | None
    unit: str | None


SENSOR_MEASURES: dict[SensorKey, Measure] = {
    SensorKey.AIR_TEMPERATURE_C: Measure(
        "air_temperature_c",
        "Air temperature",
        "observations",
        "sensors.air_temperature_c",
        "temperature",
        "°C",
    ),
    SensorKey.RELATIVE_HUMIDITY_PCT: Measure(
        "relative_humidity_pct",
        "Relative humidity",
        "observations",
        "sensors.relative_humidity_pct",
        "humidity",
        "%",
    ),
    SensorKey.CO2_PPM: Measure("co2_ppm", "CO2", "observations", "sensors.co2_ppm", "carbon_dioxide", "ppm"),
    SensorKey.PAR_UMOL_M2_S: Measure(
        "par_umol_m2_s", "PAR", "observations", "sensors.par_umol_m2_s", None, "µmol/m²/s"
    ),
    SensorKey.SUBSTRATE_MOISTURE_PCT: Measure(
        "substrate_moisture_pct",
        "Substrate moisture",
        "observations",
        "sensors.substrate_moisture_pct",
        "moisture",
        "%",
    ),
}
"""The measured quantities, from the observations (every poll), for the installed sensors."""

STATE_MEASURES: tuple[Measure, ...] = (
    Measure("vpd_kpa", "VPD", "state", "vpd_kpa", None, "kPa"),
    Measure("dew_point_c", "Dew point", "state", "dew_point_c", "temperature", "°C"),
)
"""The derived quantities, from the state records (base cycle, or sooner on a change)."""


@dataclass(frozen=True)
class Cadence:
    """How often the daemon writes what the entities show, from its settings."""

    poll_interval_s: float
    base_cycle_s: float

    @property
    def every_poll_expiry_s(self) -> int:
        """``expire_after`` of what every poll writes: three polls missed."""
        return max(1, round(3 * self.poll_interval_s))

    @property
    def state_expiry_s(self) -> int:
        """``expire_after`` of what a state record carries: a base cycle and three polls."""
        return max(1, round(self.base_cycle_s + 3 * self.poll_interval_s))


def node_id(site: str) -> str:
    """``brain_<site>``, with the characters Home Assistant's node ids refuse turned into ``_``."""
    return "brain_" + "".join(char if char.isalnum() or char in "_-" else "_" for char in site)


def discovery_configs(
    *,
    site: str,
    topics: Topics,
    discovery_prefix: str,
    sensors: list[SensorKey],
    cadence: Cadence,
    version: str,
    advice_kinds: list[str] | None = None,
    digest: bool = False,
) -> list[tuple[str, bytes]]:
    """Every entity's ``(config topic, config payload)``, in a fixed order (``advice_kinds``: one each)."""
    node = node_id(site)
    device = {
        "identifiers": [node],
        "name": f"Greenhouse {site}",
        "manufacturer": MANUFACTURER,
        "model": MODEL,
        "sw_version": version,
    }
    common: dict[str, Any] = {
        "device": device,
        "origin": {"name": "brain", "sw_version": version},
        "availability_topic": topics.availability,
        "payload_available": AVAILABILITY_ONLINE,
        "payload_not_available": AVAILABILITY_OFFLINE,
    }
    configs: list[tuple[str, dict[str, Any]]] = []
    for sensor in sensors:
        configs.append(("sensor", _measure(SENSOR_MEASURES[sensor], topics, cadence.every_poll_expiry_s)))
    for measure in STATE_MEASURES:
        configs.append(("sensor", _measure(measure, topics, cadence.state_expiry_s)))
    for sensor in sensors:
        configs.append(("binary_sensor", _sensor_problem(sensor, topics, cadence.state_expiry_s)))
    configs.append(("binary_sensor", _anomaly_problem(topics, cadence.every_poll_expiry_s)))
    configs.append(("event", _anomaly_event(topics)))
    for kind in advice_kinds or []:
        configs.append(("sensor", _advice(kind, topics, cadence.every_poll_expiry_s)))
    if digest:
        configs.append(("sensor", _digest_sensor(topics)))
    out = []
    for component, config in configs:
        object_id = config.pop("object")
        config["unique_id"] = f"{node}_{object_id}"
        topic = f"{discovery_prefix}/{component}/{node}/{object_id}/config"
        out.append((topic, json.dumps({**config, **common}, ensure_ascii=False).encode()))
    return out


def _measure(measure: Measure, topics: Topics, expire_after_s: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "object": measure.key,
        "name": measure.name,
        "state_topic": topics.live(measure.stream),
        "value_template": "{{ value_json.record.%s }}" % measure.field,  # noqa: UP031 (Jinja braces)
        "unit_of_measurement": measure.unit,
        "state_class": "measurement",
        "expire_after": expire_after_s,
    }
    if measure.device_class is not None:
        config["device_class"] = measure.device_class
    return config


def _sensor_problem(sensor: SensorKey, topics: Topics, expire_after_s: int) -> dict[str, Any]:
    return {
        "object": f"{sensor.value}_problem",
        "name": f"{SENSOR_MEASURES[sensor].name} sensor problem",
        "device_class": "problem",
        "state_topic": topics.live_health(sensor.value),
        "value_template": "{{ 'OFF' if value_json.record.status == 'ok' else 'ON' }}",
        "json_attributes_topic": topics.live_health(sensor.value),
        "json_attributes_template": (
            "{{ {'status': value_json.record.status, 'fault': value_json.record.fault,"
            " 'since': value_json.record.since} | to_json }}"
        ),
        "expire_after": expire_after_s,
    }


def _anomaly_problem(topics: Topics, expire_after_s: int) -> dict[str, Any]:
    return {
        "object": "climate_anomaly",
        "name": "Climate anomaly",
        "device_class": "problem",
        "state_topic": topics.anomaly_active,
        "value_template": "{{ 'ON' if value_json.active else 'OFF' }}",
        "json_attributes_topic": topics.anomaly_active,
        "json_attributes_template": "{{ {'episodes': value_json.episodes} | to_json }}",
        "expire_after": expire_after_s,
    }


ADVICE_STATES = ["turn_on", "turn_off", "inspect", NO_ADVICE]
"""An advice entity's states (``device_class: enum``: Home Assistant offers them in its automation editor)."""


def _advice(kind: str, topics: Topics, expire_after_s: int) -> dict[str, Any]:
    """The advice in force for one device kind (brain/uplink/advice.py): its state, and why as attributes."""
    return {
        "object": f"advice_{kind}",
        "name": f"{kind.replace('_', ' ').capitalize()} advice",
        "device_class": "enum",
        "options": ADVICE_STATES,
        "icon": "mdi:lightbulb-on-outline",
        "state_topic": topics.live_advice(kind),
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": topics.live_advice(kind),
        "json_attributes_template": "{{ value_json.attributes | to_json }}",
        "expire_after": expire_after_s,
    }


def _digest_sensor(topics: Topics) -> dict[str, Any]:
    """The daily digest: the day's 24 h mean as the state, the whole digest as attributes.

    No ``expire_after``: the digest comes once a day, retained; its ``day`` attribute says which.
    """
    return {
        "object": "daily_digest",
        "name": "Daily digest",
        "device_class": "temperature",
        "unit_of_measurement": "°C",
        "state_topic": topics.digest,
        "value_template": "{{ value_json.mean_c }}",
        "json_attributes_topic": topics.digest,
        "json_attributes_template": "{{ value_json | to_json }}",
    }


def anomaly_event_types() -> list[str]:
    """``<kind>_started`` and ``<kind>_ended`` for every anomaly kind."""
    return [f"{kind.value}_{phase}" for kind in AnomalyKind for phase in ("started", "ended")]


def _anomaly_event(topics: Topics) -> dict[str, Any]:
    return {
        "object": "anomaly",
        "name": "Anomaly",
        "state_topic": topics.live("anomalies"),
        "event_types": anomaly_event_types(),
        "value_template": (
            "{{ {'event_type': value_json.record.kind ~ ('_ended' if value_json.record.ended_at"
            " else '_started'), 'severity': value_json.record.severity, 'message': value_json.record.message,"
            " 'started_at': value_json.record.started_at,"
            " 'ended_at': value_json.record.ended_at} | to_json }}"
        ),
    }
