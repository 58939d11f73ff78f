"""Restart recovery in-process, on real data roots: what a restart finds, skips, and completes.

The process-level drills (``test_daemon_process.py``, ``tests/reliability/``) show the
bytes of a resumed run equal an uncut run's; these pin down each case of
:func:`brain.daemon.recovery.resume` and the :class:`Recovery` it returns.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from brain.config import LoadedSettings, load_settings
from brain.contracts import DeviceStatusV1, ObservationV1
from brain.daemon import run
from brain.daemon.builder import Parts, build_parts
from brain.daemon.recovery import Recovery, resume
from brain.sources.base import Source
from tests.daemon.cuts import cut_after_observation, up_to
from tests.runs import read_stream

ONE_HOUR = "2026-06-01T01:00:00Z"
"""A base cycle (``base_cycle_s`` 3600) and a poll of the simulated day."""


def _simulate(data_root: Path, hours: float, **flags: Any) -> LoadedSettings:
    simulation = {"duration_hours": hours}
    return load_settings(
        flags={
            "source": "synthetic",
            "data_root": data_root,
            "base_cycle_s": 3600,
            "simulation": simulation,
            **flags,
        }
    )


def _replay(data_root: Path, path: Path) -> LoadedSettings:
    return load_settings(
        flags={"source": "replay", "replay": {"path": path}, "data_root": data_root, "base_cycle_s": 3600}
    )


def _resume(loaded: LoadedSettings) -> tuple[Recovery, Parts]:
    parts = build_parts(loaded)
    return resume(parts), parts


def _whole_and_cut(
    tmp_path: Path, loaded: LoadedSettings, at: str, kept: tuple[str, ...]
) -> tuple[Path, Path]:
    """An uncut run, and a copy of it as a kill at ``at`` left it."""
    whole = loaded.settings.data_root
    assert run(loaded) == 0
    cut = tmp_path / "cut"
    shutil.copytree(whole, cut)
    cut_after_observation(cut, at, kept=kept)
    return whole, cut


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


class LiveSource:
    """The synthetic greenhouse without its own time: what the Pi's hardware source is to a restart."""

    def __init__(self, inner: Source) -> None:
        self._inner = inner

    def next_observation(self) -> ObservationV1 | None:
        return self._inner.next_observation()

    def device_status(self) -> DeviceStatusV1:
        return self._inner.device_status()

    def close(self) -> None:
        self._inner.close()


def test_a_fresh_data_root_has_nothing_to_recover(tmp_path: Path) -> None:
    recovery, parts = _resume(_simulate(tmp_path, 1))
    start = parts.settings.simulation.start
    assert recovery == Recovery(last_stored=None, next_poll=start, skipped=0, completed=0)
    assert parts.clock.make(recovery.next_poll).now() == start
    parts.close()
    assert read_stream(tmp_path, "observations") == []


def test_a_restart_skips_what_is_stored_and_the_estimator_goes_on(tmp_path: Path) -> None:
    assert run(_simulate(tmp_path, 2)) == 0
    last = _stamp(read_stream(tmp_path, "observations")[-1]["timestamp"])
    recovery, parts = _resume(_simulate(tmp_path, 3))
    assert recovery == Recovery(
        last_stored=last, next_poll=last + timedelta(minutes=1), skipped=120, completed=0
    )
    assert parts.clock.make(recovery.next_poll).now() == recovery.next_poll, (
        "the clock starts at the next poll"
    )
    observation = parts.source.next_observation()
    assert observation is not None and observation.timestamp == recovery.next_poll
    estimate = parts.estimator.step(observation, parts.source.device_status())
    assert not estimate.health_changed, "a cold estimator would report every sensor's health as new"
    parts.close()


def test_a_restart_after_the_end_of_the_stream_has_no_next_poll(tmp_path: Path) -> None:
    assert run(_simulate(tmp_path, 1)) == 0
    recovery, parts = _resume(_simulate(tmp_path, 1))
    assert recovery.next_poll is None and recovery.skipped == 60 and recovery.completed == 0
    assert parts.clock.make(None).now() == parts.settings.simulation.start
    parts.close()


def test_a_cut_poll_on_a_base_cycle_gets_its_status_state_and_health(tmp_path: Path) -> None:
    whole, cut = _whole_and_cut(tmp_path, _simulate(tmp_path / "whole", 2), ONE_HOUR, kept=("observations",))
    recovery, parts = _resume(_simulate(cut, 2))
    parts.close()
    assert recovery.completed == 1 + 1 + 5, "the device status, the state, five health records"
    assert recovery.last_stored == _stamp(ONE_HOUR)
    assert up_to(cut, ONE_HOUR) == up_to(whole, ONE_HOUR), "nothing lost, nothing twice"


def test_a_completed_cut_poll_is_not_completed_again(tmp_path: Path) -> None:
    _whole, cut = _whole_and_cut(tmp_path, _simulate(tmp_path / "whole", 2), ONE_HOUR, kept=("observations",))
    first, parts = _resume(_simulate(cut, 2))
    parts.close()
    again, parts = _resume(_simulate(cut, 2))
    parts.close()
    assert first.completed == 7 and again.completed == 0


def test_on_the_pi_a_cut_poll_gets_its_state_but_its_status_stays_lost(tmp_path: Path) -> None:
    whole, cut = _whole_and_cut(tmp_path, _simulate(tmp_path / "whole", 2), ONE_HOUR, kept=("observations",))
    built = build_parts(_simulate(cut, 2))
    parts = replace(built, source=LiveSource(built.source))
    recovery = resume(parts)
    parts.close()
    assert recovery.skipped == 0 and recovery.next_poll is None, (
        "a live source neither skips nor knows its time"
    )
    assert recovery.completed == 1 + 5, (
        "the state and its health records: a sensor cannot be read in the past"
    )
    assert [s["timestamp"] for s in read_stream(cut, "device_status")][-1] < ONE_HOUR
    cut_files, whole_files = up_to(cut, ONE_HOUR), up_to(whole, ONE_HOUR)
    health = "run_20260601/sensor_health.0000.jsonl"
    assert cut_files[health] == whole_files[health]
    (state,) = [s for s in read_stream(cut, "state") if s["timestamp"] == ONE_HOUR]
    (uncut,) = [s for s in read_stream(whole, "state") if s["timestamp"] == ONE_HOUR]
    assert state["device_status"]["devices"] == {}, "the status the warm-up read back: none stored"
    assert {**state, "device_status": None} == {**uncut, "device_status": None}


def test_a_quiet_cut_poll_between_base_cycles_needs_only_its_status(tmp_path: Path) -> None:
    at = "2026-06-01T00:59:00Z"
    whole, cut = _whole_and_cut(tmp_path, _simulate(tmp_path / "whole", 2), at, kept=("observations",))
    recovery, parts = _resume(_simulate(cut, 2))
    parts.close()
    assert recovery.completed == 1
    assert up_to(cut, at) == up_to(whole, at)


def test_a_status_from_another_time_is_not_taken_for_the_cut_polls(tmp_path: Path) -> None:
    # Resumed with a 2-minute poll interval, the source's last status before 00:59 is the 00:58 one.
    at = "2026-06-01T00:59:00Z"
    _whole, cut = _whole_and_cut(tmp_path, _simulate(tmp_path / "whole", 2), at, kept=("observations",))
    recovery, parts = _resume(_simulate(cut, 2, poll_interval_s=120))
    parts.close()
    assert recovery.next_poll == _stamp(ONE_HOUR) and recovery.completed == 0
    assert [s["timestamp"] for s in read_stream(cut, "device_status")][-1] < at


def test_a_cut_poll_before_a_gap_gets_the_state_of_the_base_cycle_in_the_gap(tmp_path: Path) -> None:
    assert run(_simulate(tmp_path / "sim", 2)) == 0
    lines = next((tmp_path / "sim").glob("run_*/observations.0000.jsonl")).read_text().splitlines(True)
    gapped = tmp_path / "gapped.jsonl"
    gapped.write_text("".join(line for i, line in enumerate(lines) if not 59 <= i <= 62))  # no 00:59-01:02
    at = "2026-06-01T00:58:00Z"
    whole, cut = _whole_and_cut(tmp_path, _replay(tmp_path / "whole", gapped), at, kept=("observations",))
    recovery, parts = _resume(_replay(cut, gapped))
    parts.close()
    assert recovery.next_poll == _stamp("2026-06-01T01:03:00Z")
    assert recovery.completed == 1 + 5, "the state due at 01:00 and its health (the log names no relay)"
    assert up_to(cut, at) == up_to(whole, at)


def test_a_torn_tail_is_cut_back_before_the_warm_up(tmp_path: Path) -> None:
    assert run(_simulate(tmp_path, 1)) == 0
    part = next(tmp_path.glob("run_*/observations.0000.jsonl"))
    last = _stamp(read_stream(tmp_path, "observations")[-1]["timestamp"])
    with part.open("ab") as file:
        file.write(b'{"schema_version": "1.0", "timest')  # a power cut in the middle of a write
    recovery, parts = _resume(_simulate(tmp_path, 2))
    parts.close()
    assert recovery.last_stored == last
    assert part.with_name(part.name + ".torn").read_bytes().startswith(b'{"schema_version": "1.0", "timest')
    assert part.read_bytes().endswith(b"}\n")


def _plant(data_root: Path, run_name: str, timestamp: str) -> Path:
    """Store one observation at ``timestamp`` in ``run_name``, as an older brain or a bad copy left it."""
    line = read_stream(data_root, "observations")[-1] | {"timestamp": timestamp}
    part = data_root / run_name / "observations.0000.jsonl"
    part.parent.mkdir(exist_ok=True)
    with part.open("a") as out:
        out.write(json.dumps(line) + "\n")
    return part


def test_a_stored_far_future_record_does_not_stop_a_resumed_simulation(tmp_path: Path) -> None:
    # Issue 16 item 4: a stored 2036 record made the restart skip the whole simulation.
    assert run(_simulate(tmp_path, 1)) == 0
    last = _stamp(read_stream(tmp_path, "observations")[-1]["timestamp"])
    planted = _plant(tmp_path, "run_20360601", "2036-06-01T12:00:00Z")
    with capture_logs() as logs:
        recovery, parts = _resume(_simulate(tmp_path, 2))
    parts.close()
    assert recovery.last_stored == last and recovery.next_poll == last + timedelta(minutes=1)
    assert recovery.skipped == 60
    ignored = [entry for entry in logs if entry["event"] == "replay_observation_dropped"]
    assert [(entry["file"], entry["line"], entry["reason"]) for entry in ignored] == [
        (str(planted), 1, "unconfirmed_jump")
    ]


@pytest.mark.parametrize("run_name", ["run_99991231", "run_20260601"])
def test_a_stored_year_9999_record_does_not_crash_the_start(tmp_path: Path, run_name: str) -> None:
    # A folder of its own is left out by its name; a line in today's folder by its time.
    assert run(_simulate(tmp_path, 1)) == 0
    last = _stamp(read_stream(tmp_path, "observations")[-1]["timestamp"])
    _plant(tmp_path, run_name, "9999-12-31T23:59:00-05:00")
    with capture_logs() as logs:
        assert run(_simulate(tmp_path, 2)) == 0
    resumed = [_stamp(r["timestamp"]) for r in read_stream(tmp_path, "observations")]
    new_hour = [last + timedelta(minutes=minute) for minute in range(1, 61)]
    assert [stamp for stamp in resumed if last < stamp and stamp.year < 2100] == new_hour
    events = {entry["event"]: entry for entry in logs}
    if run_name == "run_99991231":
        assert events["stored_run_ignored"]["reason"] == "outside_schedulable_range"
    else:
        assert events["replay_observation_dropped"]["reason"] == "outside_schedulable_range"
