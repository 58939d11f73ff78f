"""Fixtures of the reliability drills: the daemon launcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.launcher import Launcher


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    """One launcher for the session: each daemon life is a fork of it (see ``launcher.py``)."""
    started = Launcher()
    yield started
    started.close()
