"""Workspaces and people: recorded from what Slack tells us, never guessed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot import clock
from bot.audit import service as audit
from bot.people.models import Person, Workspace


def _get_or_create(db_session: Session, query: Any, new: Callable[[], Any]) -> Any:
    """Select, else insert; when a concurrent request inserted first, select its row.

    Slack sends app_uninstalled and tokens_revoked together, and two people may open the
    Home tab of a new workspace at once: both requests then race to create the same row.
    """
    row = db_session.scalar(query)
    if row is not None:
        return row
    try:
        with db_session.begin_nested():
            row = new()
            db_session.add(row)
    except IntegrityError:
        row = db_session.scalar(query)
        if row is None:
            raise
    return row


def get_or_create_workspace(*, db_session: Session, slack_team_id: str,
                            name: str | None = None) -> Workspace:
    workspace = _get_or_create(
        db_session, select(Workspace).where(Workspace.slack_team_id == slack_team_id),
        lambda: Workspace(slack_team_id=slack_team_id, name=name))
    if name and workspace.name != name:
        workspace.name = name
    return workspace


def known_time_zone(name: str | None) -> str | None:
    """The IANA zone if Python knows it, else None (Slack sends IANA names, but be safe)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def valid_time_zone(name: str | None) -> str:
    """The IANA zone if Python knows it, else UTC."""
    return known_time_zone(name) or "UTC"


def apply_slack_user(person: Person, slack_user: Mapping[str, Any], *,
                     at: datetime | None = None) -> None:
    """What a `users.info` user object (or a `user_change` event's) says about a person. A
    zone Slack does not give keeps the one we have: the plan's, or what Slack said before."""
    person.time_zone_checked_at = at or clock.now()
    profile = slack_user.get("profile") or {}
    person.display_name = profile.get("display_name") or slack_user.get("name")
    person.real_name = profile.get("real_name") or slack_user.get("real_name")
    person.time_zone = known_time_zone(slack_user.get("tz")) or person.time_zone or "UTC"
    was_admin = person.is_admin
    person.is_admin = bool(slack_user.get("is_admin") or slack_user.get("is_owner"))
    audit.slack_admin_changed(person, was_admin, at=at)  # a role change, logged with it
    person.is_bot = bool(slack_user.get("is_bot"))
    person.deactivated = bool(slack_user.get("deleted"))


def upsert_person(*, db_session: Session, workspace: Workspace,
                  slack_user: Mapping[str, Any]) -> Person:
    """Create or refresh a person from a `users.info` user object."""
    person = _get_or_create(
        db_session, select(Person).where(Person.workspace_id == workspace.id,
                                         Person.slack_user_id == slack_user["id"]),
        lambda: Person(workspace_id=workspace.id, slack_user_id=slack_user["id"]))
    apply_slack_user(person, slack_user)
    db_session.flush()
    return person


def refresh_known_person(*, db_session: Session, slack_team_id: str,
                         slack_user: Mapping[str, Any]) -> Person | None:
    """Refresh a person the bot already knows from a user object Slack sent; None for anyone
    else. `user_change` fires for every profile edit in the workspace: storing strangers would
    fill the table with people who never use okr-bot."""
    person = db_session.scalar(
        select(Person).join(Workspace, Person.workspace_id == Workspace.id)
        .where(Workspace.slack_team_id == slack_team_id,
               Person.slack_user_id == slack_user.get("id")))
    if person is not None:
        apply_slack_user(person, slack_user)
        db_session.flush()
    return person


def reporting_line(*, db_session: Session, workspace_id: int,
                   slack_user_id: str) -> dict[str, int]:
    """A person and everyone below them (Slack id → levels below: 0 themselves, 1 a direct
    report, 2 and more through others), one query per level."""
    line = {slack_user_id: 0}
    level, above = 0, [slack_user_id]
    manager = aliased(Person)
    while above:
        level += 1
        below = db_session.scalars(
            select(Person.slack_user_id).join(manager, Person.manager_id == manager.id)
            .where(manager.workspace_id == workspace_id, manager.slack_user_id.in_(above)))
        above = [person for person in below if person not in line]  # a cycle ends here
        line.update(dict.fromkeys(above, level))
    return line


def team_of(*, db_session: Session, workspace_id: int,
            slack_user_id: str) -> set[str]:
    """A person's team: themselves and their whole reporting line (Slack ids)."""
    return set(reporting_line(db_session=db_session, workspace_id=workspace_id,
                              slack_user_id=slack_user_id))


# Session.info: workspaces whose plan or measurements moved in this transaction.
BUMPED = "okr_bot_bumped_workspaces"


def bump_data_version(*, db_session: Session, workspace_id: int) -> None:
    """Tell cached chains of this workspace that its plan changed (an import): they are
    rebuilt whole. A new measurement goes to the change log instead, and only what it feeds
    is recomputed (bot/okrs/store/measurements.py `note_changed`). The session remembers the
    workspace, so a server can rebuild the chain once the write commits
    (bot/okrs/store/cache.py `refresh_after_commit`)."""
    db_session.execute(update(Workspace).where(Workspace.id == workspace_id)
                       .values(data_version=Workspace.data_version + 1))
    db_session.info.setdefault(BUMPED, set()).add(workspace_id)


def mark_uninstalled(*, db_session: Session, slack_team_id: str, at: datetime) -> Workspace:
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id)
    workspace.uninstalled_at = workspace.uninstalled_at or at
    return workspace


def mark_tokens_revoked(*, db_session: Session, slack_team_id: str, at: datetime) -> Workspace:
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id)
    workspace.tokens_revoked_at = workspace.tokens_revoked_at or at
    return workspace


def mark_reinstalled(*, db_session: Session, slack_team_id: str,
                     name: str | None = None) -> Workspace:
    """Installed (again) through OAuth: the workspace is no longer uninstalled or revoked."""
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id,
                                        name=name)
    workspace.uninstalled_at = None
    workspace.tokens_revoked_at = None
    return workspace


def note_enterprise(*, db_session: Session, slack_team_id: str,
                    enterprise_id: str) -> Workspace:
    """The workspace belongs to this Enterprise Grid org (a request from it, or its plan, said
    so): an org-wide install's token reaches it, and the org's uninstall stops it."""
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id)
    workspace.enterprise_id = enterprise_id
    return workspace


def org_workspaces(*, db_session: Session, enterprise_id: str) -> list[str]:
    """The Slack team ids of the org's workspaces okr-bot knows of."""
    return list(db_session.scalars(select(Workspace.slack_team_id).where(
        Workspace.enterprise_id == enterprise_id).order_by(Workspace.slack_team_id)))
