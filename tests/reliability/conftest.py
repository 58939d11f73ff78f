"""Fixtures of the reliability drills: the daemon launcher, a simulated log to damage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.launcher import Launcher
from tests.runs import daemon


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    """One launcher for the session: each daemon life is a fork of it (see ``launcher.py``)."""
    started = Launcher()
    yield started
    started.close()


@pytest.fixture(scope="session")
def simulated_lines(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Three simulated hours of observations (2026-06-01, a minute apart), as the daemon writes them."""
    root = tmp_path_factory.mktemp("sim")
    assert daemon(root, "--simulate", "--duration-hours", "3").returncode == 0
    return (root / "run_20260601" / "observations.0000.jsonl").read_bytes().splitlines()
