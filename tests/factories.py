"""One factory per record kind: every test builds its records here.

Two forms of each record: ``<kind>_payload()`` is a valid record as a JSON-decoded dict,
for the contract tests that break it one field at a time (``with_change``); ``observation``,
``device_status`` and ``record`` build validated models, for the tests that feed or store
them. The models are the payloads with a few fields changed, so every test sees the same
greenhouse unless it says otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from brain.contracts import STREAMS, Contract, DeviceStatusV1, ObservationV1

TS = "2026-06-01T12:00:00+00:00"
"""The time of every payload."""

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
"""Midnight of the payloads' day (UTC): where the tests' runs of records start."""

SITE_ID = "greenhouse-1"


def observation_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
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


def device_status_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
        "devices": {"heater": "off", "vent_fan": "on", "co2_valve": "unknown"},
    }


def state_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
        "air_temperature_c": 24.5,
        "relative_humidity_pct": 68.0,
        "co2_ppm": 610.0,
        "par_umol_m2_s": 850.0,
        "substrate_moisture_pct": None,
        "vpd_kpa": 0.985,
        "dew_point_c": 18.1,
        "confidence": 0.8,
        "device_status": device_status_payload(),
        "excluded_sensors": {"substrate_moisture_pct": "disconnect"},
    }


def anomaly_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
        "severity": "warning",
        "kind": "temperature_high",
        "metric": "air_temperature_c",
        "observed_value": 31.2,
        "threshold": 30.0,
        "started_at": TS,
        "ended_at": None,
        "message": "Air temperature above 30 C.",
    }


def sensor_health_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
        "sensor": "relative_humidity_pct",
        "status": "faulty",
        "fault": "stuck_at",
        "since": "2026-06-01T11:10:00+00:00",
        "evidence": {"window_s": 3000.0, "statistic": "range", "value": 0.0, "limit": 0.1},
    }


def action_payload() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "timestamp": TS,
        "site_id": SITE_ID,
        "action_type": "turn_on",
        "target_device": "vent_fan",
        "reason": "Ventilate to cool.",
        "in_response_to": {"stream": "anomalies", "timestamp": TS, "kind": "temperature_high"},
        "mode": "advisory",
    }


def observation(
    timestamp: datetime,
    *,
    site_id: str = SITE_ID,
    source: str = "synthetic",
    errors: Mapping[str, str] | None = None,
    **readings: float | None,
) -> ObservationV1:
    """The payload's observation at ``timestamp``, with the given sensor ``readings`` changed.

    ``errors`` replaces the payload's read errors when given (``{}``: none).
    Example: ``observation(T0, air_temperature_c=31.0)``.
    """
    payload = observation_payload()
    payload.update(timestamp=timestamp, site_id=site_id, source=source)
    payload["sensors"].update(readings)
    if errors is not None:
        payload["errors"] = dict(errors)
    return ObservationV1.model_validate(payload)


def device_status(
    timestamp: datetime, *, site_id: str = SITE_ID, devices: Mapping[str, str] | None = None
) -> DeviceStatusV1:
    """The payload's relay states at ``timestamp``; ``devices`` replaces them whole when given.

    Whole, not merged: a greenhouse has the relays it has (``{}``: none at all).
    """
    payload = device_status_payload()
    payload.update(timestamp=timestamp, site_id=site_id)
    if devices is not None:
        payload["devices"] = dict(devices)
    return DeviceStatusV1.model_validate(payload)


_PAYLOADS = {
    "observations": observation_payload,
    "device_status": device_status_payload,
    "state": state_payload,
    "anomalies": anomaly_payload,
    "sensor_health": sensor_health_payload,
    "actions": action_payload,
}


def record(stream: str, timestamp: datetime) -> Contract:
    """A valid record of ``stream`` at ``timestamp`` (episode and reference times moved along)."""
    payload: dict[str, Any] = _PAYLOADS[stream]()
    stamp = timestamp.isoformat()
    payload["timestamp"] = stamp
    for key in ("started_at", "since"):
        if key in payload:
            payload[key] = stamp
    if "device_status" in payload:
        payload["device_status"]["timestamp"] = stamp
    return STREAMS[stream].model_validate(payload)


def minutes(count: int, *, start: datetime = T0, step: timedelta = timedelta(minutes=1)) -> list[datetime]:
    """``count`` record times, a ``step`` apart from ``start``."""
    return [start + step * index for index in range(count)]


def observation_line(minute: int) -> bytes:
    """The JSON line (no newline) of the default observation ``minute`` minutes after ``T0``."""
    return observation(T0 + timedelta(minutes=minute)).model_dump_json().encode()


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
