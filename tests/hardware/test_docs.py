"""docs/deployment.md documents every hardware setting, every driver and the recorded security score."""

import re

from hardware.config import HardwareSection, RelaySettings
from hardware.drivers import DRIVERS
from tests.conftest import PROJECT_ROOT
from tests.hardware.test_systemd_unit import EXPOSURE_LIMIT

GUIDE = (PROJECT_ROOT / "docs" / "deployment.md").read_text()
PI_CONFIG = (PROJECT_ROOT / "config" / "brain.toml").read_text()


def test_every_setting_and_driver_is_documented() -> None:
    models = [HardwareSection, RelaySettings, *(driver.settings_model for driver in DRIVERS.values())]
    fields = {name for model in models for name in model.model_fields if name not in {"sensors", "relays"}}
    missing = sorted(name for name in fields if f"`{name}`" not in GUIDE)
    assert missing == []
    assert [name for name in DRIVERS if f"`{name}`" not in GUIDE] == []


def test_recorded_security_score_is_the_enforced_one() -> None:
    assert f"**{EXPOSURE_LIMIT} SAFE**" in GUIDE


def test_wiring_table_matches_the_pi_configuration() -> None:
    pins = re.findall(r'name = "(\w+)"\npin = (\d+)', PI_CONFIG)
    for name, pin in pins:
        assert re.search(rf"\| {name} status \| GPIO{pin} \|", GUIDE), (name, pin)
    assert len(pins) == 7
