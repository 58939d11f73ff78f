"""Project-wide fixtures: where the project and the shared field data are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIELD_DATA = PROJECT_ROOT.parent / "shared" / "data" / "field"


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def field_data() -> Path:
    """The real greenhouse logs; tests that need them skip on a user's clone without them."""
    if not FIELD_DATA.is_dir():
        pytest.skip(f"field data folder absent: {FIELD_DATA}")
    return FIELD_DATA


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """A test that configures logging (a CLI run in-process) must not leave it bound to a closed stream."""
    yield
    structlog.reset_defaults()
