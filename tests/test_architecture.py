"""The dependency rule of docs/architecture.md, enforced by import-linter (contracts in pyproject.toml).

The first test checks the project as it is; the others copy the code, break one
rule each and check that the contract guarding that rule reports it, so a contract
that no longer checks anything (a renamed package, a typo in a layer) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
NAMES = {contract["id"]: contract["name"] for contract in CONTRACTS}


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the packages under ``root`` (they shadow the installed ones)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_keeps_every_contract() -> None:
    result = lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout
    for name in NAMES.values():
        assert f"{name} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("brain/contracts/observation.py", "import brain.daemon", "layers"),
        ("brain/storage/writer.py", "import brain.estimator", "layers"),
        ("brain/estimator/vpd.py", "import hardware", "pure-core"),
        ("hardware/relays.py", "import brain.storage", "hardware-narrow"),
        ("brain/estimator/vpd.py", "import brain.estimator.pipeline", "no-cycles"),
        ("brain/storage/writer.py", "import brain.contracts._base", "private"),
        ("brain/daemon/main_loop.py", "import brain.uplink.service", "daemon-without-uplink"),
        ("brain/uplink/follow.py", "import brain.config", "layers"),
    ],
)
def test_a_broken_rule_fails_the_check(tmp_path: Path, module: str, bad_import: str, contract: str) -> None:
    for package in ("brain", "hardware"):
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{bad_import}  # the rule this test breaks\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{NAMES[contract]} BROKEN" in result.stdout
