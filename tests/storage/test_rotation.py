import gzip
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.contracts import ObservationV1
from brain.storage import DatasetWriter
from brain.storage.rotation import SiteCalendar
from tests.factories import T0, device_status, minutes, observation
from tests.storage.jsonl_files import lines_of, tree

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def timestamps_in(path: Path) -> list[datetime]:
    return [ObservationV1.model_validate_json(line).timestamp for line in lines_of(path)]


def test_rotate_on_day_change(make_writer: Callable[..., DatasetWriter], data_root: Path) -> None:
    writer = make_writer()
    before, after = T0 - timedelta(seconds=1), T0
    writer.write("observations", observation(before))
    writer.write("observations", observation(after))
    writer.close()
    assert tree(data_root) == ["run_20260531/observations.0000.jsonl", "run_20260601/observations.0000.jsonl"]
    assert timestamps_in(data_root / "run_20260531" / "observations.0000.jsonl") == [before]
    assert timestamps_in(data_root / "run_20260601" / "observations.0000.jsonl") == [after]


def test_rotate_on_max_size(make_writer: Callable[..., DatasetWriter], data_root: Path) -> None:
    line_bytes = len(observation(T0).model_dump_json()) + 1
    writer = make_writer(max_file_bytes=line_bytes * 3 + line_bytes // 2)  # room for three lines and a half
    stamps = minutes(10)
    for timestamp in stamps:
        writer.write("observations", observation(timestamp))
    writer.close()
    run_dir = data_root / "run_20260601"
    parts = [run_dir / f"observations.{index:04d}.jsonl" for index in range(4)]
    assert tree(data_root) == [f"run_20260601/{part.name}" for part in parts]
    assert [len(lines_of(part)) for part in parts] == [3, 3, 3, 1]
    assert [stamp for part in parts for stamp in timestamps_in(part)] == stamps


def test_size_limit_in_the_middle_of_a_burst_of_two_streams(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    limit = 4096
    writer = make_writer(max_file_bytes=limit)
    stamps = [T0 + timedelta(milliseconds=10 * i) for i in range(60)]  # a burst: 60 records in 0.6 s
    for timestamp in stamps:
        writer.write("observations", observation(timestamp))
        writer.write("device_status", device_status(timestamp))
    writer.close()
    run_dir = data_root / "run_20260601"
    for stream in ("observations", "device_status"):
        parts = sorted(run_dir.glob(f"{stream}.*.jsonl"))
        assert len(parts) > 1
        assert all(part.stat().st_size <= limit for part in parts)
        records = [line for part in parts for line in lines_of(part)]
        assert len(records) == len(stamps)  # no record lost, none split between two parts


def test_a_record_larger_than_the_limit_gets_a_part_of_its_own(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(max_file_bytes=100)  # every observation line is longer than this
    for timestamp in minutes(2):
        writer.write("observations", observation(timestamp))
    writer.close()
    assert tree(data_root) == ["run_20260601/observations.0000.jsonl", "run_20260601/observations.0001.jsonl"]


def test_restart_appends_to_the_latest_part(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    line_bytes = len(observation(T0).model_dump_json()) + 1
    first = make_writer(max_file_bytes=line_bytes * 2)
    for timestamp in minutes(5):
        first.write("observations", observation(timestamp))
    first.close()
    second = make_writer(max_file_bytes=line_bytes * 2)
    second.write("observations", observation(T0 + timedelta(hours=1)))
    second.close()
    # Parts 0000 and 0001 were full; 0002 held one record and takes the new one.
    assert [len(lines_of(p)) for p in sorted((data_root / "run_20260601").glob("*.jsonl"))] == [2, 2, 2]


def test_a_compressed_latest_part_is_never_appended_to(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    run_dir = data_root / "run_20260601"
    run_dir.mkdir(parents=True)
    (run_dir / "observations.0003.jsonl.gz").write_bytes(gzip.compress(b""))
    writer = make_writer()
    writer.write("observations", observation(T0))
    writer.close()
    assert timestamps_in(run_dir / "observations.0004.jsonl") == [T0]


def test_rotate_across_midnight_in_amsterdam(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    # In June Amsterdam is on CEST, UTC+2: local midnight of June 2 is 22:00 UTC on June 1.
    writer = make_writer(timezone="Europe/Amsterdam")
    last_of_june_1 = datetime(2026, 6, 1, 21, 59, 59, tzinfo=UTC)
    first_of_june_2 = datetime(2026, 6, 1, 22, 0, 0, tzinfo=UTC)
    writer.write("observations", observation(last_of_june_1))
    writer.write("observations", observation(first_of_june_2))
    writer.close()
    assert timestamps_in(data_root / "run_20260601" / "observations.0000.jsonl") == [last_of_june_1]
    assert timestamps_in(data_root / "run_20260602" / "observations.0000.jsonl") == [first_of_june_2]


@pytest.mark.parametrize(
    ("day", "local_start_utc", "hours"),
    [
        # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST; the day starts at 23:00 UTC and lasts 23 h.
        (date(2026, 3, 29), datetime(2026, 3, 28, 23, tzinfo=UTC), 23),
        # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET; the day starts at 22:00 UTC, lasts 25 h.
        (date(2026, 10, 25), datetime(2026, 10, 24, 22, tzinfo=UTC), 25),
    ],
)
def test_rotation_on_a_dst_day_in_amsterdam(
    make_writer: Callable[..., DatasetWriter],
    data_root: Path,
    day: date,
    local_start_utc: datetime,
    hours: int,
) -> None:
    writer = make_writer(timezone="Europe/Amsterdam")
    # Every half hour from three hours before the local day to three hours after it.
    stamps = minutes((hours + 6) * 2, start=local_start_utc - timedelta(hours=3), step=timedelta(minutes=30))
    for timestamp in stamps:
        writer.write("observations", observation(timestamp))
    writer.close()
    runs = sorted(path.name for path in data_root.iterdir() if path.is_dir())
    assert runs == [
        f"run_{day - timedelta(days=1):%Y%m%d}",
        f"run_{day:%Y%m%d}",
        f"run_{day + timedelta(days=1):%Y%m%d}",
    ]
    inside = timestamps_in(data_root / f"run_{day:%Y%m%d}" / "observations.0000.jsonl")
    assert len(inside) == hours * 2
    assert inside[0] == local_start_utc and inside[-1] == local_start_utc + timedelta(
        hours=hours, minutes=-30
    )


ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Santiago",
]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    stamps=st.lists(
        st.datetimes(
            min_value=datetime(2020, 1, 1),
            max_value=datetime(2030, 12, 31),
            timezones=st.sampled_from(
                [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=45))]
            ),
        ),
        min_size=1,
        max_size=30,
    ),
    walk=st.lists(st.integers(min_value=-7200, max_value=7200), min_size=0, max_size=30),
)
def test_site_calendar_agrees_with_a_plain_conversion(
    zone: str, stamps: list[datetime], walk: list[int]
) -> None:
    # Random jumps plus short walks around them (where the cached day bounds are reused).
    calendar = SiteCalendar(ZoneInfo(zone))
    probes = [stamp + timedelta(seconds=sum(walk[:k])) for stamp in stamps for k in range(len(walk) + 1)]
    for probe in probes:
        assert calendar.day_of(probe) == probe.astimezone(ZoneInfo(zone)).date()
