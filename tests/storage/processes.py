"""Writers in processes of their own, for the tests of the data root's lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

QUIET = """
import sys
import structlog
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is for the test
"""

HOLDER = (
    QUIET
    + """
from pathlib import Path
from brain.storage import DatasetWriter, StorageSettings
from tests.factories import T0, observation

writer = DatasetWriter(Path(sys.argv[1]), StorageSettings(fsync="always"), holder="test holder")
writer.write("observations", observation(T0))
print("ready", flush=True)
sys.stdin.read()  # until the test closes our stdin
writer.close()
print("closed", flush=True)
"""
)

SECOND = (
    QUIET
    + """
from pathlib import Path
from brain.storage import DataRootBusyError, DatasetWriter, StorageSettings

try:
    DatasetWriter(Path(sys.argv[1]), StorageSettings())
except DataRootBusyError as exc:
    print(exc.pid, exc.holder, str(exc), sep="|")
    sys.exit(75)
print("not refused")
"""
)


def python(snippet: str, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", snippet, *args], cwd=PROJECT_ROOT, env=env, text=True, **popen
    )


def start_holder(data_root: Path) -> subprocess.Popen[str]:
    """A separate process holding a writer on ``data_root`` (one record written) until its stdin closes."""
    process = python(HOLDER, str(data_root), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
