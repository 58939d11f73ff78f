import tomllib

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
