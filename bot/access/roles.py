"""Which roles an actor holds toward an item: the database-bound half of bot/access/policy.py.

`require` is what every flow calls. It looks a role up only if the action could be allowed by
it, cheapest first, and stops at the first that allows: the owner of a metric updating it costs
no query at all, as before this module.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from bot.access.models import PlanAdmin
from bot.access.policy import TABLE, Action, Actor, Item, Role, decide, refusal
from bot.errors import NotAllowed
from bot.people.enums import TeamRole
from bot.people.models import Person, TeamMembership

# Reporting lines are a handful of levels deep; a cycle in bad data must not loop forever.
MAX_LEVELS = 32


def require(db_session: Session, workspace_id: int, action: Action, actor: Actor, item: Item,
            *, refused: NotAllowed | None = None) -> Role:
    """The role that allows `actor` to do `action` on `item`; NotAllowed (`refused`, or the
    policy's words) when none does. Nothing is written either way."""
    wanted = TABLE[action]
    for role in _roles(db_session, workspace_id, actor, item, wanted):
        if role in wanted:
            return role
    raise refused if refused is not None else refusal(action, item)


def roles_toward(db_session: Session, workspace_id: int, actor: Actor,
                 item: Item) -> frozenset[Role]:
    """Every role the actor holds toward the item."""
    return frozenset(_roles(db_session, workspace_id, actor, item, frozenset(Role)))


def check(db_session: Session, workspace_id: int, action: Action, actor: Actor,
          item: Item) -> None:
    """`require` by the whole set of roles: for callers that show why, not the hot path."""
    decide(action, roles_toward(db_session, workspace_id, actor, item), item)


def _roles(db_session: Session, workspace_id: int, actor: Actor, item: Item,
           wanted: Collection[Role]) -> Iterator[Role]:
    if actor.is_operator:
        yield Role.OPERATOR
        return
    if actor.slack_user_id is None:
        yield Role.INTEGRATION
        return
    uid = actor.slack_user_id
    if uid in item.owners:
        yield Role.OWNER
    if not wanted - {Role.OWNER}:
        return
    person = db_session.execute(select(Person.id, Person.is_admin, Person.deactivated).where(
        Person.workspace_id == workspace_id, Person.slack_user_id == uid)).one_or_none()
    if person is not None and person.deactivated:
        return  # Slack sends nothing from a deactivated account; its rows grant nothing more
    yield Role.MEMBER  # whoever Slack sends from this workspace, known to the plan or not
    if Role.ADMIN in wanted and (
            (person is not None and person.is_admin) or db_session.scalar(select(exists().where(
                PlanAdmin.workspace_id == workspace_id, PlanAdmin.slack_user_id == uid)))):
        yield Role.ADMIN
    if person is not None and item.team_id is not None and (
            {Role.TEAM_MEMBER, Role.TEAM_MANAGER} & set(wanted)):
        team_role = db_session.scalar(select(TeamMembership.role).where(
            TeamMembership.team_id == item.team_id, TeamMembership.person_id == person.id))
        if team_role is TeamRole.MANAGER:
            yield Role.TEAM_MANAGER
        elif team_role is not None:
            yield Role.TEAM_MEMBER
    if Role.MANAGER in wanted and person is not None and uid in managers_above(
            db_session, workspace_id, item.owners, stop_at=uid):
        yield Role.MANAGER


def managers_above(db_session: Session, workspace_id: int, people: Collection[str], *,
                   stop_at: str | None = None) -> set[str]:
    """Everyone above these people in the plan's reporting lines, directly or through others
    (Slack ids), one query per level; stops early once `stop_at` is found."""
    found: set[str] = set()
    level = [p for p in people if p]
    boss = aliased(Person)
    for _ in range(MAX_LEVELS):
        if not level:
            break
        above = set(db_session.scalars(
            select(boss.slack_user_id).join(Person, Person.manager_id == boss.id)
            .where(Person.workspace_id == workspace_id, Person.slack_user_id.in_(level))))
        level = sorted(above - found - set(people))
        found |= above
        if stop_at is not None and stop_at in found:
            break
    return found
