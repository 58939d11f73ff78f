"""Record factories and file helpers shared by the storage and replay tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from brain.contracts import STREAMS, Contract, DeviceStatusV1, ObservationV1
from brain.storage.dataset import LOCK_FILE_NAME
from tests.contracts import payloads

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)

_PAYLOADS = {
    "observations": payloads.observation,
    "device_status": payloads.device_status,
    "state": payloads.state,
    "anomalies": payloads.anomaly,
    "sensor_health": payloads.sensor_health,
    "actions": payloads.action,
}


def observation(
    timestamp: datetime, *, temperature: float = 24.5, site_id: str = "greenhouse-1"
) -> ObservationV1:
    payload = payloads.observation()
    payload.update(timestamp=timestamp.isoformat(), site_id=site_id)
    payload["sensors"]["air_temperature_c"] = temperature
    return ObservationV1.model_validate(payload)


def device_status(
    timestamp: datetime, *, heater: str = "off", site_id: str = "greenhouse-1"
) -> DeviceStatusV1:
    payload = payloads.device_status()
    payload.update(timestamp=timestamp.isoformat(), site_id=site_id)
    payload["devices"]["heater"] = heater
    return DeviceStatusV1.model_validate(payload)


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
    return [start + step * index for index in range(count)]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    """Write ``lines`` (without newlines) as a JSONL file, making its folders; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def observation_line(minute: int) -> bytes:
    """The JSON line of a valid observation ``minute`` minutes after ``T0``."""
    return observation(T0 + timedelta(minutes=minute)).model_dump_json().encode()


def lines_of(path: Path) -> list[bytes]:
    """The lines of a file, each with its newline; asserts the file ends with one."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"{path} does not end with a newline"
    return data.splitlines(keepends=True)


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines_of(path)]


def tree(root: Path) -> list[str]:
    """Every file under ``root`` as a sorted relative path, but the lock file (not a record)."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name != LOCK_FILE_NAME
    )
