"""The roles a plan import changes: its `admins:` list and the reporting lines (`manager:`).
Each change is written to the audit log in the import's own transaction, with the import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from bot.access.models import PlanAdmin
from bot.access.policy import WORKSPACE, Action, Actor
from bot.access.roles import require
from bot.audit import service as audit
from bot.people.models import Person


@dataclass(frozen=True)
class Roles:
    """Who is a listed admin, and who reports to whom (Slack ids)."""

    admins: frozenset[str]
    managers: dict[str, str | None]


def plan_admins(db_session: Session, workspace_id: int) -> list[str]:
    return sorted(db_session.scalars(select(PlanAdmin.slack_user_id).where(
        PlanAdmin.workspace_id == workspace_id)))


def snapshot(db_session: Session, workspace_id: int) -> Roles:
    boss = aliased(Person)
    managers = dict(db_session.execute(
        select(Person.slack_user_id, boss.slack_user_id)
        .outerjoin(boss, Person.manager_id == boss.id)
        .where(Person.workspace_id == workspace_id)).all())
    return Roles(frozenset(plan_admins(db_session, workspace_id)), managers)


def begin_import(db_session: Session, workspace_id: int, actor: Actor) -> Roles:
    """The roles before an import, once the actor is known to be allowed to import."""
    require(db_session, workspace_id, Action.IMPORT_PLAN, actor, WORKSPACE)
    return snapshot(db_session, workspace_id)


def apply_import(db_session: Session, workspace_id: int, *, admins: list[str],
                 before: Roles, actor: str, report: Any) -> None:
    """Make the listed admins the plan's, then log each role change and the import itself
    (when anything changed). `report` is the importer's ImportReport."""
    wanted = frozenset(admins)
    if wanted != before.admins:
        db_session.execute(delete(PlanAdmin).where(
            PlanAdmin.workspace_id == workspace_id,
            PlanAdmin.slack_user_id.in_(sorted(before.admins - wanted))))
        db_session.add_all(PlanAdmin(workspace_id=workspace_id, slack_user_id=uid)
                           for uid in sorted(wanted - before.admins))
        report.updated.append("admins (" + ", ".join(
            [f"+{uid}" for uid in sorted(wanted - before.admins)]
            + [f"-{uid}" for uid in sorted(before.admins - wanted)]) + ")")
    for uid in sorted(wanted ^ before.admins):
        audit.record(db_session, workspace_id, actor=actor, action=audit.ADMIN_CHANGED,
                     kind="person", key=uid, before={"admin": uid in before.admins},
                     after={"admin": uid in wanted})
    db_session.flush()
    after = snapshot(db_session, workspace_id).managers
    for uid in sorted(after):
        if after[uid] != before.managers.get(uid) and (uid in before.managers or after[uid]):
            audit.record(db_session, workspace_id, actor=actor, action=audit.MANAGER_CHANGED,
                         kind="person", key=uid, before={"manager": before.managers.get(uid)},
                         after={"manager": after[uid]})
    if report.changed:
        audit.record(db_session, workspace_id, actor=actor, action=audit.PLAN_IMPORTED,
                     kind="plan", key="plan", after={
                         "created": len(report.created), "updated": len(report.updated),
                         "measurements_added": report.measurements_added})
