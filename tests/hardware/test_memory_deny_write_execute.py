"""The unit sets MemoryDenyWriteExecute=yes: the daemon's whole stack must run without W+X memory.

systemd enforces it with a seccomp filter (or, from v253, the kernel's
PR_SET_MDWE); the kernel's prctl (Linux 6.3 and later) applies the same rule
to this process: no mapping that is writable and executable, no gaining
execute permission later. A subprocess turns it on, proves it holds (an
anonymous W+X mapping is refused), then imports everything the daemon loads,
builds the hardware source from config/brain.toml on gpiozero's mock pins,
polls it through its worker threads, and makes libffi closures (what ctypes
callbacks need, the usual W+X user in CPython programs).
"""

import json
import platform
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

PROBE = """
import ctypes, json, mmap, sys
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    print(json.dumps({"supported": False}))
    sys.exit(0)
try:
    mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    control = "allowed"
except OSError:
    control = "refused"

from datetime import datetime, timezone
from pathlib import Path
import apscheduler.schedulers.background, pydantic, structlog
import brain.cli, brain.config, brain.contracts, brain.logging, brain.daemon.notify, brain.daemon.sink
from brain.config import load_settings
from hardware.plugin import PLUGIN
path = Path(sys.argv[1])
section = load_settings(path).settings.hardware
source = PLUGIN.build(section, site_id="g", config_file=path, now=lambda: datetime.now(timezone.utc))
observation = source.next_observation()
source.close()
callbacks = [ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1) for _ in range(2000)]
assert callbacks[-1](41) == 42
print(json.dumps({"supported": True, "control": control, "relays": len(source.device_status().devices)}))
"""


@pytest.mark.skipif(platform.system() != "Linux", reason="PR_SET_MDWE is Linux-only")
def test_daemon_stack_runs_with_write_xor_execute_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(PROJECT_ROOT / "config" / "brain.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"GPIOZERO_PIN_FACTORY": "mock", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not report["supported"]:
        pytest.skip("kernel older than 6.3: PR_SET_MDWE unavailable")
    assert report["control"] == "refused"  # the rule really was in force
    assert report["relays"] == 7
