"""``brain config check --hardware``: the daemon's start-up self-test, run from the command line, no daemon.

Run as the grower runs it, in a fresh process; gpiozero's own mock pin factory
(``GPIOZERO_PIN_FACTORY=mock``) stands in for the GPIO chip, and this machine
has no I2C bus, so the I2C sensors are "not found" exactly as on a Pi with
nothing wired.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from brain.exit_codes import ExitCode
from tests.conftest import PROJECT_ROOT
from tests.runs import clean_env

PI_CONFIG = PROJECT_ROOT / "config" / "brain.toml"


def check_hardware(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", "config", "check", "--hardware", str(config)],
        capture_output=True, text=True, env=clean_env(GPIOZERO_PIN_FACTORY="mock"), timeout=120, check=False,
    )  # fmt: skip


def test_every_configured_device_gets_a_line_and_a_missing_one_exits_69() -> None:
    result = check_hardware(PI_CONFIG)
    assert result.returncode == ExitCode.UNAVAILABLE == 69, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{PI_CONFIG}: OK"
    rows = {line.split()[1]: line for line in lines[1:-1]}
    sensors = ["canopy_sht31d", "canopy_dht22", "co2_scd41", "slab_moisture", "par_bh1750"]
    relays = [
        "heater",
        "vent_fan",
        "circulation_fan",
        "irrigation_pump",
        "misting",
        "grow_lights",
        "co2_valve",
    ]
    assert list(rows) == sensors + relays
    for name in sensors:  # no I2C bus and no Pi libraries here: each says why, by name
        assert rows[name].startswith("sensor") and "not found" in rows[name] and "cannot open" in rows[name]
    for name in relays:  # mock pins read low: off, except co2_valve, which is active low
        assert rows[name].split()[2:] == ["found", "on" if name == "co2_valve" else "off"]
    assert lines[-1] == f"7 of 12 devices found; check {', '.join(sensors)}"
    assert "Traceback" not in result.stderr


def test_all_found_exits_0(tmp_path: Path) -> None:
    config = tmp_path / "relays.toml"
    config.write_text(
        'site_id = "greenhouse-1"\nsource = "hardware"\n'
        '[[hardware.relays]]\nname = "heater"\npin = 17\n'
        '[[hardware.relays]]\nname = "vent_fan"\npin = 27\n'
    )
    result = check_hardware(config)
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "2 of 2 devices found"


def test_a_bad_file_is_refused_before_any_device_is_touched(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[hardware.relays]]\nname = "heater"\npin = 2\n')  # GPIO2 is I2C's SDA
    result = check_hardware(config)
    assert result.returncode == ExitCode.CONFIG
    assert "reserved" in result.stderr and "found" not in result.stdout
