"""systemd/brain-uplink.service: it verifies, its sandbox score never gets worse, it runs `brain uplink`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brain.config import load_settings
from brain.exit_codes import ExitCode
from tests.conftest import PROJECT_ROOT

UNIT = PROJECT_ROOT / "systemd" / "brain-uplink.service"
UNIT_TEXT = UNIT.read_text()
EXPOSURE_LIMIT = 1.1
"""`systemd-analyze security --offline=true` when the unit was written (systemd 252): "OK". The
daemon's unit scores 0.4; the difference is the network, which is the uplink's job."""

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in UNIT_TEXT.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


@needs_analyze
def test_unit_verifies(tmp_path: Path) -> None:
    copy = tmp_path / "brain-uplink.service"
    copy.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", UNIT_TEXT, flags=re.M))
    result = analyze("verify", str(copy), cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (0, "")


@needs_analyze
def test_security_exposure_never_rises(tmp_path: Path) -> None:
    result = analyze("security", "--offline=true", "--no-pager", str(UNIT), cwd=tmp_path)
    match = re.search(r"Overall exposure level for brain-uplink\.service: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= EXPOSURE_LIMIT


def test_it_runs_brain_uplink_on_the_daemons_configuration_and_data_read_only() -> None:
    service = directives()
    settings = load_settings(PROJECT_ROOT / "config" / "brain.toml").settings
    assert service["ExecStart"] == ["/opt/brain/venv/bin/brain uplink --config /etc/brain/brain.toml"]
    assert service["ReadOnlyPaths"] == [str(settings.data_root)]
    assert service["StateDirectory"] == ["brain/uplink"]  # the cursors: DATA_ROOT/uplink
    assert service["User"] == ["brain"] and service["CapabilityBoundingSet"] == [""]
    assert str(int(ExitCode.CONFIG)) in service["RestartPreventExitStatus"][0].split()
    assert service["LoadCredential"] == ["mqtt-password:/etc/brain/mqtt-password"]
    assert "AF_INET" in service["RestrictAddressFamilies"][0].split()
