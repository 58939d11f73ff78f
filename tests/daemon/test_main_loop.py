"""The main loop in-process, on scripted sources: what it does with streams that misbehave."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import structlog

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.daemon.builder import Parts
from brain.daemon.main_loop import MAX_CONSECUTIVE_POLL_FAILURES, exit_status, serve
from brain.errors import SourceError
from brain.exit_codes import ExitCode
from brain.storage import DataRootBusyError, DiskError
from tests.daemon.parts import scripted_parts
from tests.factories import device_status, observation
from tests.runs import read_stream

START = datetime.fromisoformat("2026-06-01T12:00:00+00:00")


class ScriptedSource:
    """A timed source whose items are observation times, or exceptions to raise in their place."""

    def __init__(self, script: list[datetime | BaseException], *, devices: bool = True) -> None:
        self._script = list(script)
        self._devices = devices
        self._fire = START
        self._last: DeviceStatusV1 | None = None
        self.closed = False

    def next_timestamp(self) -> datetime | None:
        if not self._script:
            return None
        item = self._script[0]
        if isinstance(item, BaseException):
            self._fire += timedelta(minutes=1)  # a failing item still has a place in time
            return self._fire
        self._fire = item
        return item

    def next_observation(self) -> ObservationV1 | None:
        if not self._script:
            return None
        item = self._script.pop(0)
        if isinstance(item, BaseException):
            raise item
        self._last = device_status(item, devices=None if self._devices else {})
        return observation(item)

    def device_status(self) -> DeviceStatusV1:
        assert self._last is not None
        return self._last

    def close(self) -> None:
        self.closed = True


def _parts(tmp_path: Path, source: ScriptedSource) -> Parts:
    return scripted_parts(tmp_path, source, START)


def _minutes(*offsets: int) -> list[datetime]:
    return [START + timedelta(minutes=m) for m in offsets]


@pytest.fixture
def events() -> Iterator[list[dict[str, object]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


def test_a_duplicate_observation_is_stored_but_not_estimated(tmp_path: Path, events: list) -> None:
    script: list[datetime | BaseException] = [*_minutes(0, 1), *_minutes(1, 2)]
    source = ScriptedSource(script)
    assert serve(_parts(tmp_path, source)) == 0
    stamps = [o["timestamp"] for o in read_stream(tmp_path, "observations")]
    assert len(stamps) == 4, "raw data is kept whatever the estimator makes of it"
    rejected = [e for e in events if e["event"] == "observation_not_estimated"]
    assert len(rejected) == 1 and rejected[0]["timestamp"].startswith("2026-06-01T12:01")
    assert source.closed


def test_one_failing_poll_is_logged_and_the_loop_goes_on(tmp_path: Path, events: list) -> None:
    source = ScriptedSource([*_minutes(0, 1), RuntimeError("I2C bus hiccup"), *_minutes(3, 4)])
    assert serve(_parts(tmp_path, source)) == 0
    assert len(read_stream(tmp_path, "observations")) == 4
    assert [e["event"] for e in events].count("poll_failed") == 1


def test_polls_failing_again_and_again_stop_the_daemon_with_status_1(tmp_path: Path, events: list) -> None:
    failures: list[datetime | BaseException] = [
        RuntimeError(f"failure {n}") for n in range(MAX_CONSECUTIVE_POLL_FAILURES + 3)
    ]
    source = ScriptedSource([*_minutes(0), *failures])
    assert serve(_parts(tmp_path, source)) == 1
    assert [e["event"] for e in events].count("poll_failed") == MAX_CONSECUTIVE_POLL_FAILURES
    assert len(read_stream(tmp_path, "observations")) == 1, "what was read before is kept"
    assert source.closed


def test_a_source_error_is_fatal_at_once(tmp_path: Path, events: list) -> None:
    source = ScriptedSource([*_minutes(0, 1), SourceError("replay stopped: bad line"), *_minutes(3)])
    assert serve(_parts(tmp_path, source)) == 1
    fatal = [e for e in events if e["event"] == "poll_fatal"]
    assert len(fatal) == 1 and "bad line" in fatal[0]["error"]
    assert len(read_stream(tmp_path, "observations")) == 2


def test_a_status_naming_no_relay_is_not_stored_but_travels_in_the_state(tmp_path: Path) -> None:
    source = ScriptedSource(_minutes(0, 1, 2), devices=False)
    assert serve(_parts(tmp_path, source)) == 0
    assert len(read_stream(tmp_path, "observations")) == 3
    assert read_stream(tmp_path, "device_status") == []
    states = read_stream(tmp_path, "state")
    assert states and all(s["device_status"]["devices"] == {} for s in states)


@pytest.mark.parametrize(
    ("fatal", "losses", "expected"),
    [
        (None, {}, ExitCode.OK),
        (None, {"backlog_at_exit": 3}, ExitCode.IO_ERROR),
        (DiskError(Path("/d"), errno.ENOSPC, "full"), {"backlog_at_exit": 3}, ExitCode.IO_ERROR),
        (DiskError(Path("/d"), errno.EROFS, "read-only"), {"backlog_at_exit": 3}, ExitCode.CANNOT_CREATE),
        (DataRootBusyError(Path("/d"), 4242, "brain writer"), {}, ExitCode.TEMP_FAILURE),
        (SourceError("bad line"), {}, ExitCode.FAILURE),
    ],
    ids=["clean", "lost", "disk full", "read-only", "root taken", "source failed"],
)
def test_the_exit_status_says_what_the_end_of_a_run_means(
    fatal: BaseException | None, losses: dict[str, int], expected: ExitCode
) -> None:
    assert exit_status(fatal, losses) is expected
