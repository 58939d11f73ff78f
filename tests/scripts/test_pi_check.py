"""scripts/pi_check.py's parts that run without root, and that it installs what docs/deployment.md says.

The check itself (debootstrap, qemu, a day under emulation) is long and needs
root: ``make pi-check`` runs it and ``.ci/run`` calls that; here are only its
promises to the docs and its skip/fail rule.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "pi_check.py"
DEPLOYMENT = (PROJECT_ROOT / "docs" / "deployment.md").read_text()


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pi_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pi_check"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_root_gets_the_docs_apt_line() -> None:
    (line,) = re.findall(r"^sudo apt install (.+)$", DEPLOYMENT, re.MULTILINE)
    assert tuple(line.split()) == _module().DOCS_APT_PACKAGES


def test_the_venv_gets_the_docs_install_line() -> None:
    pi_check = _module()
    assert "sudo python3 -m venv /opt/brain/venv\n" in DEPLOYMENT
    assert f"sudo /opt/brain/venv/bin/pip install '/home/pi/brain[{pi_check.EXTRAS}]'" in DEPLOYMENT
    assert pi_check.VENV == "/opt/brain/venv" and pi_check.CHECKOUT == "/home/pi/brain"


def test_make_and_ci_run_it() -> None:
    assert re.search(
        r"^pi-check:.*\n\t\$\(PYTHON\) scripts/pi_check.py$", (PROJECT_ROOT / "Makefile").read_text(), re.M
    )
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    # Both run; the Pi check first, so that pytest's summary is CI's closing line.
    assert ci.index("make pi-check") < ci.index("make test")


@pytest.mark.parametrize(("ci", "status", "word"), [("true", 1, "FAILED"), ("", 0, "SKIPPED")])
def test_a_machine_that_cannot_run_it_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ci: str, status: int, word: str
) -> None:
    pi_check = _module()

    def no_binfmt(targets: object) -> None:
        raise pi_check.UnavailableError("binfmt_misc is not mounted and cannot be: permission denied")

    monkeypatch.setattr(pi_check, "prepare_host", no_binfmt)
    monkeypatch.setenv("CI", ci)
    assert pi_check.main([]) == status
    out = capsys.readouterr().out
    assert f"pi-check: {word}: this machine cannot run the Pi check: binfmt_misc is not mounted" in out


def test_without_root_it_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    pi_check = _module()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(pi_check.UnavailableError, match="needs root"):
        pi_check.prepare_host((pi_check.ARM64,))


def test_the_root_is_keyed_on_what_goes_into_it() -> None:
    pi_check = _module()
    arm64 = pi_check.ARM64
    assert set(pi_check.DOCS_APT_PACKAGES) <= set(arm64.packages)
    more = pi_check.Target(arm64.arch, arm64.binfmt, (*arm64.packages, "rsync"))
    assert pi_check.root_key(more) != pi_check.root_key(arm64) != pi_check.root_key(pi_check.ARMHF)


def test_native_memory_is_this_process_resident_set() -> None:
    pi_check = _module()
    status = Path("/proc/self/status").read_text()
    vm_rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]
    measured = pi_check.smaps_rss_kib(os.getpid(), emulated=False)
    assert 0.8 * vm_rss < measured < 1.2 * vm_rss


def test_the_emulator_own_mappings_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pi_check = _module()
    smaps = (  # an emulated daemon: the guest below 0x7f0000000000, qemu's own above it and in [heap]
        "00400000-00916000 r--p 00000000 fe:00 1 /opt/brain/venv/bin/python3.11\nRss: 4000 kB\n"
        "55556af2b000-55556b330000 rw-p 00000000 00:00 0 [heap]\nRss: 4068 kB\n"
        "5500001000-5500801000 rw-p 00000000 00:00 0 \nRss: 30000 kB\n"
        "7fba74000000-7fba740cb000 rw-p 00000000 00:00 0 \nRss: 812 kB\n"
        "7fba82800000-7fba8a7ff000 rwxp 00000000 00:00 0 \nRss: 14336 kB\n"
        "7fba8b428000-7fba8b8a7000 r-xp 00228000 fe:00 2 /usr/bin/qemu-aarch64-static\nRss: 3104 kB\n"
    )
    proc = tmp_path / "proc" / "42"
    proc.mkdir(parents=True)
    (proc / "smaps").write_text(smaps)
    real_path = pi_check.Path
    monkeypatch.setattr(
        pi_check, "Path", lambda p: real_path(str(p).replace("/proc", str(tmp_path / "proc"), 1))
    )
    assert pi_check.smaps_rss_kib(42, emulated=True) == 34000
    assert pi_check.smaps_rss_kib(42, emulated=False) == 34000 + 4068 + 812 + 14336 + 3104


def test_the_armhf_refusal_it_looks_for_is_the_one_pyproject_declares() -> None:
    pi_check = _module()
    assert f"@ file://{pi_check.REFUSAL} ;" in (PROJECT_ROOT / "pyproject.toml").read_text()
    assert pi_check.REFUSAL in DEPLOYMENT
