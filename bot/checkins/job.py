"""The check-in job, every minute: APScheduler says when; the database says what is due and who
has it. For each team member whose check-in window is open, a round row is created (once: a
unique key on person and cycle, an insert that does nothing when the row exists) and, in the
same transaction, the DM is queued in the outbox; so two processes ticking together, or a
crash between the two steps, never send a DM twice nor lose one. The same pass queues
reminders, re-sends snoozed DMs and closes rounds whose window has ended (missed).

Every team in a plan checks in with the defaults unless its `checkin:` key says otherwise
(`paused: true` to stop); a person in several teams gets one check-in per week, from the
first of their teams (by key) whose week it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import answering, schedule
from bot.checkins import service as checkin_service
from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.form import CheckinOutlook
from bot.checkins.rounds import CheckinRound, TimeOff
from bot.db import transaction
from bot.okrs.method.health import Measurement as Point
from bot.okrs.plans.plan import CheckinSchedule
from bot.okrs.store.loader import recent_measurements
from bot.okrs.store.models import Metric
from bot.outbox.queue import Outgoing, enqueue, enqueue_many
from bot.people.models import Person, Team, TeamMembership, Workspace
from bot.slack.blocks.checkin_dm import checkin_dm, reminder_dm

DUE, ANSWERED, EXCUSED, MISSED = "due", "answered", "excused", "missed"


@dataclass
class Tally:
    opened: int = 0
    excused: int = 0
    reminded: int = 0
    resent: int = 0
    missed: int = 0

    def __str__(self) -> str:
        return (f"{self.opened} check-ins sent, {self.excused} excused, {self.reminded} "
                f"reminders, {self.resent} snoozed ones sent again, {self.missed} missed")


@dataclass
class _Member:
    person: Person
    teams: list[Team] = field(default_factory=list)


# Rounds opened (each with its DM) per transaction: the sender starts on the first while the
# rest are worked out, and no transaction holds SQLite's one writer, nor the rounds another
# process would insert on PostgreSQL, for long (10,000 people due at once take tens of seconds).
ROUNDS_PER_TRANSACTION = 100
# pg_try_advisory_xact_lock's key space is shared by the whole database: ours start here.
_OPENING_LOCK = 0x6F6B7200


def run_checkins(session_factory: sessionmaker[Session], now: datetime, *,
                 queued: Callable[[], None] = lambda: None) -> Tally:
    """One pass as of `now`, workspace by workspace, so one workspace's rows are never held
    while another's are worked on. `queued` is told after each commit that queued DMs (the
    runtime's sender takes them at once: bot/outbox/wake.py)."""
    tally = Tally()
    with session_factory() as session:
        workspaces = list(session.scalars(select(Workspace.id).where(
            Workspace.reachable()).order_by(Workspace.id)))
    for workspace_id in workspaces:
        _open_rounds(session_factory, workspace_id, now, tally, queued)
        sent = tally.reminded + tally.resent
        with transaction(session_factory) as session:
            workspace = session.get(Workspace, workspace_id)
            if workspace is None:
                continue
            _remind_and_resend(session, workspace, now, tally)
            tally.missed += session.execute(update(CheckinRound).where(
                CheckinRound.workspace_id == workspace_id, CheckinRound.status == DUE,
                CheckinRound.closes_at <= now).values(status=MISSED)).rowcount
        if tally.reminded + tally.resent > sent:
            queued()
    return tally


def _schedule_of(team: Team) -> schedule.Schedule:
    return schedule.schedule_of(
        CheckinSchedule.model_validate(team.checkin) if team.checkin else None)


def _schedules(db_session: Session, workspace: Workspace, now: datetime
               ) -> Iterator[tuple[Person, schedule.Member, list[schedule.Schedule]]]:
    """Each member of a team, with their zone and time off and their teams' schedules (by
    team key): what every question of who is due when starts from."""
    away = _time_off(db_session, workspace, now)
    for member in _members(db_session, workspace):
        person = member.person
        yield (person, schedule.Member(schedule.zone_of(person.time_zone),
                                       away.get(person.slack_user_id, ())),
               [_schedule_of(team) for team in member.teams])


def _members(db_session: Session, workspace: Workspace) -> list[_Member]:
    rows = db_session.execute(
        select(Person, Team).join(TeamMembership, TeamMembership.person_id == Person.id)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(Team.workspace_id == workspace.id, Person.deactivated.is_(False),
               Person.is_bot.is_(False))
        .order_by(Person.id, Team.key, Team.id))
    members: dict[int, _Member] = {}
    for person, team in rows:
        members.setdefault(person.id, _Member(person)).teams.append(team)
    return list(members.values())


def _time_off(db_session: Session, workspace: Workspace,
              now: datetime) -> dict[str, tuple[schedule.TimeOff, ...]]:
    away: dict[str, list[schedule.TimeOff]] = defaultdict(list)
    for row in db_session.scalars(select(TimeOff).where(
            TimeOff.workspace_id == workspace.id, TimeOff.cancelled_at.is_(None),
            TimeOff.ends_on >= now.date() - timedelta(days=14))):
        away[row.slack_user_id].append(schedule.TimeOff(row.starts_on, row.ends_on))
    return {person: tuple(ranges) for person, ranges in away.items()}


def _insert_rounds(db_session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """The new rounds' ids by person, in one statement; a person whose round for that cycle
    exists already (another team's, another process's) is left out."""
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CheckinRound.__table__
    statement = (insert(table)
                 .on_conflict_do_nothing(index_elements=["workspace_id", "slack_user_id",
                                                         "cycle"])
                 .returning(table.c.id, table.c.slack_user_id))
    # Executed for many rows, SQLAlchemy batches them into multi-row INSERTs from one
    # compiled statement (building a VALUES list of 100 rows each time cost more).
    return {who: round_id
            for round_id, who in db_session.connection().execute(statement, rows)}


def _open_rounds(session_factory: sessionmaker[Session], workspace_id: int, now: datetime,
                 tally: Tally, queued: Callable[[], None]) -> None:
    """A round and its DM for everyone whose window is open, created together (a unique key
    on person and cycle: a round that exists already is left, with its DM), in transactions
    of ROUNDS_PER_TRANSACTION."""
    with session_factory() as db_session:
        workspace = db_session.get(Workspace, workspace_id)
        if workspace is None:
            return
        members = list(_schedules(db_session, workspace, now))
    # Who is due is worked out a batch at a time, so the first batch's DMs are committed (and
    # the sender woken) before the rest are (10,000 people take a second or more).
    due = _due(members, now)
    while batch := list(islice(due, ROUNDS_PER_TRANSACTION)):
        opened = tally.opened
        with transaction(session_factory) as db_session:
            if not _opening(db_session, workspace_id):
                return  # another process is opening this workspace's rounds: it does them all
            workspace = db_session.get(Workspace, workspace_id)
            if workspace is None:
                return
            read = _Read.of(db_session, workspace,
                            [p.slack_user_id for p, cycle in batch if not cycle.excused])
            _open_batch(db_session, workspace, batch, now, tally, read)
        if tally.opened > opened:
            queued()  # committed: the sender may take them


def _due(members: list[tuple[Person, schedule.Member, list[schedule.Schedule]]],
         now: datetime) -> Iterator[tuple[Person, schedule.Cycle]]:
    for person, member, plans in members:
        # A person in several teams: the first (by key) whose week it is.
        cycle = next((c for plan in plans
                      if (c := schedule.cycle_at(member, plan, now)) is not None), None)
        if cycle is not None:
            yield person, cycle


def _opening(db_session: Session, workspace_id: int) -> bool:
    """On PostgreSQL, whether this transaction may open the workspace's rounds: one process
    at a time, so a second one skips them rather than waiting on each round the first has
    inserted and not yet committed. SQLite has one writer at a time already."""
    if db_session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db_session.scalar(select(func.pg_try_advisory_xact_lock(
        _OPENING_LOCK + workspace_id))))


def _open_batch(db_session: Session, workspace: Workspace,
                batch: list[tuple[Person, schedule.Cycle]], now: datetime, tally: Tally,
                read: _Read) -> None:
    """The batch's rounds in one statement, then the DMs of those that are new in another: a
    statement per person was most of the job's CPU per DM (docs/performance.md)."""
    if not batch:
        return
    opened = _insert_rounds(db_session, [{
        "workspace_id": workspace.id, "slack_user_id": person.slack_user_id,
        "cycle": cycle.id, "due_at": cycle.due, "closes_at": cycle.closes,
        "reminder_at": cycle.remind_at, "created_at": now,
        "status": EXCUSED if cycle.excused else DUE,
        "excused_reason": cycle.excused.value if cycle.excused else None}
        for person, cycle in batch])
    messages = []
    for person, cycle in batch:
        round_id = opened.get(person.slack_user_id)
        if round_id is None:
            continue  # this week's round exists (another team's, or another process's)
        if cycle.excused:
            tally.excused += 1
            continue
        messages.append(_dm(workspace, person, round_id, cycle.closes, read,
                            key=f"checkin:{person.slack_user_id}:{cycle.id}"))
        tally.opened += 1
    enqueue_many(db_session, messages, now=now)


@dataclass(frozen=True)
class _Read:
    """What the DMs of a batch of people say, read for the whole batch in four statements (one
    set per person made the check-in job most of the bot's CPU per DM: docs/performance.md)."""

    owned: dict[str, list[Metric]]
    recent: dict[int, list[Point]]
    last_answered: dict[str, datetime]
    blockers: dict[str, list[BlockerEntry]]

    @classmethod
    def of(cls, db_session: Session, workspace: Workspace, people: list[str]) -> _Read:
        if not people:
            return cls({}, {}, {}, {})
        owned = answering.owned_by_each(db_session, workspace, people)
        recent = recent_measurements(db_session,
                                     [m.id for items in owned.values() for m in items])
        last = {who: at for who, at in db_session.execute(
            select(CheckinRound.slack_user_id, func.max(CheckinRound.answered_at))
            .where(CheckinRound.workspace_id == workspace.id,
                   CheckinRound.slack_user_id.in_(people),
                   CheckinRound.answered_at.is_not(None))
            .group_by(CheckinRound.slack_user_id))}
        blockers: dict[str, list[BlockerEntry]] = defaultdict(list)
        for blocker in checkin_service.open_blockers(
                db_session=db_session, workspace_id=workspace.id, people=set(people)):
            blockers[blocker.author].append(blocker)  # the ones they raised, in list order
        return cls(owned, recent, last, dict(blockers))


def _dm(workspace: Workspace, person: Person, round_id: int, closes: datetime, read: _Read,
        *, key: str) -> Outgoing:
    who = person.slack_user_id
    zone = schedule.zone_of(person.time_zone)
    greeting = answering.greeting_of(read.owned.get(who, []), read.recent,
                                     since=read.last_answered.get(who),
                                     closes=_local(closes, zone))
    message = checkin_dm(greeting, round_id=round_id, blockers=read.blockers.get(who, []))
    return Outgoing(team_id=workspace.slack_team_id, kind="checkin", dedupe_key=key,
                    text=message["text"], blocks=message["blocks"], user_id=who)


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%A %d %B, %H:%M} ({zone.key})"


def _remind_and_resend(db_session: Session, workspace: Workspace, now: datetime,
                       tally: Tally) -> None:
    """Only the rounds that need something now: a snooze that ended, or a reminder due."""
    waiting = list(db_session.scalars(select(CheckinRound).where(
        CheckinRound.workspace_id == workspace.id, CheckinRound.status == DUE,
        CheckinRound.closes_at > now,
        or_(CheckinRound.snoozed_until <= now,
            and_(CheckinRound.reminder_at <= now, CheckinRound.reminded_at.is_(None),
                 CheckinRound.snoozed_until.is_(None))))
        .with_for_update(skip_locked=True)))
    people = {p.slack_user_id: p for p in db_session.scalars(select(Person).where(
        Person.workspace_id == workspace.id,
        Person.slack_user_id.in_({r.slack_user_id for r in waiting})))} if waiting else {}
    for found in waiting:
        person = people.get(found.slack_user_id)
        if found.snoozed_until is not None:
            if person is not None:
                read = _Read.of(db_session, workspace, [person.slack_user_id])
                enqueue_many(db_session, [_dm(
                    workspace, person, found.id, found.closes_at, read,
                    key=f"checkin:{found.slack_user_id}:{found.cycle}:"
                        f"snoozed:{found.snoozed_until.isoformat()}")], now=now)
                tally.resent += 1
            found.snoozed_until = None
            continue
        zone = schedule.zone_of(person.time_zone if person is not None else None)
        message = reminder_dm(found.id, _local(found.closes_at, zone))
        enqueue(db_session, team_id=workspace.slack_team_id, kind="checkin-reminder",
                dedupe_key=f"reminder:{found.slack_user_id}:{found.cycle}",
                text=message["text"], blocks=message["blocks"],
                user_id=found.slack_user_id, now=now)
        found.reminded_at = now
        tally.reminded += 1


def due_within(db_session: Session, workspace: Workspace, *, now: datetime,
               within: timedelta) -> dict[str, str]:
    """The people whose next check-in DM falls due after `now` and within `within` (a week
    they are away or their team is paused sends none), with that cycle's id."""
    found: dict[str, str] = {}
    for person, member, plans in _schedules(db_session, workspace, now):
        for plan in plans:
            if plan.paused:
                continue  # next_due would search two years for nothing
            cycle = schedule.next_due(member, plan, after=now)
            if cycle is not None and cycle.due <= now + within:
                found[person.slack_user_id] = cycle.id
                break
    return found


def outlook(db_session: Session, workspace: Workspace, person: Person,
            now: datetime) -> CheckinOutlook:
    """This week's check-in and the next one, for the person's Home tab."""
    zone = schedule.zone_of(person.time_zone)
    current = db_session.scalar(select(CheckinRound).where(
        CheckinRound.workspace_id == workspace.id,
        CheckinRound.slack_user_id == person.slack_user_id, CheckinRound.due_at <= now,
        CheckinRound.closes_at > now).order_by(CheckinRound.due_at.desc()).limit(1))
    this_week = None
    if current is not None:
        this_week = (f"open until {_local(current.closes_at, zone)}"
                     if current.status == DUE else current.status)
    teams = db_session.scalars(select(Team).join(
        TeamMembership, TeamMembership.team_id == Team.id).where(
        TeamMembership.person_id == person.id).order_by(Team.key, Team.id))
    away = _time_off(db_session, workspace, now).get(person.slack_user_id, ())
    member = schedule.Member(zone, away)
    upcoming = [cycle for team in teams if (cycle := schedule.next_due(
        member, _schedule_of(team),
        after=max(now, current.closes_at) if current is not None else now)) is not None]
    next_due = _local(min(c.due for c in upcoming), zone) if upcoming else None
    return CheckinOutlook(this_week=this_week, next_due=next_due)
