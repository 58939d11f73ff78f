"""Records dated outside the storable years are refused and reported: no crash, no wrongly named folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.contracts import SCHEDULABLE, ObservationV1
from brain.storage import (
    DatasetWriter,
    TimestampOutOfRangeError,
    UnserializablePolicy,
    iter_records,
)
from brain.storage.dataset import LOCK_FILE_NAME, run_date, run_dir_name
from tests.factories import T0, observation

EXTREMES = [
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),  # past year 9999 in UTC
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2101, 1, 1, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),  # a Pi without RTC before NTP
]


def test_run_dir_names_are_zero_padded_for_any_year() -> None:
    assert run_dir_name(date(2026, 6, 1)) == "run_20260601"
    assert run_dir_name(date(1, 1, 1)) == "run_00010101"
    assert run_dir_name(date(999, 12, 31)) == "run_09991231"
    assert run_date(Path(run_dir_name(date(2100, 12, 31)))) == date(2100, 12, 31)


@pytest.mark.parametrize("timestamp", EXTREMES, ids=lambda t: t.isoformat())
def test_an_out_of_range_record_is_skipped_logged_and_the_writer_goes_on(
    make_writer: Callable[..., DatasetWriter], data_root: Path, timestamp: datetime
) -> None:
    writer = make_writer()
    with capture_logs() as logs:
        writer.write("observations", observation(timestamp))
    [skipped] = [entry for entry in logs if entry["event"] == "storage_record_skipped"]
    assert skipped["stream"] == "observations" and skipped["timestamp"] == timestamp.isoformat()
    assert skipped["storable"] == str(SCHEDULABLE) and skipped["field"] == "timestamp"
    assert writer.skipped_unserializable == 1 and writer.written["observations"] == 0
    assert [path.name for path in data_root.iterdir()] == [LOCK_FILE_NAME]  # no folder for it

    writer.write("observations", observation(T0))  # one bad date is not a reason to drop the rest
    writer.write("observations", observation(timestamp))
    writer.write("observations", observation(T0 + timedelta(minutes=1)))
    assert [r.timestamp for r in iter_records(data_root, "observations", ObservationV1)] == [
        T0,
        T0 + timedelta(minutes=1),
    ]
    assert writer.skipped_unserializable == 2


def test_under_the_raise_policy_it_is_an_error_naming_stream_and_timestamp(
    make_writer: Callable[..., DatasetWriter],
) -> None:
    writer = make_writer(on_unserializable=UnserializablePolicy.RAISE)
    late = datetime(2101, 1, 1, tzinfo=UTC)
    with pytest.raises(TimestampOutOfRangeError) as refused:
        writer.write("observations", observation(late))
    assert refused.value.stream == "observations" and refused.value.timestamp == late.isoformat()
    assert "2101-01-01T00:00:00+00:00" in str(refused.value)


def test_the_bounds_are_instants_and_folders_are_local_days(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    writer = make_writer(timezone="Pacific/Kiritimati")  # UTC+14
    writer.write(
        "observations", observation(datetime(1999, 12, 31, 23, 59, tzinfo=UTC))
    )  # 2000 local, 1999 UTC
    writer.write("observations", observation(datetime(2000, 1, 1, tzinfo=UTC)))  # the first storable instant
    writer.write("observations", observation(datetime(2099, 12, 31, 23, 59, tzinfo=UTC)))  # 2100-01-01 local
    writer.write("observations", observation(datetime(2100, 1, 1, tzinfo=UTC)))  # the end: excluded
    assert sorted(path.name for path in data_root.glob("run_*")) == ["run_20000101", "run_21000101"]
    assert writer.skipped_unserializable == 2
