"""When each person's weekly check-in is due: pure date and zone arithmetic, no database and
no Slack, so the check-in job can ask it every minute and tests can ask it for any instant.

A due time is the person's IANA zone plus the team's wall-clock time, turned into an instant
for each occurrence (never a stored offset), so it stays at 09:00 local across daylight-saving
changes. A wall-clock time the day skips (spring forward) moves to the first minute that
exists after it; one the day has twice (fall back) is the first of the two.

Weeks are the team's: they start on its first work day (Monday for Monday to Friday, Sunday
for Sunday to Thursday), and a cycle is named by the ISO week holding most of it ("2027-W10").
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.okrs.plans.plan import WEEKDAYS, CheckinSchedule

# Weeks count from here when the plan names no `starting` week, so every_weeks 2 alternates
# the same way in every process and after every restart.
DEFAULT_ANCHOR = date(2024, 1, 1)
# How far next_due looks before it says there is nothing (a paused team, a long leave).
HORIZON_WEEKS = 106
MINUTE = timedelta(minutes=1)


class Excuse(enum.StrEnum):
    """Why no DM goes out for a cycle: it counts as excused, never as missed."""

    PAUSED = "paused"
    HOLIDAY = "holiday"
    OUT_OF_OFFICE = "out_of_office"


class Snooze(enum.StrEnum):
    ONE_HOUR = "one_hour"
    TOMORROW = "tomorrow"  # the same wall-clock time tomorrow, in the person's zone


@dataclass(frozen=True)
class TimeOff:
    """Days out of office, `first` to `last` inclusive, as dates in the person's own zone."""

    first: date
    last: date

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Member:
    """What the schedule needs to know about one person."""

    zone: ZoneInfo
    time_off: tuple[TimeOff, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """A team's check-in schedule, ready for arithmetic (see CheckinSchedule for the file)."""

    weekday: int = 0  # Monday is 0, as date.weekday() counts
    at: time = time(9, 0)
    every_weeks: int = 1
    window: timedelta = timedelta(hours=48)
    work_days: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    reminder_after: timedelta | None = timedelta(hours=24)
    paused: bool = False
    anchor: date = DEFAULT_ANCHOR

    @property
    def week_start(self) -> int:
        """The first work day after a day off: Monday for Mon-Fri, Sunday for Sun-Thu."""
        for day in range(7):
            if day in self.work_days and (day - 1) % 7 not in self.work_days:
                return day
        return 0  # every day a work day: weeks are ISO weeks


@dataclass(frozen=True)
class Cycle:
    """One person's check-in in one cycle. Instants are in UTC."""

    id: str  # the team week, e.g. "2027-W10": the same for everyone in the team
    day: date  # the person's check-in day, in their zone
    due: datetime
    closes: datetime  # answers are taken until here
    remind_at: datetime | None
    excused: Excuse | None = None

    def open_at(self, instant: datetime) -> bool:
        return self.due <= instant < self.closes


@dataclass(frozen=True)
class SnoozeOutcome:
    """A snooze's new due instant, or `until` None when it would pass the window's end."""

    until: datetime | None
    closes: datetime

    @property
    def allowed(self) -> bool:
        return self.until is not None


def schedule_of(checkin: CheckinSchedule | None) -> Schedule:
    """The arithmetic form of a team's `checkin:` key (absent: the defaults)."""
    checkin = checkin or CheckinSchedule()
    hours, minutes = (int(part) for part in checkin.time.split(":"))
    reminder = checkin.reminder_after_hours
    return Schedule(
        weekday=WEEKDAYS.index(checkin.weekday), at=time(hours, minutes),
        every_weeks=checkin.every_weeks, window=timedelta(hours=checkin.window_hours),
        work_days=frozenset(WEEKDAYS.index(day) for day in checkin.work_days),
        holidays=frozenset(checkin.holidays),
        reminder_after=timedelta(hours=reminder) if reminder else None,
        paused=checkin.paused, anchor=checkin.starting or DEFAULT_ANCHOR)


def zone_of(*names: str | None) -> ZoneInfo:
    """The first of `names` that is a zone Python knows (Slack's `tz`, then the plan's), else
    UTC."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def instant_of(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, as a UTC instant: a skipped time moves to the first
    minute that exists after it, a repeated one is its first occurrence."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the earlier of two occurrences
    # In a gap the two folds read the wall time with the offsets either side of the change;
    # the change itself lies between them, and the first minute at or after `wall` is there.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = sorted((first, other))
    low, high = low.replace(second=0, microsecond=0), high + MINUTE
    while high - low > MINUTE:  # wall time only grows through a gap: bisect on minutes
        middle = low + (high - low) // 2
        middle -= timedelta(seconds=middle.second, microseconds=middle.microsecond)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def week_of(schedule: Schedule, day: date) -> date:
    """The first day of the team week holding `day`."""
    return day - timedelta(days=(day.weekday() - schedule.week_start) % 7)


def cycle_id(week: date) -> str:
    # ISO names a week by its Thursday; a team week's fourth day plays that part, so a
    # Sunday-Thursday week is named by the ISO week of its Monday to Thursday.
    year, number, _ = (week + timedelta(days=3)).isocalendar()
    return f"{year}-W{number:02d}"


def is_cycle_week(schedule: Schedule, week: date) -> bool:
    weeks = (week - week_of(schedule, schedule.anchor)).days // 7
    return weeks % schedule.every_weeks == 0


def check_in_day(schedule: Schedule, week: date) -> date:
    """The day in team week `week` the check-in falls on: the schedule's weekday, or when that
    is not a work day the week's first work day."""
    days = [week + timedelta(days=offset) for offset in range(7)]
    wanted = next(day for day in days if day.weekday() == schedule.weekday)
    if wanted.weekday() in schedule.work_days or not schedule.work_days:
        return wanted
    return next(day for day in days if day.weekday() in schedule.work_days)


def excuse_for(member: Member, schedule: Schedule, day: date) -> Excuse | None:
    if schedule.paused:
        return Excuse.PAUSED
    if day in schedule.holidays:
        return Excuse.HOLIDAY
    if any(off.covers(day) for off in member.time_off):
        return Excuse.OUT_OF_OFFICE
    return None


def cycle_in_week(member: Member, schedule: Schedule, week: date) -> Cycle | None:
    """The person's cycle in the team week starting `week`, or None in an off week."""
    if not is_cycle_week(schedule, week):
        return None
    day = check_in_day(schedule, week)
    due = instant_of(day, schedule.at, member.zone)
    reminder = schedule.reminder_after
    return Cycle(id=cycle_id(week), day=day, due=due, closes=due + schedule.window,
                 remind_at=due + reminder if reminder and reminder < schedule.window else None,
                 excused=excuse_for(member, schedule, day))


def _weeks_from(schedule: Schedule, day: date) -> Iterator[date]:
    week = week_of(schedule, day)
    for _ in range(HORIZON_WEEKS + 1):
        yield week
        week += timedelta(weeks=1)


def cycles_between(member: Member, schedule: Schedule, *, start: datetime,
                   end: datetime) -> list[Cycle]:
    """Every cycle (excused ones too) due in [start, end), in order."""
    # A check-in day can lie up to six days into its week, and a local date up to 14 hours
    # from UTC's: starting eight days early and ending a day late misses none.
    first = start.astimezone(UTC).date() - timedelta(days=8)
    last = end.astimezone(UTC).date() + timedelta(days=1)
    found = []
    week = week_of(schedule, first)
    while week <= last:
        cycle = cycle_in_week(member, schedule, week)
        if cycle is not None and start <= cycle.due < end:
            found.append(cycle)
        week += timedelta(weeks=1)
    return found


def next_due(member: Member, schedule: Schedule, *, after: datetime,
             include_excused: bool = False) -> Cycle | None:
    """The first cycle due strictly after `after` that sends a DM (or any, with
    `include_excused`); None when none does within about two years (a paused team)."""
    start = after.astimezone(UTC).date() - timedelta(days=8)
    for week in _weeks_from(schedule, start):
        cycle = cycle_in_week(member, schedule, week)
        if cycle is None or cycle.due <= after:
            continue
        if include_excused or cycle.excused is None:
            return cycle
    return None


def cycle_at(member: Member, schedule: Schedule, at: datetime) -> Cycle | None:
    """The cycle whose window holds `at` (due <= at < closes), excused or not; None between
    windows."""
    # Open at `at` means due in (at - window, at]: only those weeks are worked out.
    candidates = cycles_between(member, schedule, start=at - schedule.window,
                                end=at + timedelta(microseconds=1))
    for cycle in reversed(candidates):
        if cycle.open_at(at):
            return cycle
    return None


def snooze(cycle: Cycle, member: Member, rule: Snooze, *, at: datetime) -> SnoozeOutcome:
    """When a DM snoozed at `at` comes back, unless that would be at or past the window's
    end: a snooze never carries a check-in out of its cycle."""
    if rule is Snooze.ONE_HOUR:
        until = at + timedelta(hours=1)
    else:
        local = at.astimezone(member.zone)
        until = instant_of(local.date() + timedelta(days=1), local.time().replace(tzinfo=None),
                           member.zone)
    return SnoozeOutcome(until=until if until < cycle.closes else None, closes=cycle.closes)
