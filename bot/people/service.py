"""Workspaces and people: recorded from what Slack tells us, never guessed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.people.models import Person, Workspace


def get_or_create_workspace(*, db_session: Session, slack_team_id: str,
                            name: str | None = None) -> Workspace:
    workspace = db_session.scalar(select(Workspace).where(Workspace.slack_team_id == slack_team_id))
    if workspace is None:
        workspace = Workspace(slack_team_id=slack_team_id, name=name)
        db_session.add(workspace)
        db_session.flush()
    elif name and workspace.name != name:
        workspace.name = name
    return workspace


def valid_time_zone(name: str | None) -> str:
    """The IANA zone if Python knows it, else UTC (Slack sends IANA names, but be safe)."""
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def upsert_person(*, db_session: Session, workspace: Workspace,
                  slack_user: Mapping[str, Any]) -> Person:
    """Create or refresh a person from a `users.info` user object."""
    person = db_session.scalar(
        select(Person).where(Person.workspace_id == workspace.id,
                             Person.slack_user_id == slack_user["id"])
    )
    if person is None:
        person = Person(workspace=workspace, slack_user_id=slack_user["id"])
        db_session.add(person)
    profile = slack_user.get("profile") or {}
    person.display_name = profile.get("display_name") or slack_user.get("name")
    person.real_name = profile.get("real_name") or slack_user.get("real_name")
    person.time_zone = valid_time_zone(slack_user.get("tz"))
    person.is_admin = bool(slack_user.get("is_admin") or slack_user.get("is_owner"))
    person.is_bot = bool(slack_user.get("is_bot"))
    person.deactivated = bool(slack_user.get("deleted"))
    db_session.flush()
    return person


def mark_uninstalled(*, db_session: Session, slack_team_id: str, at: datetime) -> Workspace:
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id)
    workspace.uninstalled_at = workspace.uninstalled_at or at
    return workspace


def mark_tokens_revoked(*, db_session: Session, slack_team_id: str, at: datetime) -> Workspace:
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=slack_team_id)
    workspace.tokens_revoked_at = workspace.tokens_revoked_at or at
    return workspace
