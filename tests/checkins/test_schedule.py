"""Due times across daylight-saving changes: each person's check-in at 09:00 their own time,
on their first work day, exactly once per cycle, wherever they are."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import clock
from bot.checkins.schedule import (
    Member,
    Schedule,
    check_in_day,
    cycle_at,
    cycles_between,
    instant_of,
    next_due,
    schedule_of,
    week_of,
    zone_of,
)
from bot.okrs.plans.plan import CheckinSchedule
from tests.test_layers import DATABASE, SLACK, _forbidden_path

ZONES = ["Pacific/Auckland", "Asia/Kolkata", "Europe/London", "America/New_York",
         "America/Los_Angeles"]
# Two months either side of each year's changes: March (US, EU), April and September (NZ),
# October (EU) and November (US).
SPANS = [(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC)),
         (datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 12, 20, tzinfo=UTC))]


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def test_the_schedule_reaches_neither_the_database_nor_slack() -> None:
    path = _forbidden_path("bot.checkins.schedule", DATABASE + SLACK)
    assert path is None, " → ".join(path or [])


TUESDAY_TO_SATURDAY = CheckinSchedule(weekday="sunday", work_days=[
    "tuesday", "wednesday", "thursday", "friday", "saturday"])


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("start", "end"), SPANS)
@pytest.mark.parametrize(("checkin", "first_work_day"), [(CheckinSchedule(), 0),
                                                         (TUESDAY_TO_SATURDAY, 1)])
def test_one_check_in_a_week_at_nine_local_on_the_first_work_day(
        zone: str, start: datetime, end: datetime, checkin: CheckinSchedule,
        first_work_day: int) -> None:
    cycles = cycles_between(Member(ZoneInfo(zone)), schedule_of(checkin), start=start, end=end)

    weeks = (end - start).days // 7
    assert len(cycles) == weeks
    assert len({c.id for c in cycles}) == weeks
    for cycle in cycles:
        seen = local(cycle.due, zone)
        assert (seen.weekday(), seen.time()) == (first_work_day, time(9, 0)), cycle
        assert seen.date() == cycle.day
        assert cycle.id == "{}-W{:02d}".format(*cycle.day.isocalendar()[:2])
        assert cycle.closes - cycle.due == timedelta(hours=48)
        assert cycle.remind_at - cycle.due == timedelta(hours=24)
        assert cycle.excused is None
    # The UTC instant moves with daylight saving: a stored offset would have kept it still.
    if zone != "Asia/Kolkata":
        assert len({c.due.time() for c in cycles}) == 2


@pytest.mark.parametrize(("zone", "before", "after"), [
    # US: Sunday 14 March 2027 at 02:00 the clocks go forward; EST is -5, EDT -4.
    ("America/New_York", datetime(2027, 3, 8, 14, tzinfo=UTC), datetime(2027, 3, 15, 13,
                                                                         tzinfo=UTC)),
    ("America/Los_Angeles", datetime(2027, 3, 8, 17, tzinfo=UTC),
     datetime(2027, 3, 15, 16, tzinfo=UTC)),
    # EU: Sunday 28 March 2027 at 01:00 UTC; GMT to BST (+1).
    ("Europe/London", datetime(2027, 3, 22, 9, tzinfo=UTC), datetime(2027, 3, 29, 8,
                                                                      tzinfo=UTC)),
    # US: Sunday 1 November 2026 back to EST.
    ("America/New_York", datetime(2026, 10, 26, 13, tzinfo=UTC),
     datetime(2026, 11, 2, 14, tzinfo=UTC)),
    # NZ: Sunday 27 September 2026 NZST (+12) to NZDT (+13): Monday 09:00 is Sunday in UTC.
    ("Pacific/Auckland", datetime(2026, 9, 20, 21, tzinfo=UTC),
     datetime(2026, 9, 27, 20, tzinfo=UTC)),
])
def test_the_week_after_a_change_is_due_an_hour_apart_in_utc(zone: str, before: datetime,
                                                             after: datetime) -> None:
    member = Member(ZoneInfo(zone))
    first = next_due(member, Schedule(), after=before - timedelta(minutes=1))
    second = next_due(member, Schedule(), after=first.due)
    assert (first.due, second.due) == (before, after)


def simulate(members: dict[str, Member], schedule: Schedule, start: datetime, weeks: int,
             step: timedelta = timedelta(minutes=5)) -> dict[str, list[tuple[str, datetime]]]:
    """What a job ticking every `step` with the clock frozen would send: each person's cycle
    once, the first tick its window is open."""
    sent: dict[str, list[tuple[str, datetime]]] = {name: [] for name in members}
    with freeze_time(start) as frozen:
        while clock.now() < start + timedelta(weeks=weeks):
            now = clock.now()
            for name, member in members.items():
                cycle = cycle_at(member, schedule, now)
                if cycle and cycle.excused is None and cycle.id not in dict(sent[name]):
                    sent[name].append((cycle.id, now))
            frozen.tick(step)
    return sent


def test_auckland_and_los_angeles_around_the_2027_march_change_get_one_dm_a_week() -> None:
    members = {"U0AKL": Member(ZoneInfo("Pacific/Auckland")),
               "U0LAX": Member(ZoneInfo("America/Los_Angeles"))}
    sent = simulate(members, Schedule(), datetime(2027, 2, 28, tzinfo=UTC), weeks=6)

    for name, zone in (("U0AKL", "Pacific/Auckland"), ("U0LAX", "America/Los_Angeles")):
        ids = [cycle for cycle, _ in sent[name]]
        assert ids == [f"2027-W{week:02d}" for week in range(9, 15)], name
        for _, at in sent[name]:
            assert (local(at, zone).weekday(), local(at, zone).time()) == (0, time(9, 0))


@pytest.mark.parametrize(("zone", "day", "wall", "expected"), [
    # 02:30 does not exist on 14 March 2027 in New York: 03:00 EDT is the first minute after.
    ("America/New_York", date(2027, 3, 14), time(2, 30), datetime(2027, 3, 14, 7,
                                                                   tzinfo=UTC)),
    ("America/New_York", date(2026, 3, 8), time(2, 0), datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("Europe/London", date(2027, 3, 28), time(1, 30), datetime(2027, 3, 28, 1, tzinfo=UTC)),
    ("Pacific/Auckland", date(2026, 9, 27), time(2, 15), datetime(2026, 9, 26, 14,
                                                                   tzinfo=UTC)),
    # 01:30 happens twice on 7 November 2027 in New York: the first, still EDT (-4).
    ("America/New_York", date(2027, 11, 7), time(1, 30), datetime(2027, 11, 7, 5, 30,
                                                                   tzinfo=UTC)),
    ("Europe/London", date(2026, 10, 25), time(1, 0), datetime(2026, 10, 25, 0, tzinfo=UTC)),
    ("Pacific/Auckland", date(2027, 4, 4), time(2, 30), datetime(2027, 4, 3, 13, 30,
                                                                 tzinfo=UTC)),
])
def test_gap_and_fold_times(zone: str, day: date, wall: time, expected: datetime) -> None:
    assert instant_of(day, wall, ZoneInfo(zone)) == expected


def test_a_check_in_on_the_spring_forward_night_is_sent_once_at_the_first_valid_minute() -> None:
    schedule = schedule_of(CheckinSchedule(weekday="sunday", time="02:30",
                                           work_days=["sunday", "monday"]))
    cycle = next_due(Member(ZoneInfo("America/New_York")), schedule,
                     after=datetime(2027, 3, 10, tzinfo=UTC))
    assert local(cycle.due, "America/New_York").replace(tzinfo=None) == datetime(2027, 3, 14,
                                                                                 3, 0)


def test_a_check_in_on_the_fall_back_night_is_sent_once_at_the_first_occurrence() -> None:
    schedule = schedule_of(CheckinSchedule(weekday="sunday", time="01:30",
                                           work_days=[*CheckinSchedule().work_days, "sunday"]))
    member = Member(ZoneInfo("America/New_York"))
    sent = simulate({"U0NYC": member}, schedule, datetime(2027, 11, 6, tzinfo=UTC), weeks=1,
                    step=timedelta(minutes=10))
    # Saturday off makes Sunday the first day of their week, the week of ISO 2027-W45.
    assert sent["U0NYC"] == [("2027-W45", datetime(2027, 11, 7, 5, 30, tzinfo=UTC))]


def test_a_sunday_to_thursday_team() -> None:
    checkin = CheckinSchedule(work_days=["sunday", "monday", "tuesday", "wednesday",
                                         "thursday"])
    member = Member(ZoneInfo("Asia/Jerusalem"))
    on_monday = cycles_between(member, schedule_of(checkin),
                               start=datetime(2027, 3, 1, tzinfo=UTC),
                               end=datetime(2027, 3, 29, tzinfo=UTC))
    assert [c.day for c in on_monday] == [date(2027, 3, d) for d in (1, 8, 15, 22)]

    # Friday and Saturday are their weekend: the check-in moves to the week's first work
    # day, the Sunday that starts it, which belongs to the same cycle as its Monday.
    for weekday in ("friday", "saturday"):
        moved = cycles_between(member, schedule_of(checkin.model_copy(
            update={"weekday": weekday})), start=datetime(2027, 3, 1, tzinfo=UTC),
            end=datetime(2027, 3, 29, tzinfo=UTC))
        assert [c.day for c in moved] == [date(2027, 3, d) for d in (7, 14, 21, 28)]
        assert [c.id for c in moved] == [f"2027-W{w}" for w in (10, 11, 12, 13)]
        assert {local(c.due, "Asia/Jerusalem").time() for c in moved} == {time(9, 0)}


def test_a_weekday_off_moves_to_the_first_work_day_of_that_week() -> None:
    schedule = schedule_of(CheckinSchedule(weekday="saturday"))
    assert check_in_day(schedule, date(2027, 3, 15)) == date(2027, 3, 15)
    three_day = schedule_of(CheckinSchedule(weekday="monday",
                                            work_days=["wednesday", "thursday", "friday"]))
    # Their week runs Wednesday to Tuesday; its Monday (the 22nd) is off, so Wednesday it is.
    assert week_of(three_day, date(2027, 3, 15)) == date(2027, 3, 10)
    assert check_in_day(three_day, date(2027, 3, 17)) == date(2027, 3, 17)


def test_zone_falls_back_to_the_plan_then_utc() -> None:
    assert zone_of("Asia/Kolkata", "Europe/London") == ZoneInfo("Asia/Kolkata")
    assert zone_of(None, "Europe/London") == ZoneInfo("Europe/London")
    assert zone_of("Mars/Olympus", "") == ZoneInfo("UTC")


WEEKDAY = st.sampled_from(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                           "sunday"])


@settings(max_examples=150, deadline=None)
@given(zone=st.sampled_from(sorted(available_timezones())), weekday=WEEKDAY,
       hour=st.integers(0, 23), minute=st.integers(0, 59),
       work_days=st.sets(WEEKDAY, min_size=1), every_weeks=st.sampled_from([1, 2]),
       start=st.datetimes(datetime(2026, 1, 1), datetime(2028, 1, 1)))
def test_any_zone_and_schedule_gives_one_due_instant_per_cycle(
        zone: str, weekday: str, hour: int, minute: int, work_days: set[str], every_weeks: int,
        start: datetime) -> None:
    wall = time(hour, minute)
    checkin = CheckinSchedule(weekday=weekday, time=f"{hour:02d}:{minute:02d}",
                              work_days=sorted(work_days), every_weeks=every_weeks,
                              starting=date(2026, 6, 3))
    schedule = schedule_of(checkin)
    member = Member(ZoneInfo(zone))
    begin = start.replace(tzinfo=UTC)
    cycles = cycles_between(member, schedule, start=begin, end=begin + timedelta(weeks=12))

    # An hour of daylight saving can carry the first or last due time across an end, either
    # way: a due time exactly at the start counts, and spring forward can pull the last one an
    # hour earlier, inside the end (Montreal, Wednesdays 19:00, from 1 Jan 2026 00:00 UTC: 13).
    assert 12 // every_weeks - 1 <= len(cycles) <= 12 // every_weeks + 1
    for earlier, later in pairwise(cycles):
        # Consecutive cycles are exactly every_weeks team weeks apart: none twice, none lost.
        gap = week_of(schedule, later.day) - week_of(schedule, earlier.day)
        assert gap == timedelta(weeks=every_weeks)
        assert earlier.id != later.id
    for cycle in cycles:
        seen = local(cycle.due, zone)
        assert cycle.day.weekday() in schedule.work_days
        assert seen.date() == cycle.day or seen.time() < wall  # a gap may end after midnight
        if seen.replace(tzinfo=None) != datetime.combine(cycle.day, wall):
            # Only a skipped time moves, and only to the first minute after the gap.
            assert seen.replace(tzinfo=None) > datetime.combine(cycle.day, wall)
            before = (cycle.due - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
            assert before.replace(tzinfo=None) < datetime.combine(cycle.day, wall)
        else:
            # A repeated time is its first occurrence: an hour (or the fold) earlier reads
            # differently.
            for back in (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)):
                earlier_wall = (cycle.due - back).astimezone(ZoneInfo(zone))
                assert earlier_wall.replace(tzinfo=None) != datetime.combine(cycle.day, wall)
