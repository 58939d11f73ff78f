"""brain-daemon in hardware mode on a laptop: the shipped Pi configuration, as a real process.

Only what cannot run here is replaced: gpiozero's own mock pins stand in for the
relay status lines (``GPIOZERO_PIN_FACTORY=mock``), and the Adafruit libraries are
absent, so every sensor reads null with the reason, which is what a Pi with
unplugged sensors must do too. Everything else (config file, plugin entry point,
real clock, scheduler, estimator, storage, signals, sd_notify) runs for real.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from brain.contracts import DeviceStatusV1, ObservationV1
from tests.conftest import PROJECT_ROOT
from tests.runs import DAEMON, clean_env, notify_server, read_stream


def test_pi_config_polls_on_the_real_clock_and_stops_cleanly(tmp_path: Path) -> None:
    notify_path = tmp_path / "notify.sock"
    server = notify_server(notify_path)
    env = clean_env(
        GPIOZERO_PIN_FACTORY="mock",
        NOTIFY_SOCKET=str(notify_path),
        WATCHDOG_USEC="1000000",  # ping every 0.5 s from the watchdog job
        BRAIN_DATA_ROOT=str(tmp_path / "data"),
        BRAIN_POLL_INTERVAL_S="1",
    )
    config = PROJECT_ROOT / "config" / "brain.toml"
    proc = subprocess.Popen(
        [sys.executable, *DAEMON, "--config", str(config), "--log-format", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        messages = [server.recv(4096).decode()]
        while sum("last poll 20" in m for m in messages) < 3:
            messages.append(server.recv(4096).decode())
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
        server.close()
    assert proc.returncode == 0, err
    assert messages[0].startswith("READY=1")
    assert messages.count("WATCHDOG=1") >= 3
    observations = [ObservationV1.model_validate(o) for o in read_stream(tmp_path / "data", "observations")]
    statuses = [DeviceStatusV1.model_validate(d) for d in read_stream(tmp_path / "data", "device_status")]
    assert len(observations) >= 3 and len(observations) == len(statuses)
    stamps = [o.timestamp for o in observations]
    assert stamps == sorted(stamps) and 0.8 < (stamps[1] - stamps[0]).total_seconds() < 1.2
    first = observations[0]
    assert first.source.value == "hardware"
    assert all(value is None for value in first.sensors.model_dump().values())
    assert "adafruit_sht31d" in first.errors["air_temperature_c"]
    # Mock pins idle low: active-high relays read off, the active-low CO2 valve reads on.
    assert statuses[0].devices["heater"].value == "off" and statuses[0].devices["co2_valve"].value == "on"
    health = read_stream(tmp_path / "data", "sensor_health")
    assert {h["fault"] for h in health if h["timestamp"] == health[-1]["timestamp"]} == {"disconnect"}
    assert '"stop_requested"' in out and '"SIGTERM"' in out
