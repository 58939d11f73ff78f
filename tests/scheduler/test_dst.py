"""A cron job at 02:30 Europe/Amsterdam across both DST changes of 2026.

The EU changes clocks at 01:00 UTC on the last Sunday of March (02:00 CET -> 03:00
CEST: 02:30 does not exist) and of October (03:00 CEST -> 02:00 CET: 02:30 happens
twice). We follow APScheduler 3.11's CronTrigger, whose behaviour is:

- spring forward: the missing 02:30 is read with the offset before the change
  (PEP 495, fold=0), i.e. 01:30 UTC, which is 03:30 CEST on the wall: it runs once,
  an hour later on the wall than usual;
- fall back: it runs twice, at 02:30 CEST (00:30 UTC) and at 02:30 CET (01:30 UTC).
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from brain.clock.clocks import SimClock
from brain.scheduler.event_loop import Scheduler

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _cron_0230(end: datetime) -> CronTrigger:
    return CronTrigger(hour=2, minute=30, timezone=AMSTERDAM, end_date=end)


def _scheduled(start: datetime, end: datetime) -> list[datetime]:
    fired: list[datetime] = []
    scheduler = Scheduler(SimClock(start))
    scheduler.add_job(fired.append, _cron_0230(end), name="report")
    scheduler.run()
    return fired


def _apscheduler_alone(start: datetime, end: datetime) -> list[datetime]:
    trigger, times = _cron_0230(end), []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def _utc(day: int, month: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected_utc"),
    [
        (  # spring forward on Sunday 29 March 2026
            datetime(2026, 3, 27, tzinfo=UTC),
            datetime(2026, 3, 31, 12, tzinfo=UTC),
            [_utc(27, 3, 1), _utc(28, 3, 1), _utc(29, 3, 1), _utc(30, 3, 0), _utc(31, 3, 0)],
        ),
        (  # fall back on Sunday 25 October 2026
            datetime(2026, 10, 23, tzinfo=UTC),
            datetime(2026, 10, 27, 12, tzinfo=UTC),
            [
                _utc(23, 10, 0),
                _utc(24, 10, 0),
                _utc(25, 10, 0),
                _utc(25, 10, 1),
                _utc(26, 10, 1),
                _utc(27, 10, 1),
            ],
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_cron_0230_across_a_dst_change_follows_apscheduler(
    start: datetime, end: datetime, expected_utc: list[datetime]
) -> None:
    fired = _scheduled(start, end)
    assert fired == _apscheduler_alone(start, end)  # the loop adds nothing and drops nothing
    assert [fire.astimezone(UTC) for fire in fired] == expected_utc
    # Handed to the job as the trigger gave them: local wall time 02:30 in Amsterdam.
    assert all((fire.hour, fire.minute, fire.tzinfo) == (2, 30, AMSTERDAM) for fire in fired)


def test_spring_forward_runs_at_0330_summer_time_on_the_wall() -> None:
    fired = _scheduled(datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC))
    assert len(fired) == 1
    on_the_wall = fired[0].astimezone(UTC).astimezone(AMSTERDAM)  # via UTC: same-zone astimezone is a no-op
    assert (on_the_wall.replace(tzinfo=None), on_the_wall.utcoffset()) == (
        datetime(2026, 3, 29, 3, 30),
        timedelta(hours=2),
    )


def test_fall_back_runs_are_ordered_by_instant_not_by_local_fields() -> None:
    # Both runs read 02:30 locally; with the same tzinfo Python compares local fields
    # only, so the loop must order by UTC: the summer-time one (fold=0) runs first.
    fired = _scheduled(datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC))
    assert [fire.fold for fire in fired] == [0, 1]
    assert fired[1].astimezone(UTC) - fired[0].astimezone(UTC) == timedelta(hours=1)
