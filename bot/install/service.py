"""Installations and OAuth states on our database. Tokens go in and come out through the
Keyring: the rows only ever hold ciphertext."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from bot.install.keys import Keyring
from bot.install.models import Installation, OAuthState
from bot.people.models import Workspace

# A token this close to expiring is refreshed before use (Bolt's default is 120 minutes).
REFRESH_MARGIN = timedelta(minutes=120)
STATE_LIFETIME = timedelta(minutes=10)
TOKEN_COLUMNS = ("bot_token_encrypted", "bot_refresh_token_encrypted", "user_token_encrypted",
                 "user_refresh_token_encrypted")


@dataclass(frozen=True)
class BotCredentials:
    """What a request or a job needs of a workspace's installation: its token and who the
    bot is there (so no auth.test per request). An org-wide installation's have no team_id:
    they serve every workspace of the org (enterprise_id)."""

    installation_id: int
    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    bot_token: str
    bot_id: str | None
    bot_user_id: str | None
    bot_scopes: str | None
    expires_at: datetime | None

    def __repr__(self) -> str:  # a log line or a traceback never shows the token
        return (f"BotCredentials(team_id={self.team_id!r}, enterprise_id="
                f"{self.enterprise_id!r}, bot_user_id={self.bot_user_id!r})")


@dataclass(frozen=True)
class NewInstallation:
    """What oauth.v2.access said, in clear, on its way into the database: for a workspace
    (team_id), or for a whole org (is_enterprise_install, enterprise_id, no team_id)."""

    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    team_name: str | None
    app_id: str | None
    bot_id: str | None
    bot_user_id: str | None
    bot_scopes: str | None
    bot_token: str
    bot_refresh_token: str | None
    bot_token_expires_in: int | None
    installer_user_id: str | None
    user_scopes: str | None
    user_token: str | None
    user_refresh_token: str | None
    user_token_expires_in: int | None
    token_type: str | None

    def __repr__(self) -> str:
        return (f"NewInstallation(team_id={self.team_id!r}, "
                f"enterprise_id={self.enterprise_id!r})")


def _encrypted(keyring: Keyring, secret: str | None) -> str | None:
    return keyring.encrypt(secret) if secret else None


def _expiry(at: datetime, seconds: int | None) -> datetime | None:
    return at + timedelta(seconds=seconds) if seconds else None


def save(*, db_session: Session, keyring: Keyring, new: NewInstallation,
         at: datetime) -> Installation:
    """Store (or, on a reinstall, overwrite) the workspace's or the org's installation."""
    if new.is_enterprise_install:
        assert new.enterprise_id is not None
        row = db_session.scalar(_org_wide(new.enterprise_id).with_for_update())
    else:
        row = db_session.scalar(select(Installation).where(
            Installation.slack_team_id == new.team_id).with_for_update())
    if row is None:
        row = Installation(slack_team_id=new.team_id,
                           is_enterprise_install=new.is_enterprise_install)
        db_session.add(row)
    row.enterprise_id, row.team_name, row.app_id = new.enterprise_id, new.team_name, new.app_id
    row.is_enterprise_install = new.is_enterprise_install
    row.bot_id, row.bot_user_id, row.bot_scopes = new.bot_id, new.bot_user_id, new.bot_scopes
    row.bot_token_encrypted = keyring.encrypt(new.bot_token)
    row.bot_refresh_token_encrypted = _encrypted(keyring, new.bot_refresh_token)
    row.bot_token_expires_at = _expiry(at, new.bot_token_expires_in)
    row.installer_user_id, row.user_scopes = new.installer_user_id, new.user_scopes
    row.user_token_encrypted = _encrypted(keyring, new.user_token)
    row.user_refresh_token_encrypted = _encrypted(keyring, new.user_refresh_token)
    row.user_token_expires_at = _expiry(at, new.user_token_expires_in)
    row.token_type, row.installed_at = new.token_type, at
    db_session.flush()
    return row


def _org_wide(enterprise_id: str) -> Select[tuple[Installation]]:
    return select(Installation).where(Installation.enterprise_id == enterprise_id,
                                      Installation.is_enterprise_install.is_(True))


def find(*, db_session: Session, slack_team_id: str) -> Installation | None:
    """The workspace's own installation (not its org's)."""
    return db_session.scalar(select(Installation).where(
        Installation.slack_team_id == slack_team_id))


def find_org_wide(*, db_session: Session, enterprise_id: str) -> Installation | None:
    return db_session.scalar(_org_wide(enterprise_id))


def org_of(*, db_session: Session, slack_team_id: str) -> str | None:
    """The Enterprise Grid org the workspace is known to belong to."""
    return db_session.scalar(select(Workspace.enterprise_id).where(
        Workspace.slack_team_id == slack_team_id))


def find_for(*, db_session: Session, slack_team_id: str | None,
             enterprise_id: str | None = None) -> Installation | None:
    """The installation whose token reaches the workspace: its own, else its org's org-wide
    one. The org is the one the request names (`enterprise_id`), else the one the workspace
    row remembers. A request from an org-wide install may name no workspace at all."""
    if slack_team_id:
        row = find(db_session=db_session, slack_team_id=slack_team_id)
        if row is not None:
            return row
        enterprise_id = enterprise_id or org_of(db_session=db_session,
                                                slack_team_id=slack_team_id)
    return find_org_wide(db_session=db_session, enterprise_id=enterprise_id) \
        if enterprise_id else None


def credentials(row: Installation, keyring: Keyring) -> BotCredentials:
    return BotCredentials(installation_id=row.id, team_id=row.slack_team_id,
                          enterprise_id=row.enterprise_id,
                          is_enterprise_install=row.is_enterprise_install,
                          bot_token=keyring.decrypt(row.bot_token_encrypted),
                          bot_id=row.bot_id, bot_user_id=row.bot_user_id,
                          bot_scopes=row.bot_scopes, expires_at=row.bot_token_expires_at)


def refresh_due(row: Installation, at: datetime) -> bool:
    return (row.bot_token_expires_at is not None and row.bot_refresh_token_encrypted is not None
            and row.bot_token_expires_at - REFRESH_MARGIN <= at)


def refresh_locked(*, db_session: Session, keyring: Keyring, installation_id: int,
                   at: datetime,
                   refresh: Callable[[str], Mapping[str, Any]]) -> BotCredentials | None:
    """Refresh the installation's bot token if it is (still) due, holding the row's lock (a
    workspace's, or an org's that every workspace of the org uses).

    Slack's refresh tokens are single-use: the row is locked (FOR UPDATE on PostgreSQL; on
    SQLite the transaction holds the one write lock) and read again under the lock, so a
    second replica that waited finds the new token and never spends the old refresh token.
    `refresh(refresh_token)` is oauth.v2.access with grant_type=refresh_token."""
    row = db_session.scalar(select(Installation).where(
        Installation.id == installation_id).with_for_update())
    if row is None:
        return None
    if refresh_due(row, at):
        assert row.bot_refresh_token_encrypted is not None
        answer = refresh(keyring.decrypt(row.bot_refresh_token_encrypted))
        row.bot_token_encrypted = keyring.encrypt(answer["access_token"])
        row.bot_refresh_token_encrypted = keyring.encrypt(answer["refresh_token"])
        row.bot_token_expires_at = _expiry(at, answer.get("expires_in"))
        db_session.flush()
    return credentials(row, keyring)


def delete_for_team(*, db_session: Session, slack_team_id: str) -> int:
    """Forget the workspace's installation, its tokens with it; how many rows went."""
    result = db_session.execute(delete(Installation).where(
        Installation.slack_team_id == slack_team_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_org_wide(*, db_session: Session, enterprise_id: str) -> int:
    """Forget the org's org-wide installation, its tokens with it; how many rows went."""
    result = db_session.execute(delete(Installation).where(
        Installation.enterprise_id == enterprise_id,
        Installation.is_enterprise_install.is_(True)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def rotate_keys(*, db_session: Session, keyring: Keyring) -> int:
    """Re-encrypt every stored token with the first key; how many tokens were re-encrypted."""
    count = 0
    for row in db_session.scalars(select(Installation).with_for_update()):
        for column in TOKEN_COLUMNS:
            stored = getattr(row, column)
            if stored:
                setattr(row, column, keyring.rotate(stored))
                count += 1
    db_session.flush()
    return count


def issue_state(*, db_session: Session, at: datetime) -> str:
    state = secrets.token_urlsafe(32)
    db_session.add(OAuthState(state=state, expires_at=at + STATE_LIFETIME))
    # Old states are of no use to anyone: cleared as new ones are handed out.
    db_session.execute(delete(OAuthState).where(OAuthState.expires_at < at))
    return state


def consume_state(*, db_session: Session, state: str, at: datetime) -> bool:
    """True once for a state handed out less than STATE_LIFETIME ago; False after."""
    found = db_session.scalar(delete(OAuthState).where(OAuthState.state == state)
                              .returning(OAuthState.expires_at))
    return found is not None and found > at
