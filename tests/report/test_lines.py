"""brain status's own reading of a data root: bounded reads of regular files, lines as JSON, defensively.

Each hostile case is one a data root can really hold (a power cut, bit rot, a mistaken
``ln -s``, a FIFO left by a tool, a cursor of another uplink version): the reader must give
the good records, or nothing, and never hang, balloon or raise.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from brain.names import HealthStatus, SensorKey
from brain.report import folder, lines
from brain.report.folder import days_held, read_manifest
from brain.report.lines import (
    ObservationLine,
    StateLine,
    TimedLine,
    count_lines,
    parse_lines,
    read_tail,
    tail_lines,
)
from brain.report.uplink_cursors import last_delivered, read_cursor_facts, uplink_lags
from brain.stored_lines import AnomalyLine, HealthLine
from tests.factories import T0, observation, state_payload


def numbered(count: int) -> bytes:
    return b"".join(b'{"n": %d}\n' % n for n in range(count))


def test_a_plain_tail_is_the_last_bytes_with_its_cut_first_line_dropped(tmp_path: Path) -> None:
    part = tmp_path / "state.0000.jsonl"
    part.write_bytes(numbered(1000) + b'{"torn')

    kept = tail_lines(part, 100)

    assert kept[-1] == b'{"n": 999}' and all(line.startswith(b'{"n": ') for line in kept)
    assert len(kept) < 12  # about 100 bytes, never the whole file
    assert tail_lines(part, 10**9)[0] == b'{"n": 0}'  # nothing cut: the first line is whole


def test_a_gzipped_part_is_inflated_as_a_stream_keeping_the_tail(tmp_path: Path) -> None:
    part = tmp_path / "state.0000.jsonl.gz"
    part.write_bytes(gzip.compress(numbered(5000)))

    data, cut = read_tail(part, 64)

    assert cut and data.endswith(b'{"n": 4999}\n') and len(data) == 64


def test_a_gzip_bomb_is_given_up_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "MAX_PART_BYTES", 1 << 20)
    part = tmp_path / "observations.0000.jsonl.gz"
    part.write_bytes(gzip.compress(b"x" * (64 << 20)))  # 64 MB of one line, a few kB on disk

    data, cut = read_tail(part, 4096)

    assert cut and len(data) == 4096


def test_a_damaged_gzip_gives_what_came_before_the_damage(tmp_path: Path) -> None:
    times = [T0 + timedelta(minutes=m) for m in range(20000)]
    text = "".join(json.dumps({"timestamp": t.isoformat(), "n": i}) + "\n" for i, t in enumerate(times))
    whole = bytearray(gzip.compress(text.encode()))
    whole[len(whole) * 3 // 4] ^= 0xFF  # one flipped byte: SD bit rot
    part = tmp_path / "state.0000.jsonl.gz"
    part.write_bytes(bytes(whole))

    records = parse_lines(tail_lines(part, 1 << 20), TimedLine.of)

    assert records, "the records before the damage are read"
    assert {r.timestamp for r in records} <= set(times)  # and nothing made up from the damage
    assert records[-1].timestamp < times[-1]


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "directory", "missing"])
def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    part = tmp_path / "observations.0000.jsonl"
    if kind == "fifo":
        os.mkfifo(part)
    elif kind == "dev_zero":
        part.symlink_to("/dev/zero")
    elif kind == "directory":
        part.mkdir()

    assert read_tail(part) == (b"", False)
    assert count_lines(part) == 0


def test_count_lines_reads_at_most_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    part = tmp_path / "observations.0000.jsonl"
    part.write_bytes(numbered(1000))
    monkeypatch.setattr(lines, "MAX_PART_BYTES", 100)

    assert count_lines(part) < 20


HOSTILE = [
    b"[1, 2]",
    b"[" * 100_000,
    b'{"timestamp": "2026-06-01T00:00:00"}',  # naive
    b'{"timestamp": 7}',
    b'{"timestamp": "soon"}',
    b"\xff\xfe",
    b"",
]


def test_hostile_lines_are_skipped_good_ones_kept() -> None:
    good_obs = observation(T0).model_dump_json().encode()
    good_state = json.dumps(state_payload()).encode()
    health = json.dumps(
        {"timestamp": "2026-06-01T00:00:00Z", "sensor": "co2_ppm", "status": "faulty", "fault": "stuck_at",
         "since": "2026-06-01T00:00:00Z"}
    ).encode()  # fmt: skip
    bad_sensor = health.replace(b"co2_ppm", b"co3_ppm")
    bool_confidence = json.dumps(state_payload() | {"confidence": True}).encode()

    assert [o.timestamp for o in parse_lines([*HOSTILE, good_obs], ObservationLine.of)] == [T0]
    [state] = parse_lines([*HOSTILE, bool_confidence, good_state], StateLine.of)
    assert state.get(SensorKey.AIR_TEMPERATURE_C) == state_payload()["air_temperature_c"]
    [line] = parse_lines([*HOSTILE, bad_sensor, health], HealthLine.of)
    assert (line.sensor, line.status, line.fault) == (SensorKey.CO2_PPM, HealthStatus.FAULTY, "stuck_at")
    assert parse_lines([*HOSTILE, health], AnomalyLine.of) == []


def test_until_leaves_out_later_records() -> None:
    records = [observation(T0 + timedelta(minutes=m)).model_dump_json().encode() for m in range(10)]

    kept = parse_lines(records, ObservationLine.of, until=T0 + timedelta(minutes=4))

    assert [o.timestamp.minute for o in kept] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "is not JSON"),
        ('{"last_timestamp": "yesterday"}', "not an ISO 8601 time"),
        ('{"last_timestamp": "2026-06-01T00:00:00"}', "not an ISO 8601 time"),
        ('{"last_timestamp": 12}', "not an ISO 8601 time"),
        ("x" * (2 << 20), "not a cursor"),
    ],
)
def test_a_cursor_that_is_not_what_status_expects_is_unknown_with_its_reason(
    tmp_path: Path, content: str, why: str
) -> None:
    cursor = tmp_path / "mqtt.state.cursor.json"
    cursor.write_text(content)

    with pytest.raises(ValueError, match=why):
        last_delivered(cursor)


def test_a_cursor_that_is_a_fifo_or_has_delivered_nothing(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "uplink").mkdir(parents=True)
    os.mkfifo(root / "uplink" / "mqtt.state.cursor.json")
    (root / "uplink" / "mqtt.anomalies.cursor.json").write_text('{"format": 1, "last_timestamp": null}')
    (root / "uplink" / "mqtt.actions.cursor.json").write_text('["not", "an", "object"]')

    lags = {lag.stream: lag for lag in uplink_lags(root, [], datetime.now(UTC))}

    assert lags["state"].lag is None and "not a readable regular file" in str(lags["state"].error)
    assert lags["anomalies"].lag == timedelta(0)  # nothing written, nothing to deliver
    assert lags["actions"].lag == timedelta(0) and lags["actions"].error is None


def manifest(root: Path, document: object) -> Path:
    root.mkdir(exist_ok=True)
    (root / "manifest.json").write_text(json.dumps(document))
    return root


def test_a_manifest_is_read_only_when_it_is_one_this_brain_knows(tmp_path: Path) -> None:
    good = {"manifest_version": 1, "identity": {"source": "synthetic"}}

    assert read_manifest(manifest(tmp_path / "good", good)) == good
    for name, document in {
        "newer": good | {"manifest_version": 2},
        "no_version": {"identity": {}},
        "bool_version": good | {"manifest_version": True},
        "no_identity": {"manifest_version": 1},
        "a_list": [1],
    }.items():
        assert read_manifest(manifest(tmp_path / name, document)) is None, name
    huge = manifest(tmp_path / "huge", good)
    (huge / "manifest.json").write_text(json.dumps(good | {"pad": "x" * folder.MAX_MANIFEST_BYTES}))
    assert read_manifest(huge) is None
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "manifest.json")
    assert read_manifest(fifo) is None
    assert read_manifest(tmp_path / "nowhere") is None


def test_the_days_held_are_told_as_ranges(tmp_path: Path) -> None:
    start = date(2026, 1, 1)
    for offset in [*range(5), *range(10, 12), *(20 + 3 * n for n in range(8))]:
        (tmp_path / f"run_{start + timedelta(days=offset):%Y%m%d}").mkdir()
    (tmp_path / "run_2026XX01").mkdir()  # not a run folder
    (tmp_path / "run_20260230").mkdir()  # nor is a date that does not exist

    said = days_held(tmp_path)

    assert said.startswith("15 days of run folders: 2026-01-01 to 2026-01-05, 2026-01-11 to 2026-01-12, ")
    assert "(4 more ranges)" in said and said.endswith("2026-02-11")


@pytest.mark.parametrize(
    ("lost", "read"),
    [
        ({"parts": 2, "bytes": 4096}, (2, 4096)),
        ({"parts": 1}, (1, 0)),
        ({"parts": "two", "bytes": 1}, (0, 0)),
        ({"parts": True, "bytes": 1}, (0, 0)),
        ({"parts": -1, "bytes": 1}, (0, 0)),
        ([1, 2], (0, 0)),
        (None, (0, 0)),
    ],
)
def test_a_format_2_cursor_gives_its_lost_parts_and_odd_values_are_none(
    tmp_path: Path, lost: object, read: tuple[int, int]
) -> None:
    cursor = tmp_path / "mqtt.state.cursor.json"
    document = {"format": 2, "sealed": "run_20260601/state.0000.jsonl", "files": {}, "lost": lost}
    cursor.write_text(json.dumps({**document, "last_timestamp": "2026-06-02T00:00:00+00:00"}))

    facts = read_cursor_facts(cursor)

    assert facts.last_delivered == datetime(2026, 6, 2, tzinfo=UTC)
    assert (facts.lost_parts, facts.lost_bytes) == read
