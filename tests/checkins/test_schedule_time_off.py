"""Cycles with no DM (holidays, a paused team, time off), every other week, reminders, the
window, and snoozes that never leave it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from bot import clock
from bot.checkins.schedule import (
    Excuse,
    Member,
    Snooze,
    TimeOff,
    cycle_at,
    cycles_between,
    next_due,
    schedule_of,
    snooze,
)
from bot.okrs.plans.plan import CheckinSchedule

NEW_YORK = Member(ZoneInfo("America/New_York"))
MARCH = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 5, tzinfo=UTC))


def days(member: Member, checkin: CheckinSchedule, *, excused: bool | None = None) -> list:
    cycles = cycles_between(member, schedule_of(checkin), start=MARCH[0], end=MARCH[1])
    return [(c.day, c.excused) for c in cycles
            if excused is None or (c.excused is not None) == excused]


def test_a_holiday_excuses_that_cycle_and_next_due_skips_it() -> None:
    checkin = CheckinSchedule(holidays=[date(2027, 3, 15)])
    assert days(NEW_YORK, checkin, excused=True) == [(date(2027, 3, 15), Excuse.HOLIDAY)]
    assert len(days(NEW_YORK, checkin)) == 5  # still a cycle, counted as excused

    schedule = schedule_of(checkin)
    after = datetime(2027, 3, 9, tzinfo=UTC)
    assert next_due(NEW_YORK, schedule, after=after).day == date(2027, 3, 22)
    assert next_due(NEW_YORK, schedule, after=after, include_excused=True).excused \
        is Excuse.HOLIDAY


def test_a_holiday_on_a_day_that_is_not_the_check_in_day_changes_nothing() -> None:
    checkin = CheckinSchedule(holidays=[date(2027, 3, 16), date(2027, 3, 14)])
    assert days(NEW_YORK, checkin, excused=True) == []


def test_a_paused_team_sends_nothing() -> None:
    schedule = schedule_of(CheckinSchedule(paused=True))
    assert {excuse for _, excuse in days(NEW_YORK, CheckinSchedule(paused=True))} \
        == {Excuse.PAUSED}
    assert next_due(NEW_YORK, schedule, after=MARCH[0]) is None


def test_out_of_office_dates_are_read_in_the_persons_own_zone() -> None:
    # Monday 09:00 in Auckland is Sunday 20:00 UTC: a week off from Monday still covers it.
    auckland = Member(ZoneInfo("Pacific/Auckland"),
                      time_off=(TimeOff(date(2027, 3, 15), date(2027, 3, 19)),))
    excused = days(auckland, CheckinSchedule(), excused=True)
    assert excused == [(date(2027, 3, 15), Excuse.OUT_OF_OFFICE)]
    cycle = next_due(auckland, schedule_of(CheckinSchedule()),
                     after=datetime(2027, 3, 10, tzinfo=UTC))
    assert cycle.day == date(2027, 3, 22)
    assert cycle.due == datetime(2027, 3, 21, 20, tzinfo=UTC)  # NZDT, +13


def test_time_off_covers_its_first_and_last_day_and_no_more() -> None:
    back = Member(NEW_YORK.zone, time_off=(TimeOff(date(2027, 3, 8), date(2027, 3, 14)),))
    assert days(back, CheckinSchedule(), excused=True) == [(date(2027, 3, 8),
                                                            Excuse.OUT_OF_OFFICE)]


def test_every_other_week_alternates_from_the_anchor_whenever_asked() -> None:
    checkin = CheckinSchedule(every_weeks=2, starting=date(2027, 3, 3))
    assert [day for day, _ in days(NEW_YORK, checkin)] == [date(2027, 3, 1), date(2027, 3, 15),
                                                          date(2027, 3, 29)]
    schedule = schedule_of(checkin)
    # Asked from any instant, the answer is on the same alternation: no drift on restart.
    for after in (datetime(2027, 3, 2, tzinfo=UTC), datetime(2027, 3, 9, tzinfo=UTC),
                  datetime(2027, 3, 13, 23, tzinfo=UTC)):
        assert next_due(NEW_YORK, schedule, after=after).day == date(2027, 3, 15)
    later = next_due(NEW_YORK, schedule, after=datetime(2028, 6, 1, tzinfo=UTC))
    assert (later.day - date(2027, 3, 1)).days % 14 == 0
    other = schedule_of(checkin.model_copy(update={"starting": date(2027, 3, 10)}))
    assert next_due(NEW_YORK, other, after=MARCH[0]).day == date(2027, 3, 8)


def test_window_and_reminder() -> None:
    cycle = next_due(NEW_YORK, schedule_of(CheckinSchedule(window_hours=72,
                                                            reminder_after_hours=30)),
                     after=MARCH[0])
    assert cycle.due == datetime(2027, 3, 1, 14, tzinfo=UTC)
    assert cycle.closes == datetime(2027, 3, 4, 14, tzinfo=UTC)
    assert cycle.remind_at == datetime(2027, 3, 2, 20, tzinfo=UTC)
    none = next_due(NEW_YORK, schedule_of(CheckinSchedule(reminder_after_hours=0)),
                    after=MARCH[0])
    assert none.remind_at is None


def test_cycle_at_is_the_open_window_as_the_clock_moves() -> None:
    schedule = schedule_of(CheckinSchedule())
    with freeze_time("2027-03-15 12:59:59+00:00") as frozen:
        assert cycle_at(NEW_YORK, schedule, clock.now()) is None  # 08:59:59 EDT
        frozen.tick(timedelta(seconds=1))
        opened = cycle_at(NEW_YORK, schedule, clock.now())
        assert (opened.id, opened.due) == ("2027-W11", clock.now())
        frozen.tick(timedelta(hours=48) - timedelta(seconds=1))
        assert cycle_at(NEW_YORK, schedule, clock.now()) == opened
        frozen.tick(timedelta(seconds=1))
        assert cycle_at(NEW_YORK, schedule, clock.now()) is None


def test_cycle_at_reports_an_excused_cycle_so_it_is_counted_excused() -> None:
    schedule = schedule_of(CheckinSchedule(holidays=[date(2027, 3, 15)]))
    cycle = cycle_at(NEW_YORK, schedule, datetime(2027, 3, 15, 14, tzinfo=UTC))
    assert cycle.excused is Excuse.HOLIDAY


def test_snooze_an_hour_inside_the_window_and_not_past_it() -> None:
    cycle = next_due(NEW_YORK, schedule_of(CheckinSchedule()), after=MARCH[0])
    pressed = cycle.due + timedelta(minutes=5)
    outcome = snooze(cycle, NEW_YORK, Snooze.ONE_HOUR, at=pressed)
    assert (outcome.allowed, outcome.until) == (True, pressed + timedelta(hours=1))

    late = cycle.closes - timedelta(minutes=30)
    refused = snooze(cycle, NEW_YORK, Snooze.ONE_HOUR, at=late)
    assert (refused.allowed, refused.until, refused.closes) == (False, None, cycle.closes)


def test_snooze_until_tomorrow_keeps_the_wall_clock_across_a_change() -> None:
    # Saturday 13 March 2027, 10:00 EST; the clocks go forward overnight.
    checkin = CheckinSchedule(weekday="saturday", work_days=["saturday", "sunday"])
    cycle = next_due(NEW_YORK, schedule_of(checkin), after=datetime(2027, 3, 8, tzinfo=UTC))
    pressed = datetime(2027, 3, 13, 15, tzinfo=UTC)
    outcome = snooze(cycle, NEW_YORK, Snooze.TOMORROW, at=pressed)
    assert outcome.until == datetime(2027, 3, 14, 14, tzinfo=UTC)  # 10:00 EDT, 23 h later

    short = next_due(NEW_YORK, schedule_of(checkin.model_copy(update={
        "window_hours": 24, "reminder_after_hours": 0})), after=datetime(2027, 3, 8, tzinfo=UTC))
    assert not snooze(short, NEW_YORK, Snooze.TOMORROW, at=pressed).allowed
