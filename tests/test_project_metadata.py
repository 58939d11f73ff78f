import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from tests.conftest import PROJECT_ROOT


def _pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def test_python_version_target_is_311() -> None:
    data = _pyproject()
    assert data["project"]["requires-python"] == ">=3.11"
    assert data["tool"]["ruff"]["target-version"] == "py311"
    assert data["tool"]["mypy"]["python_version"] == "3.11"
    assert "3.11" in (PROJECT_ROOT / "README.md").read_text()


def test_console_scripts_and_extras_are_declared() -> None:
    project = _pyproject()["project"]
    assert set(project["scripts"]) == {"brain-daemon", "brain"}
    assert any(dep.startswith("adafruit-circuitpython-dht") for dep in project["optional-dependencies"]["pi"])
    assert not any("adafruit" in dep for dep in project["dependencies"])
    dev = " ".join(project["optional-dependencies"]["dev"])
    for tool in ("pytest", "pytest-cov", "ruff", "mypy", "hypothesis"):
        assert tool in dev


def _pi_extra() -> list[Requirement]:
    return [Requirement(text) for text in _pyproject()["project"]["optional-dependencies"]["pi"]]


def test_the_pi_extra_brings_the_pins_libraries_on_64_bit_pi_os() -> None:
    """Blinka drives a Pi through gpiod, the relays (gpiozero) through lgpio: neither comes otherwise."""
    aarch64 = {"platform_machine": "aarch64", "sys_platform": "linux", "python_version": "3.11"}
    wanted = {
        req.name.lower(): req for req in _pi_extra() if req.marker is None or req.marker.evaluate(aarch64)
    }
    assert {"gpiod", "lgpio", "adafruit-blinka"} <= set(wanted)
    assert wanted["gpiod"].specifier.contains("2.5.0") and not wanted["gpiod"].specifier.contains("1.5.4")
    assert wanted["lgpio"].specifier.contains("0.2.2.0")
    assert not any(req.url for req in wanted.values())


def test_the_pi_extra_refuses_the_32_bit_os_at_install_time() -> None:
    """On armhf pip stops on a requirement whose path is the message (docs/deployment.md, 32-bit)."""
    for machine in ("armv7l", "armv6l"):
        env = {"platform_machine": machine, "sys_platform": "linux", "python_version": "3.11"}
        (refusal,) = [req for req in _pi_extra() if req.url and req.marker and req.marker.evaluate(env)]
        assert refusal.url == "file:///brain-needs-the-64-bit-Raspberry-Pi-OS--see-docs-deployment.md"
        assert not Path(refusal.url.removeprefix("file://")).exists()
