"""Valid payloads of every contract, as JSON-decoded dicts; tests break them one field at a time."""

from __future__ import annotations

import copy
from typing import Any

TS = "2026-06-01T12:00:00+00:00"


def observation() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "source": "synthetic",
        "sensors": {
            "air_temperature_c": 24.5,
            "relative_humidity_pct": 68.0,
            "co2_ppm": 610.0,
            "par_umol_m2_s": 850.0,
            "substrate_moisture_pct": None,
        },
        "errors": {"substrate_moisture_pct": "no ACK"},
    }


def device_status() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "devices": {"heater": "off", "vent_fan": "on", "co2_valve": "unknown"},
    }


def state() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "air_temperature_c": 24.5,
        "relative_humidity_pct": 68.0,
        "co2_ppm": 610.0,
        "par_umol_m2_s": 850.0,
        "substrate_moisture_pct": None,
        "vpd_kpa": 0.985,
        "dew_point_c": 18.1,
        "confidence": 0.8,
        "device_status": device_status(),
        "excluded_sensors": {"substrate_moisture_pct": "disconnect"},
    }


def anomaly() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "severity": "warning",
        "kind": "temperature_high",
        "metric": "air_temperature_c",
        "observed_value": 31.2,
        "threshold": 30.0,
        "started_at": TS,
        "ended_at": None,
        "message": "Air temperature above 30 C.",
    }


def sensor_health() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "sensor": "relative_humidity_pct",
        "status": "faulty",
        "fault": "stuck_at",
        "since": "2026-06-01T11:10:00+00:00",
        "evidence": {"window_s": 3000.0, "statistic": "range", "value": 0.0, "limit": 0.1},
    }


def action() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": "greenhouse-1",
        "action_type": "turn_on",
        "target_device": "vent_fan",
        "reason": "Ventilate to cool.",
        "in_response_to": {"stream": "anomalies", "timestamp": TS, "kind": "temperature_high"},
        "mode": "advisory",
    }


def with_change(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a deep copy of ``payload`` with the dotted ``path`` set (or deleted when value is DELETE)."""
    result = copy.deepcopy(payload)
    *parents, leaf = path.split(".")
    node = result
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return result


DELETE = object()
