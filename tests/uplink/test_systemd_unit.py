"""systemd/brain-uplink.service: it verifies, its sandbox score never gets worse, it runs `brain uplink`."""

from __future__ import annotations

from pathlib import Path

from brain.config import load_settings
from brain.exit_codes import ExitCode
from tests.conftest import PROJECT_ROOT
from tests.systemd_units import directives, exposure, needs_analyze, verify_runnable_copy

UNIT = PROJECT_ROOT / "systemd" / "brain-uplink.service"
UNIT_TEXT = UNIT.read_text()
EXPOSURE_LIMIT = 1.1
"""`systemd-analyze security --offline=true` when the unit was written (systemd 252): "OK". The
daemon's unit scores 0.4; the difference is the network, which is the uplink's job."""


@needs_analyze
def test_unit_verifies(tmp_path: Path) -> None:
    result = verify_runnable_copy(UNIT, tmp_path)
    assert (result.returncode, result.stderr.strip()) == (0, "")


@needs_analyze
def test_security_exposure_never_rises(tmp_path: Path) -> None:
    assert exposure(UNIT, tmp_path) <= EXPOSURE_LIMIT


def test_it_runs_brain_uplink_on_the_daemons_configuration_and_data_read_only() -> None:
    service = directives(UNIT_TEXT)
    settings = load_settings(PROJECT_ROOT / "config" / "brain.toml").settings
    assert service["ExecStart"] == ["/opt/brain/venv/bin/brain uplink --config /etc/brain/brain.toml"]
    assert service["ReadOnlyPaths"] == [str(settings.data_root)]
    assert service["StateDirectory"] == ["brain/uplink"]  # the cursors: DATA_ROOT/uplink
    assert service["User"] == ["brain"] and service["CapabilityBoundingSet"] == [""]
    prevented = service["RestartPreventExitStatus"][0].split()
    assert {str(int(code)) for code in (ExitCode.CONFIG, ExitCode.TEMP_FAILURE, ExitCode.UNAVAILABLE)} <= set(
        prevented
    )


def test_its_memory_and_tasks_are_bounded() -> None:
    """A runaway (a hostile file, a huge message) is ended by the kernel, then restarted (issue 24)."""
    service = directives(UNIT_TEXT)
    memory_max_mb = int(service["MemoryMax"][0].removesuffix("M"))
    assert 40 < int(service["MemoryHigh"][0].removesuffix("M")) < memory_max_mb <= 128
    assert 3 <= int(service["TasksMax"][0]) <= 32
    assert service["LoadCredential"] == ["mqtt-password:/etc/brain/mqtt-password"]
    assert "AF_INET" in service["RestrictAddressFamilies"][0].split()
