"""The uplink lock in one process (two processes: tests/uplink/test_lifecycle.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brain.uplink.lock import UplinkBusyError, UplinkLock


def test_a_second_holder_is_refused_naming_the_first_and_the_lock_comes_back_once_released(
    tmp_path: Path,
) -> None:
    first = UplinkLock(tmp_path / "data").acquire()
    with pytest.raises(UplinkBusyError, match=f"held by pid {os.getpid()} "):
        UplinkLock(tmp_path / "data").acquire()
    first.path.write_text("not a pid\n")  # a holder that wrote nothing readable
    with pytest.raises(UplinkBusyError, match="held by another process"):
        UplinkLock(tmp_path / "data").acquire()
    first.release()
    first.release()  # idempotent
    assert first.path.read_bytes() == b""  # an empty lock file: a free data root
    second = UplinkLock(tmp_path / "data").acquire()
    assert second.path.read_text().startswith(f"{os.getpid()}\n")
    second.release()
