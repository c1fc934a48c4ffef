"""Which roles an actor holds toward an item: the database-bound half of bot/access/policy.py.

`require` is what every flow calls. It looks a role up only if the action could be allowed by
it, cheapest first, and stops at the first that allows: the owner of a metric updating it costs
no query at all, as before this module.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from sqlalchemy import Select, bindparam, exists, literal, select
from sqlalchemy.orm import Session, aliased

from bot.access.models import PlanAdmin
from bot.access.policy import TABLE, Action, Actor, Item, Role, refusal
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


def _roles(db_session: Session, workspace_id: int, actor: Actor, item: Item,
           wanted: frozenset[Role]) -> Iterator[Role]:
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
    asked = {"workspace_id": workspace_id, "uid": uid}
    person = db_session.execute(_actor_row(), asked).one_or_none()
    if person is not None and person.deactivated:
        return  # Slack sends nothing from a deactivated account; its rows grant nothing more
    yield Role.MEMBER  # whoever Slack sends from this workspace, known to the plan or not
    if Role.ADMIN in wanted and (
            (person is not None and (person.is_admin or person.listed))
            or (person is None and db_session.scalar(_listed_admin(), asked))):
        yield Role.ADMIN
    if person is not None and item.team_id is not None and (
            {Role.TEAM_MEMBER, Role.TEAM_MANAGER} & wanted):
        team_role = db_session.scalar(select(TeamMembership.role).where(
            TeamMembership.team_id == item.team_id, TeamMembership.person_id == person.id))
        if team_role is TeamRole.MANAGER:
            yield Role.TEAM_MANAGER
        elif team_role is not None:
            yield Role.TEAM_MEMBER
    if Role.MANAGER in wanted and person is not None and item.owners and db_session.scalar(
            _above(), {"workspace_id": workspace_id, "owners": list(item.owners),
                       "person_id": person.id}):
        yield Role.MANAGER


@functools.cache
def _actor_row() -> Select:
    """Built once: building a statement costs more than running it on every request."""
    listed = exists().where(PlanAdmin.workspace_id == bindparam("workspace_id"),
                            PlanAdmin.slack_user_id == bindparam("uid"))
    return (select(Person.id, Person.is_admin, Person.deactivated, listed.label("listed"))
            .where(Person.workspace_id == bindparam("workspace_id"),
                   Person.slack_user_id == bindparam("uid")))


@functools.cache
def _listed_admin() -> Select:
    return select(exists().where(PlanAdmin.workspace_id == bindparam("workspace_id"),
                                 PlanAdmin.slack_user_id == bindparam("uid")))


@functools.cache
def _above() -> Select:
    """Whether a person is above any of the owners in the reporting lines, directly or through
    others: one recursive query up from the owners, however deep the line."""
    up = (select(Person.id, Person.manager_id, literal(0).label("depth"))
          .where(Person.workspace_id == bindparam("workspace_id"),
                 Person.slack_user_id.in_(bindparam("owners", expanding=True)))
          .cte("up", recursive=True))
    boss = aliased(Person)
    up = up.union(select(boss.id, boss.manager_id, up.c.depth + 1)
                  .join(up, boss.id == up.c.manager_id).where(up.c.depth < MAX_LEVELS))
    return select(exists().where(up.c.id == bindparam("person_id"), up.c.depth > 0))
