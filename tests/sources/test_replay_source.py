import gzip
import itertools
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from brain.contracts import DeviceStatusV1, ObservationSource, ObservationV1
from brain.errors import SourceError
from brain.sources.base import TimedSource
from brain.sources.replay import ReplayInputError, ReplaySource
from brain.storage import DatasetWriter, FsyncPolicy, MalformedLinePolicy, StorageSettings
from tests.factories import T0, device_status, minutes, observation, observation_line
from tests.storage.jsonl_files import write_lines


def write_root(
    data_root: Path, stamps: list, *, status_every: int = 1, max_file_bytes: int = 1 << 20
) -> None:
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER, max_file_bytes=max_file_bytes))
    for index, timestamp in enumerate(stamps):
        writer.write("observations", observation(timestamp, air_temperature_c=float(index)))
        if index % status_every == 0:
            writer.write(
                "device_status", device_status(timestamp, devices={"heater": "on" if index % 3 else "off"})
            )
    writer.close()


def drain(source: ReplaySource) -> list[ObservationV1]:
    observations = []
    while (item := source.next_observation()) is not None:
        observations.append(item)
    return observations


def test_reads_jsonl_in_order(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    stamps = minutes(
        2 * 24 * 6, start=T0 + timedelta(hours=12), step=timedelta(minutes=10)
    )  # across midnight
    write_root(data_root, stamps, status_every=2, max_file_bytes=8 * 1024)
    part = data_root / "run_20260602" / "observations.0001.jsonl"  # one rotated part compressed by retention
    part.with_name(part.name + ".gz").write_bytes(gzip.compress(part.read_bytes()))
    part.unlink()

    source = ReplaySource(data_root)
    assert isinstance(source, TimedSource)
    seen: list[tuple[ObservationV1, DeviceStatusV1]] = []
    while (item := source.next_observation()) is not None:
        seen.append((item, source.device_status()))
    source.close()

    assert [item.timestamp for item, _ in seen] == stamps
    assert [item.sensors.air_temperature_c for item, _ in seen] == [float(i) for i in range(len(stamps))]
    assert all(item.source is ObservationSource.REPLAY for item, _ in seen)
    for index, (item, status) in enumerate(seen):
        assert status.timestamp == item.timestamp and status.site_id == item.site_id
        if index % 2 == 0:  # a status was recorded with this observation
            assert status.devices["heater"] == ("on" if index % 3 else "off")
        else:  # nothing is known about the relays at this time
            assert status.devices == {}
    assert source.malformed_lines == 0 and source.dropped_out_of_order == 0


def test_returns_none_after_eof(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "observations.0000.jsonl", [observation_line(0), observation_line(1)])
    source = ReplaySource(path)
    assert source.next_timestamp() == T0
    assert source.next_timestamp() == T0  # peeking does not consume
    assert [item.timestamp for item in drain(source)] == [T0, T0 + timedelta(minutes=1)]
    assert source.next_observation() is None and source.next_observation() is None
    assert source.next_timestamp() is None
    # A single file has no device status stream: the status says nothing is known.
    assert source.device_status().devices == {} and source.device_status().timestamp == T0 + timedelta(
        minutes=1
    )
    source.close()
    source.close()
    assert source.next_observation() is None


def test_malformed_line_policy(tmp_path: Path) -> None:
    lines = [
        observation_line(0),
        b"{not json",
        observation_line(1),
        b'{"schema_version": "1.0"}',
        b"\xff\xfe",
        observation_line(2),
    ]
    path = write_lines(tmp_path / "observations.0000.jsonl", lines)

    with capture_logs() as logs:
        skipping = ReplaySource(path, policy=MalformedLinePolicy.SKIP)
        assert [item.timestamp for item in drain(skipping)] == minutes(3)
    assert skipping.malformed_lines == 3
    logged = [(entry["file"], entry["line"]) for entry in logs if entry["event"] == "malformed_line_skipped"]
    assert logged == [(str(path), 2), (str(path), 4), (str(path), 5)]

    failing = ReplaySource(path, policy=MalformedLinePolicy.FAIL)
    assert failing.next_observation() is not None
    with pytest.raises(SourceError, match=f"{path}:2:"):
        failing.next_observation()


def test_out_of_order_and_duplicate_observations_are_dropped_and_reported(tmp_path: Path) -> None:
    order = [0, 1, 1, 3, 2, 4, 4, 5]
    path = write_lines(tmp_path / "observations.0000.jsonl", [observation_line(minute) for minute in order])
    with capture_logs() as logs:
        source = ReplaySource(path)
        kept = [item.timestamp for item in drain(source)]
    assert kept == [T0 + timedelta(minutes=m) for m in (0, 1, 3, 4, 5)]
    assert source.dropped_out_of_order == 3
    dropped = [
        (entry["line"], entry["reason"]) for entry in logs if entry["event"] == "replay_observation_dropped"
    ]
    assert dropped == [(3, "duplicate"), (5, "out_of_order"), (7, "duplicate")]
    assert all(entry["file"] == str(path) for entry in logs if entry["event"] == "replay_observation_dropped")


def test_device_status_before_the_first_observation_is_an_error(tmp_path: Path) -> None:
    source = ReplaySource(write_lines(tmp_path / "observations.0000.jsonl", [observation_line(0)]))
    with pytest.raises(SourceError, match="before the first observation"):
        source.device_status()


def test_a_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot replay"):
        ReplaySource(tmp_path / "nothing-here")


def test_replays_a_run_with_a_torn_last_line_and_a_gzipped_part(tmp_path: Path) -> None:
    run_dir = tmp_path / "data" / "run_20260601"
    first = write_lines(run_dir / "observations.0000.jsonl", [observation_line(0), observation_line(1)])
    first.with_name(first.name + ".gz").write_bytes(gzip.compress(first.read_bytes()))
    first.unlink()
    second = write_lines(run_dir / "observations.0001.jsonl", [observation_line(2)])
    second.write_bytes(second.read_bytes() + observation_line(3)[:40])  # the power went out mid-write
    status = device_status(T0 + timedelta(minutes=1), devices={"heater": "on"}).model_dump_json().encode()
    write_lines(run_dir / "device_status.0000.jsonl", [status])

    source = ReplaySource(run_dir)
    kept = drain(source)
    assert [item.timestamp for item in kept] == minutes(3)
    assert source.malformed_lines == 1  # the torn line, counted and skipped
    source.close()

    source = ReplaySource(run_dir)
    source.next_observation()
    assert source.device_status().devices == {}
    source.next_observation()
    assert source.device_status().devices["heater"] == "on"


def test_statuses_of_another_site_or_time_are_not_taken(tmp_path: Path) -> None:
    run_dir = tmp_path / "run_20260601"
    write_lines(run_dir / "observations.0000.jsonl", [observation_line(0), observation_line(5)])
    statuses = [
        device_status(T0, site_id="greenhouse-2"),  # same time, other site
        device_status(T0 + timedelta(minutes=2)),  # a time with no observation
        device_status(T0 + timedelta(minutes=5), devices={"heater": "on"}),
    ]
    write_lines(run_dir / "device_status.0000.jsonl", [item.model_dump_json().encode() for item in statuses])
    source = ReplaySource(run_dir)
    source.next_observation()
    assert source.device_status().devices == {}
    source.next_observation()
    assert source.device_status().devices["heater"] == "on"


def test_memory_stays_bounded_for_a_long_log(tmp_path: Path) -> None:
    count = 5000
    path = write_lines(
        tmp_path / "observations.0000.jsonl", [observation_line(minute) for minute in range(count)]
    )
    source = ReplaySource(path)
    tracemalloc.start()
    try:
        replayed = 0
        while source.next_observation() is not None:
            replayed += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert replayed == count
    # Holding every observation would take several megabytes (the file alone is ~1.3 MB);
    # streaming keeps one record and one read buffer alive.
    assert peak < path.stat().st_size / 4, f"peak {peak} bytes"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bad_line = st.one_of(
    st.binary(max_size=200).filter(lambda data: b"\n" not in data),
    json_values.map(lambda value: json.dumps(value).encode()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), bad_line), min_size=0, max_size=30))
def test_random_lines_never_raise_under_skip_and_every_bad_line_is_counted(
    tmp_path_factory: pytest.TempPathFactory, layout: list[bytes | None]
) -> None:
    # None marks a valid observation (the next minute); anything else is garbage.
    good = iter(range(len(layout)))
    lines = [observation_line(next(good)) if item is None else item for item in layout]
    path = write_lines(tmp_path_factory.mktemp("replay") / "observations.0000.jsonl", lines)
    source = ReplaySource(path, policy=MalformedLinePolicy.SKIP)
    if None not in layout:  # nothing valid at all: the input error, whatever the garbage
        with pytest.raises(ReplayInputError, match="nothing to replay"):
            drain(source)
        return
    kept = drain(source)
    assert len(kept) == layout.count(None)
    assert source.malformed_lines == len(layout) - layout.count(None)
    assert all(a.timestamp < b.timestamp for a, b in itertools.pairwise(kept))


def test_a_str_path_replays_like_a_path(tmp_path: Path) -> None:
    data_root = tmp_path / "data"
    stamps = minutes(3, start=T0)
    write_root(data_root, stamps)
    assert [o.timestamp for o in drain(ReplaySource(str(data_root)))] == stamps
