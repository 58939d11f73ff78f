"""Project-wide fixtures: where the project and the shared field data are."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIELD_DATA = PROJECT_ROOT.parent / "shared" / "data" / "field"


def pytest_configure(config: pytest.Config) -> None:
    """Hang-ups reach the daemons the tests start, even when the suite itself runs under ``nohup``.

    ``nohup make test`` (or ``scripts/hog_check.sh`` left running) starts pytest with SIGHUP
    ignored, every child inherits that, and a daemon started with SIGHUP ignored keeps it
    ignored (as it should: docs/operations.md); the SIGHUP drills would then see no flush.
    A test that wants it ignored sets that itself (``test_sighup_inherited_as_ignored...``).
    """
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


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
