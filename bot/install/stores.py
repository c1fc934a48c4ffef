"""Bolt's InstallationStore and OAuthStateStore on our database (bot/install/service.py):
what Bolt's OAuthFlow saves at the end of an install, and the states it hands out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, InstallationStore
from slack_sdk.oauth.installation_store import Installation as SdkInstallation
from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.db import read_only_session_factory
from bot.install import service as install_service
from bot.install.keys import Keyring
from bot.install.models import Installation
from bot.people import service as people_service

log = logging.getLogger(__name__)


def _epoch(at: datetime | None) -> int | None:
    return int(at.timestamp()) if at is not None else None


def _lifetime(expires_at: int | None, installation: SdkInstallation) -> int | None:
    """Seconds the token lives: slack_sdk turned Slack's expires_in into an instant on the
    system clock; made a lifetime again, it is counted from okr-bot's clock."""
    return max(0, round(expires_at - installation.installed_at)) if expires_at else None


def new_installation(installation: SdkInstallation) -> install_service.NewInstallation:
    org_wide = bool(installation.is_enterprise_install)
    if not installation.bot_token or not (
            installation.enterprise_id if org_wide else installation.team_id):
        # Into a workspace (team), or org-wide into an Enterprise Grid org (enterprise, no
        # team): either way with a bot token.
        raise BoltError("okr-bot installs with a bot token, into a workspace or org-wide "
                        "into an Enterprise Grid org")
    scopes = ",".join(installation.bot_scopes or []) or None
    user_scopes = ",".join(installation.user_scopes or []) or None
    return install_service.NewInstallation(
        team_id=None if org_wide else installation.team_id,
        enterprise_id=installation.enterprise_id, is_enterprise_install=org_wide,
        team_name=(installation.enterprise_name if org_wide else installation.team_name),
        app_id=installation.app_id,
        bot_id=installation.bot_id, bot_user_id=installation.bot_user_id, bot_scopes=scopes,
        bot_token=installation.bot_token, bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_in=_lifetime(installation.bot_token_expires_at, installation),
        installer_user_id=installation.user_id, user_scopes=user_scopes,
        user_token=installation.user_token, user_refresh_token=installation.user_refresh_token,
        user_token_expires_in=_lifetime(installation.user_token_expires_at, installation),
        token_type=installation.token_type)


class DatabaseInstallationStore(InstallationStore):
    """One installation per workspace, or one per Enterprise Grid org installed org-wide;
    saving one is a reinstall as far as the workspace's (or each of the org's workspaces')
    uninstalled_at and tokens_revoked_at go (cleared in the same transaction)."""

    def __init__(self, session_factory: sessionmaker[Session], keyring: Keyring, *,
                 on_change: Callable[[str | None, str | None], None] | None = None) -> None:
        self._sessions = session_factory
        self._keyring = keyring
        # Told the team id and org id once a change is committed.
        self._on_change = on_change

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: SdkInstallation) -> None:
        new = new_installation(installation)
        at = clock.now()
        with self._sessions.begin() as session:
            install_service.save(db_session=session, keyring=self._keyring, new=new, at=at)
            if new.team_id is not None:
                people_service.mark_reinstalled(db_session=session, slack_team_id=new.team_id,
                                                name=new.team_name)
            else:
                assert new.enterprise_id is not None
                for team_id in people_service.org_workspaces(
                        db_session=session, enterprise_id=new.enterprise_id):
                    people_service.mark_reinstalled(db_session=session, slack_team_id=team_id)
        self._changed(new.team_id, new.enterprise_id)
        if new.team_id is None:
            log.info("installed org-wide into Enterprise Grid org %s", new.enterprise_id)
        else:
            log.info("installed into workspace %s", new.team_id)

    def _changed(self, team_id: str | None, enterprise_id: str | None) -> None:
        if self._on_change is not None:
            self._on_change(team_id, enterprise_id)

    def save_bot(self, bot: Bot) -> None:
        raise NotImplementedError("installations are saved whole (save)")

    def _row(self, team_id: str | None, enterprise_id: str | None,
             is_enterprise_install: bool | None) -> Installation | None:
        with read_only_session_factory(self._sessions.kw["bind"])() as session:
            if is_enterprise_install and enterprise_id:
                return install_service.find_org_wide(db_session=session,
                                                     enterprise_id=enterprise_id)
            return install_service.find_for(db_session=session, slack_team_id=team_id,
                                            enterprise_id=enterprise_id)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        row = self._row(team_id, enterprise_id, is_enterprise_install)
        if row is None:
            return None
        found = install_service.credentials(row, self._keyring)
        return Bot(app_id=row.app_id, enterprise_id=row.enterprise_id, team_id=row.slack_team_id,
                   is_enterprise_install=row.is_enterprise_install, team_name=row.team_name,
                   bot_token=found.bot_token, bot_id=row.bot_id or "",
                   bot_user_id=row.bot_user_id or "", bot_scopes=row.bot_scopes or "",
                   bot_token_expires_at=_epoch(row.bot_token_expires_at),
                   installed_at=row.installed_at.timestamp())

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                          user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> SdkInstallation | None:
        row = self._row(team_id, enterprise_id, is_enterprise_install)
        if row is None or (user_id is not None and user_id != row.installer_user_id):
            return None
        secret = self._keyring.decrypt
        return SdkInstallation(
            app_id=row.app_id, enterprise_id=row.enterprise_id, team_id=row.slack_team_id,
            is_enterprise_install=row.is_enterprise_install,
            team_name=None if row.is_enterprise_install else row.team_name,
            enterprise_name=row.team_name if row.is_enterprise_install else None,
            bot_token=secret(row.bot_token_encrypted),
            bot_id=row.bot_id, bot_user_id=row.bot_user_id, bot_scopes=row.bot_scopes or "",
            bot_refresh_token=(secret(row.bot_refresh_token_encrypted)
                               if row.bot_refresh_token_encrypted else None),
            bot_token_expires_at=_epoch(row.bot_token_expires_at),
            user_id=row.installer_user_id or "", user_scopes=row.user_scopes or "",
            user_token=secret(row.user_token_encrypted) if row.user_token_encrypted else None,
            user_refresh_token=(secret(row.user_refresh_token_encrypted)
                                if row.user_refresh_token_encrypted else None),
            user_token_expires_at=_epoch(row.user_token_expires_at),
            token_type=row.token_type, installed_at=row.installed_at.timestamp())

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's installation; with no team, the org's org-wide one."""
        if team_id:
            with self._sessions.begin() as session:
                install_service.delete_for_team(db_session=session, slack_team_id=team_id)
            self._changed(team_id, None)
        elif enterprise_id:
            with self._sessions.begin() as session:
                install_service.delete_org_wide(db_session=session, enterprise_id=enterprise_id)
            self._changed(None, enterprise_id)


class DatabaseStateStore(OAuthStateStore):
    """States in the database, so the browser may come back to any replica; each one works
    once and for install_service.STATE_LIFETIME."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        with self._sessions.begin() as session:
            return install_service.issue_state(db_session=session, at=clock.now())

    def consume(self, state: str) -> bool:
        if not state:
            return False
        with self._sessions.begin() as session:
            return install_service.consume_state(db_session=session, state=state,
                                                 at=clock.now())
