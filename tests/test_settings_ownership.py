"""Each package owns its settings section; brain.config only composes them, and nothing below imports it."""

import ast
from pathlib import Path

import pytest

from brain.config import BrainSettings
from brain.estimator.settings import EstimatorSection
from brain.logging import LoggingSettings
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings
from brain.storage.settings import StorageSettings

BRAIN = Path(__file__).resolve().parent.parent / "brain"
BELOW_CONFIG = ["contracts", "storage", "estimator", "sources", "logging.py", "toml_file.py", "errors.py"]
ABOVE = ("brain.config", "brain.cli", "brain.daemon")


def test_every_section_is_the_model_its_package_owns() -> None:
    sections = {name: info.annotation for name, info in BrainSettings.model_fields.items()}
    assert sections["storage"] is StorageSettings
    assert sections["simulation"] is SimulationSettings
    assert sections["replay"] is ReplaySettings
    assert sections["estimator"] is EstimatorSection
    assert sections["logging"] is LoggingSettings


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("part", BELOW_CONFIG)
def test_dependencies_point_down_from_config(part: str) -> None:
    target = BRAIN / part
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert files
    upward = {
        f"{path.relative_to(BRAIN.parent)}: {name}"
        for path in files
        for name in _imports(path)
        if any(name == above or name.startswith(f"{above}.") for above in ABOVE)
    }
    assert upward == set()
