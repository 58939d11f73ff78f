"""Data roots for the report tests: a simulated heatwave day and bad days, made once per session.

The heatwave and the stuck sensor come from the real daemon (``brain-daemon --simulate``, a
fresh process, seconds each); the gap and the missing PAR sensor are written with brain's own
writer from the shared factories, so each bad day is exactly the one its test describes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from brain.contracts import ActionV1, SensorHealthV1, SensorKey
from brain.storage import DatasetWriter, StorageSettings
from tests.conftest import made_once
from tests.factories import T0, action_payload, device_status, observation, sensor_health_payload
from tests.runs import DAEMON, clean_env

DAY = T0.date()
"""The simulated day (2026-06-01, UTC)."""


def simulate(root: Path, *extra: str) -> Path:
    """Run ``brain-daemon --simulate`` into ``root``, as fast as it goes."""
    args = [sys.executable, *DAEMON, "--simulate", "--time-scale", "0", "--output-dir", str(root),
            "--log-format", "json", *extra]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, env=clean_env(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return root


@pytest.fixture(scope="session")
def heatwave_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated day of heatwave, 1-minute polls (made once per run, read by every worker)."""
    return made_once(tmp_path_factory, "heatwave", lambda at: simulate(at / "data", "--scenario", "heatwave"))


@pytest.fixture(scope="session")
def normal_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated early-summer day as it should be, 1-minute polls: nothing to report."""
    return made_once(tmp_path_factory, "normal", lambda at: simulate(at / "data"))


@pytest.fixture(scope="session")
def stuck_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days; the humidity sensor sticks at noon of the first: faulty all of the second."""
    return made_once(
        tmp_path_factory,
        "stuck",
        lambda at: simulate(
            at / "data", "--duration-hours", "48", "--scenario", "stuck_at:relative_humidity_pct@12h"
        ),
    )


def write_day(
    root: Path,
    *,
    skip: tuple[int, int] | None = None,
    par: bool = True,
    humidity_out: tuple[int, int] | None = None,
    devices: Callable[[int], dict[str, str]] | None = None,
    start: date = DAY,
) -> Path:
    """A day of 1-minute observations (minutes in ``skip`` left out), with or without a PAR sensor.

    ``humidity_out``: minutes with no humidity reading (the sensor out); ``devices``: the relay
    states at each minute (default: the irrigation pump off all day); ``start``: the (UTC) day.
    """
    midnight = datetime.combine(start, T0.timetz())
    writer = DatasetWriter(root, StorageSettings(fsync="never"))
    for minute in range(24 * 60):
        if skip and skip[0] <= minute < skip[1]:
            continue
        moment = midnight + timedelta(minutes=minute)
        daytime = 6 * 60 <= minute < 18 * 60
        out = humidity_out is not None and humidity_out[0] <= minute < humidity_out[1]
        readings: dict[str, float | None] = {
            "air_temperature_c": 26.0 if daytime else 18.0,
            "relative_humidity_pct": None if out else 70.0,
            "substrate_moisture_pct": 60.0,
        }
        errors = {"relative_humidity_pct": "read timeout"} if out else {}
        if par:
            readings["par_umol_m2_s"] = 500.0 if daytime else 0.0
        else:
            readings["par_umol_m2_s"] = None
            errors |= {"par_umol_m2_s": "not in source log"}
        writer.write("observations", observation(moment, errors=errors, **readings))
        relays = devices(minute) if devices else {"irrigation_pump": "off"}
        writer.write("device_status", device_status(moment, devices=relays))
        if minute % 15 == 0:
            for sensor in SensorKey:
                payload = sensor_health_payload() | {
                    "timestamp": moment.isoformat(),
                    "since": midnight.isoformat(),
                }
                payload |= {"sensor": sensor.value, "status": "ok", "fault": "none", "evidence": None}
                writer.write("sensor_health", SensorHealthV1.model_validate(payload))
    writer.close()
    return root


@pytest.fixture
def gap_root(tmp_path: Path) -> Path:
    """A day with no observation from 02:00 to 05:30."""
    return write_day(tmp_path / "data", skip=(120, 330))


@pytest.fixture
def no_par_root(tmp_path: Path) -> Path:
    """A day from a greenhouse without a PAR sensor (null readings, 'not in source log')."""
    return write_day(tmp_path / "data", par=False)


@pytest.fixture
def steady_root(tmp_path: Path) -> Path:
    """A complete day: 26 degC and PAR 500 from 06:00 to 18:00, 18 degC and dark otherwise."""
    return write_day(tmp_path / "data")


REASON = "Air 27.5 °C and rising, vents shut: open the vents"


def relays(minute: int) -> dict[str, str]:
    """Heater on until 05:00, vent fan on 10:00-16:00, CO2 valve unreadable 12:00-13:00."""
    return {
        "heater": "on" if minute < 5 * 60 else "off",
        "vent_fan": "on" if 10 * 60 <= minute < 16 * 60 else "off",
        "co2_valve": "unknown" if 12 * 60 <= minute < 13 * 60 else "off",
    }


def advice(at: datetime, action_type: str, device: str | None, reason: str) -> ActionV1:
    payload = action_payload() | {"timestamp": at.isoformat(), "action_type": action_type}
    payload |= {"target_device": device, "reason": reason}
    payload["in_response_to"] = payload["in_response_to"] | {"timestamp": at.isoformat()}
    return ActionV1.model_validate(payload)


@pytest.fixture
def advised_root(tmp_path: Path) -> Path:
    """A steady day with three relays and two pieces of advice in an ``actions`` stream."""
    root = write_day(tmp_path / "data", devices=relays)
    writer = DatasetWriter(root, StorageSettings(fsync="never"))
    writer.write("actions", advice(T0 + timedelta(hours=10), "turn_on", "vent_fan", REASON))
    writer.write("actions", advice(T0 + timedelta(hours=12), "inspect_sensor", None, "CO2 valve unreadable."))
    writer.close()
    return root
