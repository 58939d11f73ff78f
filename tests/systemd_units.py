"""What the unit-file tests share: reading a unit's directives and asking ``systemd-analyze`` about it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def directives(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, each key's values in order (comments and sections skipped)."""
    found: dict[str, list[str]] = defaultdict(list)
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key.strip()].append(value.strip())
    return found


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze ARGS`` run in ``cwd``; its exit status is the caller's to judge."""
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def verify_runnable_copy(unit: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` of a copy of ``unit`` whose ExecStart names this Python.

    Why a copy: the binary the unit names exists only on an installed Pi, and verify
    complains about a missing one; every other complaint must not be there.
    """
    copy = tmp_path / unit.name
    text = unit.read_text()
    copy.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", text, flags=re.M))
    return analyze("verify", str(copy), cwd=tmp_path)


def exposure(unit: Path, tmp_path: Path) -> float:
    """The overall exposure level ``systemd-analyze security --offline=true`` gives ``unit``."""
    result = analyze("security", "--offline=true", "--no-pager", str(unit), cwd=tmp_path)
    name = re.escape(unit.name)
    match = re.search(rf"Overall exposure level for {name}: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))
