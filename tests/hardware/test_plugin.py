import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import entry_points

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from brain.config import load_settings
from brain.contracts import RelayState
from brain.sources.base import ENTRY_POINT_GROUP, Source, SourcePlugin
from hardware.plugin import PLUGIN, HardwarePlugin
from tests.conftest import PROJECT_ROOT

PI_CONFIG = PROJECT_ROOT / "config" / "brain.toml"
RELAYS = ("heater", "vent_fan", "circulation_fan", "irrigation_pump", "misting", "grow_lights", "co2_valve")


@pytest.fixture
def mock_pins() -> Iterator[MockFactory]:
    """gpiozero's global pin factory, as the daemon's ``build`` uses it, set to mock pins."""
    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


def test_entry_point_resolves_to_the_plugin() -> None:
    (entry,) = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == "hardware"]
    plugin = entry.load()
    assert plugin is PLUGIN
    assert isinstance(plugin, HardwarePlugin)
    typed: SourcePlugin = plugin  # mypy checks the protocol here
    assert typed is plugin


def test_the_pi_configuration_validates() -> None:
    loaded = load_settings(PI_CONFIG)
    settings = loaded.settings
    PLUGIN.check(settings.hardware, config_file=PI_CONFIG)
    assert settings.source == "hardware"
    assert settings.poll_interval_s == 60
    assert str(settings.data_root) == "/var/lib/brain"
    assert settings.estimator.thresholds_file is None  # the packaged defaults
    assert [relay["name"] for relay in settings.hardware["relays"]] == list(RELAYS)
    drivers = [sensor["driver"] for sensor in settings.hardware["sensors"]]
    assert sorted(drivers) == ["ads1115_moisture", "bh1750_par", "dht22", "scd4x", "sht31d"]


def test_build_makes_a_live_source_that_polls(mock_pins: MockFactory) -> None:
    settings = load_settings(PI_CONFIG).settings
    stamp = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    source = PLUGIN.build(
        settings.hardware, site_id=settings.site_id, config_file=PI_CONFIG, now=lambda: stamp
    )
    assert isinstance(source, Source)
    mock_pins.pin(17).drive_high()  # heater on; co2_valve (active low) reads on when its line is low
    observation = source.next_observation()
    assert observation.timestamp == stamp and observation.site_id == "greenhouse-1"
    devices = source.device_status().devices
    assert list(devices) == list(RELAYS)
    assert devices["heater"] is RelayState.ON and devices["vent_fan"] is RelayState.OFF
    if importlib.util.find_spec("adafruit_dht") is None:  # a laptop without the pi extra
        assert observation.sensors.model_dump() == dict.fromkeys(observation.sensors.model_dump())
        assert (
            f"-m pip install '{PROJECT_ROOT}[pi]'" in observation.errors["co2_ppm"]
        )  # the checkout this brain came from
    source.close()


HYGIENE = """
import json, sys
from datetime import datetime, timezone
from pathlib import Path
from brain.config import load_settings
from hardware.plugin import PLUGIN
path = Path(sys.argv[1])
section = load_settings(path).settings.hardware
PLUGIN.check(section, config_file=path)
after_check = sorted(m for m in sys.modules if m.split(".")[0] in {"gpiozero", "lgpio", "board", "busio"}
                     or m.startswith("adafruit"))
source = PLUGIN.build(section, site_id="g", config_file=path, now=lambda: datetime.now(timezone.utc))
observation = source.next_observation()
source.close()
vendor = sorted(m for m in sys.modules if m.startswith("adafruit") or m.split(".")[0] in {"board", "busio"})
print(json.dumps({"after_check": after_check, "vendor": vendor, "errors": len(observation.errors)}))
"""


@pytest.mark.skipif(importlib.util.find_spec("adafruit_dht") is not None, reason="the pi extra is installed")
def test_a_laptop_without_the_pi_extra_validates_builds_and_polls() -> None:
    result = subprocess.run(
        [sys.executable, "-c", HYGIENE, str(PI_CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"GPIOZERO_PIN_FACTORY": "mock", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["after_check"] == []  # check() touches no device library at all
    assert report["vendor"] == []  # nothing of the Adafruit stack was importable, and nothing broke
    assert report["errors"] == 5  # every sensor key null with its reason
