"""A workspace's API tokens: made with a recognisable prefix and shown once, kept as a sha256,
listed, revoked, and checked on every request. The caller owns the transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.policy import WORKSPACE, Action, Actor
from bot.access.roles import require
from bot.api.models import ApiToken
from bot.audit import service as audit
from bot.errors import InvalidInput, NotFound
from bot.people.models import Workspace

PREFIX = "okr_"
# What `list` shows of a token: enough to tell two apart, far too little to use.
SHOWN = len(PREFIX) + 6
MAX_NAME = 80
USED_EVERY = timedelta(minutes=1)  # how precisely last_used_at is kept
TOKEN_CREATED = "api token created"  # noqa: S105 (an audit action, not a secret)
TOKEN_REVOKED = "api token revoked"  # noqa: S105


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is the only time the whole token exists outside the caller."""

    row: ApiToken
    secret: str


def hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(db_session: Session, workspace: Workspace, actor: Actor, name: str, *,
           now: datetime) -> NewToken:
    require(db_session, workspace.id, Action.CREATE_API_TOKEN, actor, WORKSPACE)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A token's name says what uses it, in 1 to {MAX_NAME} characters.",
                           field="name", expected=f"a name of 1 to {MAX_NAME} characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(workspace_id=workspace.id, name=name, token_hash=hashed(secret),
                   prefix=secret[:SHOWN], created_at=now)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session, workspace.id, actor=actor.name, action=TOKEN_CREATED,
                 kind="api token", key=str(row.id), after={"name": name, "prefix": row.prefix},
                 at=now)
    return NewToken(row, secret)


def of_workspace(db_session: Session, workspace: Workspace) -> list[ApiToken]:
    return list(db_session.scalars(select(ApiToken).where(ApiToken.workspace_id == workspace.id)
                                   .order_by(ApiToken.id)))


def revoke(db_session: Session, workspace: Workspace, actor: Actor, token_id: int, *,
           now: datetime) -> ApiToken:
    """Revoke one of the workspace's tokens (again: no change). Another workspace's token is
    not found, whatever its id."""
    require(db_session, workspace.id, Action.CREATE_API_TOKEN, actor, WORKSPACE)
    row = db_session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                   ApiToken.workspace_id == workspace.id))
    if row is None:
        raise NotFound(f"{workspace.slack_team_id} has no API token {token_id}.",
                       kind="api token", typed=str(token_id))
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(db_session, workspace.id, actor=actor.name, action=TOKEN_REVOKED,
                     kind="api token", key=str(row.id), after={"name": row.name}, at=now)
    return row


def authenticate(db_session: Session, presented: str, *,
                 now: datetime) -> tuple[ApiToken, Workspace] | None:
    """The live token and its workspace, or None: unknown, revoked, or the workspace gone."""
    if not presented.startswith(PREFIX):
        return None
    found = db_session.execute(
        select(ApiToken, Workspace).join(Workspace, Workspace.id == ApiToken.workspace_id)
        .where(ApiToken.token_hash == hashed(presented), ApiToken.revoked_at.is_(None),
               Workspace.uninstalled_at.is_(None))).one_or_none()
    if found is None:
        return None
    token, workspace = found
    # To the minute: a reader polling every second does not write a row each time (on SQLite
    # every write waits for the one write lock).
    if token.last_used_at is None or now - token.last_used_at >= USED_EVERY:
        token.last_used_at = now
    return token, workspace
