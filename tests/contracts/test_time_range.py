"""The schedulable range: 2000 to 2100 UTC, judged as instants, never raising for any datetime."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.contracts import SCHEDULABLE, UnschedulableTimeError
from brain.errors import BrainError

EAST = timezone(timedelta(hours=14))
WEST = timezone(timedelta(hours=-12))


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2000, 1, 1, tzinfo=UTC), True),  # the start is inside
        (datetime(2000, 1, 1, tzinfo=UTC) - timedelta(microseconds=1), False),
        (datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), True),
        (datetime(2100, 1, 1, tzinfo=UTC), False),  # the end is not
        (datetime(2000, 1, 1, 10, tzinfo=EAST), False),  # 1999-12-31T20:00Z: judged as an instant
        (datetime(2099, 12, 31, 13, tzinfo=WEST), False),  # 2100-01-01T01:00Z
        (datetime.fromisoformat("9999-12-31T23:59:00-05:00"), False),  # no UTC equivalent
        (datetime.fromisoformat("0001-01-01T00:00:00+05:00"), False),  # none either
        (datetime(2026, 6, 1), False),  # naive: not a time brain acts on
    ],
)
def test_the_range_is_judged_as_instants(moment: datetime, inside: bool) -> None:
    assert (moment in SCHEDULABLE) is inside


@given(moment=st.datetimes(timezones=st.timezones() | st.none()))
def test_no_datetime_makes_the_check_raise(moment: datetime) -> None:
    assert (moment in SCHEDULABLE) in (True, False)


def test_a_site_local_day_may_lie_a_day_outside_the_utc_span() -> None:
    assert SCHEDULABLE.holds_day(date(1999, 12, 31)) and SCHEDULABLE.holds_day(date(2100, 1, 1))
    assert not SCHEDULABLE.holds_day(date(1999, 12, 30)) and not SCHEDULABLE.holds_day(date(9999, 12, 31))


def test_the_error_names_the_time_and_the_range() -> None:
    error = UnschedulableTimeError("SimClock start", datetime(1970, 1, 1, tzinfo=UTC))
    assert isinstance(error, BrainError) and isinstance(error, ValueError)
    assert str(error) == (
        "SimClock start 1970-01-01T00:00:00+00:00 is outside the schedulable range "
        "2000-01-01T00:00:00+00:00 to 2100-01-01T00:00:00+00:00 (exclusive)"
    )
