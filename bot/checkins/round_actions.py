"""What a person does with their check-in DM: skip this week, snooze it, or confirm that last
week's blocker still blocks. The check-in job reads the same rows. The caller owns the
transaction; every action is idempotent (a second click changes nothing and says so)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.access.policy import Action, Item
from bot.access.roles import require
from bot.checkins import schedule, service
from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.models import Blocker
from bot.checkins.rounds import CheckinRound
from bot.errors import InvalidInput, NotFound
from bot.okrs.flows import Actor
from bot.people.models import Person, Workspace

SNOOZES = {"hour": schedule.Snooze.ONE_HOUR, "tomorrow": schedule.Snooze.TOMORROW}
OPEN = ("due",)


@dataclass(frozen=True)
class RoundChange:
    """What an action did to a round: `changed` False when it was done already."""

    cycle: str
    status: str
    changed: bool
    snoozed_until: datetime | None = None
    closes_at: datetime | None = None


def own_round(db_session: Session, workspace: Workspace, actor: Actor, round_id: int, *,
              lock: bool = True) -> CheckinRound:
    """The actor's own round (a button's value or a modal's metadata is never trusted: checked
    every time); `lock` for an action that changes it."""
    found = db_session.get(CheckinRound, round_id, with_for_update=lock)
    if found is None or found.workspace_id != workspace.id:
        raise NotFound("That check-in is not in this workspace any more.", kind="checkin")
    require(db_session, workspace.id, Action.ANSWER_CHECKIN, actor,
            Item("check-in", (found.slack_user_id,)))
    return found


def skip_round(db_session: Session, workspace: Workspace, actor: Actor, *, round_id: int,
               now: datetime) -> RoundChange:
    """Skip this week: the round is excused (never counted as missed), no reminder follows."""
    found = own_round(db_session, workspace, actor, round_id)
    if found.status == "excused":
        return RoundChange(found.cycle, found.status, changed=False)
    if found.status != "due" or now >= found.closes_at:
        raise InvalidInput(f"This check-in is {_state(found, now)}: there is nothing to skip.",
                           field="round", expected="an open check-in")
    found.status, found.excused_reason = "excused", "skipped"
    return RoundChange(found.cycle, found.status, changed=True)


def snooze_until(now: datetime, choice: str, checkin_round: CheckinRound,
                 zone: ZoneInfo) -> datetime:
    """When a snoozed check-in comes back: an hour later, or the same wall-clock time tomorrow
    in the person's zone (bot/checkins/schedule.py); never past the window (InvalidInput says
    when it closes instead)."""
    if choice not in SNOOZES:
        raise InvalidInput(f"“{choice}” is not a snooze", field="snooze",
                           expected="an hour or until tomorrow")
    cycle = schedule.Cycle(checkin_round.cycle, checkin_round.due_at.date(),
                           checkin_round.due_at, checkin_round.closes_at,
                           checkin_round.reminder_at)
    outcome = schedule.snooze(cycle, schedule.Member(zone), SNOOZES[choice], at=now)
    if outcome.until is None:
        closes = checkin_round.closes_at.astimezone(zone)
        raise InvalidInput(f"This check-in closes {closes:%a %d %b %H:%M} ({zone.key}), "
                           "before the snooze would end: answer it now, or skip this week.",
                           field="snooze", expected="a snooze that ends before the window")
    return outcome.until


def snooze_round(db_session: Session, workspace: Workspace, actor: Actor, *, round_id: int,
                 choice: str, now: datetime) -> RoundChange:
    found = own_round(db_session, workspace, actor, round_id)
    if found.status != "due" or now >= found.closes_at:
        raise InvalidInput(f"This check-in is {_state(found, now)}: there is nothing to snooze.",
                           field="round", expected="an open check-in")
    zone = schedule.zone_of(db_session.scalar(select(Person.time_zone).where(
        Person.workspace_id == workspace.id, Person.slack_user_id == found.slack_user_id)))
    until = snooze_until(now, choice, found, zone)
    changed = found.snoozed_until != until
    found.snoozed_until = until
    return RoundChange(found.cycle, found.status, changed=changed, snoozed_until=until,
                       closes_at=found.closes_at)


def _state(found: CheckinRound, now: datetime) -> str:
    if found.status == "answered":
        return "answered already"
    if found.status == "excused":
        return "excused"
    return "closed" if now >= found.closes_at else found.status


def confirm_still_blocked(db_session: Session, workspace: Workspace, actor: Actor, *,
                          number: int, now: datetime) -> BlockerEntry:
    """"Still blocked" from the DM: noted on the blocker (the digest counts the weeks it has
    held someone back). Whoever may resolve it may confirm it."""
    blocker = service.blocker_by_number(db_session=db_session, workspace_id=workspace.id,
                                        number=number)
    if blocker is None:
        raise service.UnknownBlocker(number)
    service.may_resolve(db_session=db_session, workspace_id=workspace.id, actor=actor,
                        blocker=blocker)
    if blocker.is_open:
        db_session.execute(update(Blocker).where(Blocker.workspace_id == workspace.id,
                                                 Blocker.number == number)
                           .values(still_blocked_at=now))
    return blocker
