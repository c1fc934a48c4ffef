"""Time off: `/okr ooo` and the check-in job read the same rows. A round due while someone is
away is excused, never missed, and no DM goes out for it. Dates are in the person's own zone.
The caller owns the transaction."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.checkins.away import Away
from bot.checkins.rounds import TimeOff
from bot.errors import InvalidInput
from bot.okrs.flows import Actor
from bot.people.models import Person, Workspace

MAX_DAYS = 366  # a longer absence is a leave, not time off from a weekly check-in
MAX_REASON = 200


def today_for(db_session: Session, workspace: Workspace, person: str, now: datetime) -> date:
    """Today in the person's own zone (UTC if okr-bot does not know it yet)."""
    zone = db_session.scalar(select(Person.time_zone).where(
        Person.workspace_id == workspace.id, Person.slack_user_id == person)) or "UTC"
    return now.astimezone(ZoneInfo(zone)).date()


def time_off(db_session: Session, workspace: Workspace, person: str,
             today: date) -> list[Away]:
    """The person's time off that has not ended, soonest first."""
    rows = db_session.scalars(select(TimeOff).where(
        TimeOff.workspace_id == workspace.id, TimeOff.slack_user_id == person,
        TimeOff.cancelled_at.is_(None), TimeOff.ends_on >= today).order_by(TimeOff.starts_on))
    return [Away(r.starts_on, r.ends_on, r.reason) for r in rows]


def is_away(db_session: Session, workspace: Workspace, person: str, on: date) -> bool:
    return db_session.scalar(select(TimeOff.id).where(
        TimeOff.workspace_id == workspace.id, TimeOff.slack_user_id == person,
        TimeOff.cancelled_at.is_(None), TimeOff.starts_on <= on, TimeOff.ends_on >= on)
        .limit(1)) is not None


def take_time_off(db_session: Session, workspace: Workspace, actor: Actor, *, starts_on: date,
                  ends_on: date, reason: str | None, now: datetime) -> Away:
    """Record the actor's own time off, from `starts_on` to `ends_on` included."""
    person = actor.slack_user_id or ""
    today = today_for(db_session, workspace, person, now)
    if ends_on < starts_on:
        raise InvalidInput(f"{ends_on:%d %b %Y} is before {starts_on:%d %b %Y}: the first date "
                           "is when you leave, the second the last day away.", field="dates",
                           expected="a first and a last day, the last not before the first")
    if ends_on < today:
        raise InvalidInput(f"{ends_on:%d %b %Y} has passed: time off is for today or later.",
                           field="dates", expected="a last day from today on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise InvalidInput(f"That is {(ends_on - starts_on).days + 1} days; time off is at most "
                           f"{MAX_DAYS} days at a time.", field="dates",
                           expected=f"at most {MAX_DAYS} days")
    reason = (reason or "").strip()[:MAX_REASON] or None
    db_session.add(TimeOff(workspace_id=workspace.id, slack_user_id=person,
                           starts_on=max(starts_on, today), ends_on=ends_on, reason=reason,
                           created_at=now))
    db_session.flush()
    return Away(max(starts_on, today), ends_on, reason)


def end_time_off(db_session: Session, workspace: Workspace, actor: Actor, *,
                 now: datetime) -> int:
    """Cancel the actor's time off from today on (`/okr ooo off`: back early); how many."""
    person = actor.slack_user_id or ""
    today = today_for(db_session, workspace, person, now)
    return db_session.execute(update(TimeOff).where(
        TimeOff.workspace_id == workspace.id, TimeOff.slack_user_id == person,
        TimeOff.cancelled_at.is_(None), TimeOff.ends_on >= today)
        .values(cancelled_at=now)).rowcount
