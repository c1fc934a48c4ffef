"""Writing and reading the audit log. A flow writes its event in the session that holds its
change, so both commit together or neither does; a refused action writes nothing."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert, select
from sqlalchemy.orm import Session, object_session

from bot import clock
from bot.audit.models import AuditEvent
from bot.db import run_core
from bot.errors import NotFound
from bot.people.models import Workspace

# Before and after are a few fields each, never a whole row: a long note is cut.
MAX_TEXT = 200

VALUE_RECORDED = "value recorded"
VALUE_UNDONE = "value undone"
BLOCKER_RAISED = "blocker raised"
BLOCKER_RESOLVED = "blocker resolved"
CONFIDENCE_RECORDED = "confidence recorded"
PLAN_IMPORTED = "plan imported"
ADMIN_CHANGED = "admin changed"  # the plan's admins list
MANAGER_CHANGED = "manager changed"
SLACK_ADMIN_CHANGED = "slack admin changed"  # is_admin / is_owner, from users.info


def _small(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, str) and len(value) > MAX_TEXT:
            value = value[:MAX_TEXT - 1] + "…"
        elif value is not None and not isinstance(value, int | float | bool | str | list):
            value = str(value)
        out[name] = value
    return out


@dataclass(frozen=True)
class Event:
    """What one person did to one item, as the log keeps it."""

    actor: str
    action: str
    kind: str
    key: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def record(db_session: Session, workspace_id: int, *, actor: str, action: str, kind: str,
           key: str, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, at: datetime | None = None) -> None:
    """The event, inserted at once in the caller's transaction as a plain row (Core): it is
    only ever written here, and the ORM's flush of a new object at commit cost more than the
    statement, on every `/okr update` (docs/performance.md)."""
    record_all(db_session, workspace_id, [Event(actor, action, kind, key, before, after)],
               at=at)


def record_all(db_session: Session, workspace_id: int, events: Sequence[Event], *,
               at: datetime | None = None) -> None:
    """Several events of one moment, in one statement."""
    if not events:
        return
    when = at or clock.now()
    run_core(db_session, _insert(),
             [{"workspace_id": workspace_id, "at": when, "actor": e.actor[:80],
               "action": e.action, "subject_kind": e.kind, "subject_key": e.key[:255],
               "before": _small(e.before), "after": _small(e.after)} for e in events])


@functools.cache
def _insert() -> Insert:
    return insert(AuditEvent.__table__)


def slack_admin_changed(person: Any, was: bool | None, *, at: datetime | None = None) -> None:
    """What users.info said about a known person's admin flag, when it changed. A person seen
    for the first time counts from not-admin. Slack itself is the actor."""
    if bool(was) == bool(person.is_admin):
        return
    db_session = object_session(person)
    if db_session is None or person.workspace_id is None:
        return
    record(db_session, person.workspace_id, actor="slack", action=SLACK_ADMIN_CHANGED,
           kind="person", key=person.slack_user_id, before={"is_admin": bool(was)},
           after={"is_admin": bool(person.is_admin)}, at=at)


def events_of_team(db_session: Session, slack_team_id: str, *,
                   since: datetime | None = None) -> list[AuditEvent]:
    """`okr-bot audit`'s question: NotFound when the database has no such workspace."""
    workspace_id = db_session.scalar(select(Workspace.id).where(
        Workspace.slack_team_id == slack_team_id))
    if workspace_id is None:
        raise NotFound(f"No workspace {slack_team_id} in this database.", kind="workspace",
                       typed=slack_team_id)
    return events(db_session, workspace_id, since=since)


def events(db_session: Session, workspace_id: int, *,
           since: datetime | None = None) -> list[AuditEvent]:
    """A workspace's events, oldest first."""
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(db_session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))
