import re
import tomllib

from tests.conftest import PROJECT_ROOT


def test_pyproject_contains_pytest_and_ruff_sections() -> None:
    tool = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]
    assert tool["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert tool["ruff"]["lint"]["select"]
    assert "coverage" in tool
    assert tool["mypy"]["strict"] is True


def test_ci_runs_the_readme_test_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make simulate" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_layout_matches_design_card() -> None:
    for name in (
        "pyproject.toml",
        "README.md",
        "brain",
        "hardware",
        "systemd",
        "config",
        "docs",
        "tests",
    ):
        assert (PROJECT_ROOT / name).exists(), name


def test_brain_never_imports_hardware() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+hardware\b", re.M)
    offenders = [p for p in (PROJECT_ROOT / "brain").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
