"""A workspace's life after install: uninstalled (its queue stopped at once), exported (all it
holds, secrets aside), purged (nothing left in any table) at the end of the retention period or
when an operator says so, and reinstalled (the clock for its purge stopped).

Every function here works in the caller's session and transaction: the listener that hears
`app_uninstalled`, the retention job, the CLI each commit it with their own unit of work.
"""

from __future__ import annotations

import base64
import decimal
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from bot.access.policy import WORKSPACE, Action, Actor
from bot.access.roles import require
from bot.errors import DomainError, NotFound
from bot.install import service as install_service
from bot.lifecycle import ownership
from bot.okrs.plans.plan import Plan
from bot.okrs.store.exporter import export_plan
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.people import service as people_service
from bot.people.models import Workspace

# What a queued message that will never be sent says about itself (`okr-bot outbox list`).
CANCELLED_UNINSTALLED = "not sent: okr-bot was uninstalled from the workspace"
CANCELLED_REVOKED = "not sent: the workspace revoked okr-bot's bot token"

# Which file of an export each table's rows go to; every other table goes to workspace.json.
EXPORT_FILES = {
    "checkins.json": ("checkin_rounds", "checkin_answers", "checkin_question_sets",
                      "confidence_reports", "time_off"),
    "blockers.json": ("blockers",),
    "audit.json": ("audit_events",),
}
OTHER_FILE = "workspace.json"


class StillInstalled(DomainError):
    """A purge asked for a workspace that still has okr-bot installed."""


@dataclass(frozen=True)
class WorkspaceExport:
    """Everything a workspace holds: its plan with every measurement (a plan file), and every
    row of every table that belongs to it, grouped by file, as JSON-ready dicts."""

    slack_team_id: str
    plan: Plan
    files: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def row_counts(self) -> dict[str, int]:
        return {table: len(rows) for tables in self.files.values()
                for table, rows in tables.items()}


@dataclass(frozen=True)
class Purged:
    slack_team_id: str
    rows: dict[str, int]  # table -> rows deleted (its own, and those that went with them)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _workspace(db_session: Session, slack_team_id: str) -> Workspace | None:
    return db_session.scalar(select(Workspace).where(Workspace.slack_team_id == slack_team_id))


def uninstalled(db_session: Session, slack_team_id: str, *, at: datetime) -> int:
    """`app_uninstalled`: mark the workspace (its jobs skip it from now on, its purge falls due
    after the retention period) and stop every message still queued for it. The number of
    messages stopped."""
    people_service.mark_uninstalled(db_session=db_session, slack_team_id=slack_team_id, at=at)
    install_service.delete_for_team(db_session=db_session, slack_team_id=slack_team_id)
    return _stop_queue(db_session, slack_team_id, CANCELLED_UNINSTALLED, at)


def tokens_revoked(db_session: Session, slack_team_id: str, *, at: datetime,
                   bot_tokens: Iterable[str]) -> bool:
    """`tokens_revoked`: when the bot's own token is among them nothing can be sent any more,
    so its installation is deleted and the queue stops as on an uninstall (a user token alone
    changes nothing: okr-bot asks for no user scopes, so holds none). Whether it was the
    bot's."""
    if not list(bot_tokens):
        return False
    people_service.mark_tokens_revoked(db_session=db_session, slack_team_id=slack_team_id,
                                       at=at)
    install_service.delete_for_team(db_session=db_session, slack_team_id=slack_team_id)
    _stop_queue(db_session, slack_team_id, CANCELLED_REVOKED, at)
    return True


def _reached_through_org(db_session: Session, enterprise_id: str) -> list[str]:
    """The org's workspaces that okr-bot reaches through the org-wide install: those without
    an installation of their own, which outlives the org's."""
    return [team_id for team_id in people_service.org_workspaces(
        db_session=db_session, enterprise_id=enterprise_id)
        if install_service.find(db_session=db_session, slack_team_id=team_id) is None]


def org_uninstalled(db_session: Session, enterprise_id: str, *, at: datetime) -> list[str]:
    """`app_uninstalled` for an org-wide install: each workspace of the Enterprise Grid org
    is uninstalled as `uninstalled` does for one (marked, its queue stopped), and the org's
    installation is deleted. The workspaces stopped."""
    teams = _reached_through_org(db_session, enterprise_id)
    for team_id in teams:
        people_service.mark_uninstalled(db_session=db_session, slack_team_id=team_id, at=at)
        _stop_queue(db_session, team_id, CANCELLED_UNINSTALLED, at)
    install_service.delete_org_wide(db_session=db_session, enterprise_id=enterprise_id)
    return teams


def org_tokens_revoked(db_session: Session, enterprise_id: str, *, at: datetime,
                       bot_tokens: Iterable[str]) -> list[str]:
    """`tokens_revoked` for an org-wide install, its bot token among them: every workspace
    of the org as `tokens_revoked` does for one. The workspaces stopped."""
    if not list(bot_tokens):
        return []
    teams = _reached_through_org(db_session, enterprise_id)
    for team_id in teams:
        people_service.mark_tokens_revoked(db_session=db_session, slack_team_id=team_id,
                                           at=at)
        _stop_queue(db_session, team_id, CANCELLED_REVOKED, at)
    install_service.delete_org_wide(db_session=db_session, enterprise_id=enterprise_id)
    return teams


def reinstalled(db_session: Session, slack_team_id: str) -> bool:
    """The workspace has okr-bot again (an OAuth install, or the bot token checked at start):
    its jobs resume and no purge is due. Whether it had been uninstalled or revoked."""
    workspace = _workspace(db_session, slack_team_id)
    if workspace is None or (workspace.uninstalled_at is None
                             and workspace.tokens_revoked_at is None):
        return False
    people_service.mark_reinstalled(db_session=db_session, slack_team_id=slack_team_id)
    return True


def _stop_queue(db_session: Session, slack_team_id: str, reason: str, at: datetime) -> int:
    # Queued messages become failed with the reason, kept for `okr-bot outbox list`; one
    # being sent this instant (claimed) finishes or fails on its own.
    return db_session.execute(update(OutboxMessage).where(
        OutboxMessage.team_id == slack_team_id,
        OutboxMessage.status == OutboxStatus.QUEUED).values(
        status=OutboxStatus.FAILED, last_error=reason, next_attempt_at=at)).rowcount


def _known(db_session: Session, slack_team_id: str, action: Action, actor: Actor) -> Workspace:
    workspace = _workspace(db_session, slack_team_id)
    if workspace is None:
        raise NotFound(f"no workspace {slack_team_id} in this database", kind="workspace",
                       typed=slack_team_id)
    require(db_session, workspace.id, action, actor, WORKSPACE)
    return workspace


def export_workspace(db_session: Session, slack_team_id: str, actor: Actor) -> WorkspaceExport:
    """Everything the workspace holds except secrets; NotFound when there is no such one."""
    _known(db_session, slack_team_id, Action.EXPORT_WORKSPACE, actor)
    plan = export_plan(db_session=db_session, slack_team_id=slack_team_id)
    files: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table in ownership.tables():
        if table.name in ownership.NEVER_EXPORTED:
            continue
        rows = [_json_row(table, row) for row in db_session.execute(
            ownership.owned_rows(table, slack_team_id).order_by(*table.primary_key.columns))]
        files.setdefault(_file_of(table), {})[table.name] = rows
    return WorkspaceExport(slack_team_id, plan, files)


def _file_of(table: Table) -> str:
    return next((name for name, tables in EXPORT_FILES.items() if table.name in tables),
                OTHER_FILE)


def _json_row(table: Table, row: Any) -> dict[str, Any]:
    hidden = ownership.SECRET_COLUMNS.get(table.name, frozenset())
    return {column.name: _json_value(row._mapping[column]) for column in table.columns
            if column.name not in hidden}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def purge_preview(db_session: Session, slack_team_id: str, actor: Actor, *,
                  installed_too: bool = False) -> Purged:
    """What `purge_workspace` would delete, table by table; nothing is deleted. Refused while
    okr-bot is still installed there, unless `installed_too` (its next request starts it
    afresh)."""
    workspace = _known(db_session, slack_team_id, Action.PURGE_WORKSPACE, actor)
    if workspace.uninstalled_at is None and not installed_too:
        raise StillInstalled(
            f"okr-bot is still installed in workspace {slack_team_id}: uninstall it there "
            "first, or confirm that its data goes now and it starts afresh")
    counts = {table.name: db_session.scalar(select(func.count()).select_from(
        ownership.owned_rows(table, slack_team_id).subquery())) for table in ownership.tables()}
    return Purged(slack_team_id, {name: n for name, n in counts.items() if n})


def purge_workspace(db_session: Session, slack_team_id: str, actor: Actor, *,
                    installed_too: bool = False) -> Purged:
    """Delete every row that belongs to the workspace, in every table (see purge_preview)."""
    purged = purge_preview(db_session, slack_team_id, actor, installed_too=installed_too)
    for table in ownership.tables():
        if table.name in ownership.BY_SLACK_TEAM:
            db_session.execute(delete(table).where(
                table.c[ownership.BY_SLACK_TEAM[table.name]] == slack_team_id))
    # Everything else hangs off the workspace row with ON DELETE CASCADE.
    db_session.execute(delete(Workspace).where(Workspace.slack_team_id == slack_team_id))
    return purged


def due_for_purge(db_session: Session, *, now: datetime, retention: timedelta) -> list[str]:
    """The workspaces uninstalled longer ago than the retention period, oldest first."""
    return list(db_session.scalars(select(Workspace.slack_team_id).where(
        Workspace.uninstalled_at.is_not(None),
        Workspace.uninstalled_at <= now - retention).order_by(Workspace.uninstalled_at)))
