"""systemd/brain.service: it verifies, its sandbox score never gets worse, and it matches the daemon."""

import re
from pathlib import Path

from brain.config import SourceKind, load_settings
from brain.exit_codes import RESTART_PREVENTED, ExitCode
from tests.conftest import PROJECT_ROOT
from tests.reliability.test_long_run import PEAK_RSS_LIMIT_MB
from tests.systemd_units import analyze, directives, exposure, needs_analyze, verify_runnable_copy

UNIT = PROJECT_ROOT / "systemd" / "brain.service"
EXPOSURE_LIMIT = 0.4
"""`systemd-analyze security --offline=true` result when the unit was written (systemd 252): "SAFE".
Recorded in docs/deployment.md; lower it when the unit gets stricter, never raise it."""

UNIT_TEXT = UNIT.read_text()
SERVICE = directives(UNIT_TEXT)


def unit_bytes(size: str) -> int:
    """A systemd memory size (``320M``: suffixes K, M, G, T in powers of 1024) in bytes."""
    match = re.fullmatch(r"(\d+)([KMGT]?)", size)
    assert match, f"not a size systemd takes in bytes: {size!r}"
    return int(match[1]) * 1024 ** " KMGT".index(match[2] or " ")


@needs_analyze
def test_unit_verifies(tmp_path: Path) -> None:
    # Here the only complaint may be the daemon binary, which exists only on an installed Pi ...
    result = analyze("verify", str(UNIT), cwd=tmp_path)
    complaints = [line for line in result.stderr.splitlines() if line.strip()]
    allowed = "Command /opt/brain/venv/bin/brain-daemon is not executable"
    assert all(allowed in line for line in complaints), complaints
    # ... and a copy whose ExecStart names a binary that exists must verify without a word.
    result = verify_runnable_copy(UNIT, tmp_path)
    assert (result.returncode, result.stderr.strip()) == (0, "")


@needs_analyze
def test_security_exposure_never_rises(tmp_path: Path) -> None:
    assert exposure(UNIT, tmp_path) <= EXPOSURE_LIMIT


def test_watchdog_and_restart_policy_match_the_daemon() -> None:
    settings = load_settings(PROJECT_ROOT / "config" / "brain.toml").settings
    assert SERVICE["Type"] == ["notify"] and SERVICE["NotifyAccess"] == ["main"]
    watchdog_s = int(SERVICE["WatchdogSec"][0])
    # The daemon pings after every poll: a watchdog shorter than two polls would kill a healthy daemon.
    assert watchdog_s >= 2 * settings.poll_interval_s + 30
    assert SERVICE["Restart"] == ["on-failure"]
    assert {"StartLimitIntervalSec", "StartLimitBurst", "RestartSec", "TimeoutStopSec"} <= SERVICE.keys()
    assert SERVICE["KillSignal"] == ["SIGTERM"]


def test_paths_match_the_pi_configuration() -> None:
    settings = load_settings(PROJECT_ROOT / "config" / "brain.toml").settings
    # The unit chooses the source itself: a configuration copied from simulate.toml cannot make it simulate.
    assert SERVICE["ExecStart"] == [
        "/opt/brain/venv/bin/brain-daemon --hardware --config /etc/brain/brain.toml"
    ]
    assert settings.source is SourceKind.HARDWARE
    assert SERVICE["StateDirectory"] == ["brain"] and str(settings.data_root) == "/var/lib/brain"
    assert SERVICE["ConfigurationDirectory"] == ["brain"]
    environment = dict(item.split("=", 1) for item in SERVICE["Environment"][0].split())
    # lgpio writes its notification FIFO into LG_WD; under ProtectSystem=strict only /run/brain is writable.
    assert SERVICE["RuntimeDirectory"] == ["brain"] and environment["LG_WD"] == "/run/brain"
    assert environment["GPIOZERO_PIN_FACTORY"] == "lgpio"


def test_restart_is_prevented_exactly_for_the_permanent_exit_codes() -> None:
    # brain.exit_codes.RESTART_PREVENTED is the one list; the unit, --help and the docs follow it.
    (listed,) = SERVICE["RestartPreventExitStatus"]
    assert sorted(int(code) for code in listed.split()) == sorted(RESTART_PREVENTED)
    assert {ExitCode.USAGE, ExitCode.CONFIG, ExitCode.TEMP_FAILURE} <= RESTART_PREVENTED
    assert ExitCode.FAILURE not in RESTART_PREVENTED and ExitCode.IO_ERROR not in RESTART_PREVENTED


def test_devices_are_exactly_the_gpio_chips_and_i2c_bus_1() -> None:
    assert SERVICE["PrivateDevices"] == ["yes"] and SERVICE["DevicePolicy"] == ["closed"]
    assert SERVICE["DeviceAllow"] == ["char-gpiochip rw", "/dev/i2c-1 rw"]
    bound = SERVICE["BindPaths"][0].split()
    assert bound == ["-/dev/gpiochip0", "-/dev/gpiochip4", "-/dev/i2c-1"]
    assert SERVICE["User"] == ["brain"] and SERVICE["SupplementaryGroups"] == ["gpio i2c"]
    assert SERVICE["CapabilityBoundingSet"] == [""]
    assert SERVICE["RestrictAddressFamilies"] == ["AF_UNIX"]  # sd_notify only; no network at all


def test_memory_and_tasks_are_bounded() -> None:
    """The full backlog's bound is checked against a measurement in tests/reliability/test_memory_bound.py."""
    memory_max = unit_bytes(SERVICE["MemoryMax"][0])
    # Above twice the normal peak (the long run's 80 MB bound), below what a 512 MB Pi can give.
    assert 2 * PEAK_RSS_LIMIT_MB * 1024**2 <= memory_max < 512 * 1024**2
    # Threads at worst: the main loop, per sensor a read still hung and none new (hardware/bounded.py),
    # lgpio's notification thread; TasksMax leaves twice that and stays far from "infinity".
    sensors = load_settings(PROJECT_ROOT / "config" / "brain.toml").settings.hardware["sensors"]
    worst = 1 + len(sensors) + 1
    assert 2 * worst <= int(SERVICE["TasksMax"][0]) <= 64
