"""Replayed times brain cannot act on, and replay input with nothing in it.

Issue 16 item 4: one record dated 2031 in a 2024 replay silently dropped the rest of
the replay; year 1 and 9999 crashed the daemon. Issue 17 item 3: an empty file, a
folder without observations and a CSV replayed as it is exited 0. The rules are in
``brain/sources/time_order.py`` and ``brain/sources/replay.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.sources.replay import GIVE_UP_AFTER, ReplayInputError, ReplaySource
from brain.sources.time_order import MAX_UNCONFIRMED_JUMP
from brain.storage import MalformedLinePolicy
from tests.factories import T0, device_status, observation
from tests.storage.jsonl_files import write_lines

YEAR_1 = datetime.fromisoformat("0001-01-01T00:00:00+05:00")
YEAR_9999 = datetime.fromisoformat("9999-12-31T23:59:00-05:00")
IN_2031 = datetime.fromisoformat("2031-03-01T12:00:00+00:00")


def _at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def _lines(*stamps: datetime) -> list[bytes]:
    return [observation(stamp).model_dump_json().encode() for stamp in stamps]


def _replay(
    tmp_path: Path, *stamps: datetime
) -> tuple[list[datetime], list[dict[str, object]], ReplaySource]:
    path = write_lines(tmp_path / "observations.0000.jsonl", _lines(*stamps))
    source = ReplaySource(path)
    with capture_logs() as logs:
        kept = []
        while (item := source.next_observation()) is not None:
            kept.append(item.timestamp)
    dropped = [entry for entry in logs if entry["event"] == "replay_observation_dropped"]
    return kept, dropped, source


def test_one_far_future_record_is_rejected_and_every_record_after_it_replayed(tmp_path: Path) -> None:
    kept, dropped, source = _replay(tmp_path, *map(_at, range(50)), IN_2031, *map(_at, range(50, 100)))
    assert kept == [_at(minute) for minute in range(100)]
    assert [(entry["line"], entry["reason"], entry["timestamp"]) for entry in dropped] == [
        (51, "unconfirmed_jump", IN_2031.isoformat())
    ]
    assert source.rejected_timestamps == 1 and source.dropped_out_of_order == 0


def test_a_far_jump_confirmed_by_the_record_after_it_is_a_new_time(tmp_path: Path) -> None:
    # A logger off for a season: the record after the gap agrees with it.
    later = _at(0) + timedelta(days=120)
    kept, dropped, _ = _replay(tmp_path, _at(0), _at(1), later, later + timedelta(minutes=1))
    assert kept == [_at(0), _at(1), later, later + timedelta(minutes=1)] and dropped == []


def test_two_far_records_that_agree_are_taken_and_the_older_ones_after_them_dropped(tmp_path: Path) -> None:
    # The documented limit: the rule catches a lone record, not a clock that really moved.
    kept, dropped, _ = _replay(tmp_path, _at(0), IN_2031, IN_2031 + timedelta(minutes=1), _at(1), _at(2))
    assert kept == [_at(0), IN_2031, IN_2031 + timedelta(minutes=1)]
    assert [entry["reason"] for entry in dropped] == ["out_of_order", "out_of_order"]


def test_a_far_jump_at_the_end_has_nothing_to_confirm_it(tmp_path: Path) -> None:
    just_within = _at(1) + MAX_UNCONFIRMED_JUMP
    kept, dropped, _ = _replay(tmp_path, _at(0), _at(1), just_within, IN_2031)
    assert kept == [_at(0), _at(1), just_within]
    assert [(entry["line"], entry["reason"]) for entry in dropped] == [(4, "unconfirmed_jump")]


def test_a_first_record_far_ahead_of_the_ones_after_it_is_rejected(tmp_path: Path) -> None:
    kept, dropped, _ = _replay(tmp_path, IN_2031, _at(0), _at(1))
    assert kept == [_at(0), _at(1)]
    assert [(entry["line"], entry["reason"]) for entry in dropped] == [(1, "unconfirmed_jump")]


@pytest.mark.parametrize("far", [YEAR_1, YEAR_9999, datetime.fromisoformat("1999-12-31T23:59:00+00:00")])
def test_a_time_outside_the_range_is_rejected_wherever_it_is(tmp_path: Path, far: datetime) -> None:
    kept, dropped, source = _replay(tmp_path, far, _at(0), far, _at(1), far)
    assert kept == [_at(0), _at(1)]
    assert [(entry["line"], entry["reason"]) for entry in dropped] == [
        (line, "outside_schedulable_range") for line in (1, 3, 5)
    ]
    assert source.rejected_timestamps == 3


def test_a_fail_policy_replay_still_stops_at_the_bad_line_after_a_far_jump(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "observations.0000.jsonl", [*_lines(_at(0), IN_2031), b"{not json", *_lines(_at(1))]
    )
    source = ReplaySource(path, policy=MalformedLinePolicy.FAIL)
    assert source.next_observation() is not None
    assert source.next_timestamp() == IN_2031  # the line after it cannot say: taken as it is
    source.next_observation()
    with pytest.raises(Exception, match=f"{path}:3:"):
        source.next_observation()


def test_a_far_future_device_status_does_not_hide_the_statuses_after_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "run_20260601"
    write_lines(run_dir / "observations.0000.jsonl", _lines(_at(0), _at(1), _at(2)))
    statuses: list[DeviceStatusV1] = [
        device_status(_at(0)),
        device_status(IN_2031),
        device_status(_at(1), devices={"heater": "on"}),
        device_status(YEAR_9999),
        device_status(_at(2), devices={"heater": "off"}),
    ]
    write_lines(run_dir / "device_status.0000.jsonl", [item.model_dump_json().encode() for item in statuses])
    source = ReplaySource(run_dir)
    seen = []
    with capture_logs() as logs:
        while source.next_observation() is not None:
            seen.append(source.device_status().devices.get("heater"))
    assert seen == ["off", "on", "off"]  # the default payload's heater is off
    assert [entry["reason"] for entry in logs if entry["event"] == "replay_device_status_dropped"] == [
        "unconfirmed_jump",
        "outside_schedulable_range",
    ]


def _input_error(path: Path) -> ReplayInputError:
    with pytest.raises(ReplayInputError) as caught:
        ReplaySource(path).next_timestamp()
    return caught.value


def test_an_empty_file_or_folder_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "observations.0000.jsonl"
    empty.write_bytes(b"")
    assert str(_input_error(empty)) == f"nothing to replay in {empty}: the file is empty"
    folder = tmp_path / "folder"
    folder.mkdir()
    error = _input_error(folder)
    assert str(error) == f"nothing to replay in {folder}: no observations file found"
    assert "run_YYYYMMDD" in error.hint


def test_a_csv_gets_the_import_command_to_try(tmp_path: Path) -> None:
    csv = write_lines(tmp_path / "log.csv", [b"time,temp,rh", b"2026-06-01 00:00,20.1,70"])
    error = _input_error(csv)
    assert f"brain import-csv --mapping NAME|PATH --output {tmp_path / 'log.jsonl'} {csv}" in error.hint
    assert "cornell2020" in error.hint and "osu2024" in error.hint
    # A CSV under another name is told by its first line; in a folder, by its name.
    disguised = write_lines(tmp_path / "log.jsonl", [b"time,temp,rh", b"2026-06-01 00:00,20.1,70"])
    assert f"--output {tmp_path / 'log.observations.jsonl'} {disguised}" in _input_error(disguised).hint
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.CSV").write_bytes(b"time,temp\n")
    assert f"{folder / 'a.CSV'}" in _input_error(folder).hint


def test_a_replay_gives_up_after_its_first_lines_are_all_bad(tmp_path: Path) -> None:
    bad = [b'{"timestamp": "2026-06-01T00:00:00Z"}'] * GIVE_UP_AFTER
    path = write_lines(tmp_path / "observations.0000.jsonl", [*bad, *_lines(_at(0))])
    with capture_logs() as logs:
        error = _input_error(path)
    assert f"the first {GIVE_UP_AFTER} lines hold no valid observation" in str(error)
    assert "ObservationV1" in error.hint
    assert sum(entry["event"] == "malformed_line_skipped" for entry in logs) == GIVE_UP_AFTER
    # One line fewer, and the valid line after them is replayed.
    path.write_bytes(b"".join(line + b"\n" for line in [*bad[1:], *_lines(_at(0))]))
    assert ReplaySource(path).next_timestamp() == _at(0)


def test_times_outside_the_range_count_towards_giving_up(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "observations.0000.jsonl", _lines(*[YEAR_9999] * 60) + [b"junk"] * 40)
    assert f"the first {GIVE_UP_AFTER} lines" in str(_input_error(path))
    only_far = write_lines(tmp_path / "far.jsonl", _lines(YEAR_1, YEAR_9999))
    assert str(_input_error(only_far)) == (
        f"nothing to replay in {only_far}: no valid observation (0 malformed lines, "
        "2 with a time brain cannot schedule)"
    )


def test_reading_stored_runs_has_no_input_check(tmp_path: Path) -> None:
    run_dir = tmp_path / "run_20260601"
    run_dir.mkdir()
    assert ReplaySource([run_dir], check_input=False).next_observation() is None


def test_a_special_file_given_as_the_path_is_refused_unopened(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "observations.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ReplayInputError, match="it is a FIFO, not a file or a folder"):
        ReplaySource(fifo)


def test_replayed_observations_are_the_source_replay_and_located(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "observations.0000.jsonl", _lines(_at(0), IN_2031, _at(1)))
    source = ReplaySource(path)
    first = source.next_observation()
    assert isinstance(first, ObservationV1) and first.source.value == "replay"
    assert source.location == (path, 1)
    source.next_observation()
    assert source.location == (path, 3)
