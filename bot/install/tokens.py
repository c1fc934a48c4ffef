"""Each workspace's bot token from its installation: decrypted once per ciphertext, and
refreshed through oauth.v2.access (grant_type=refresh_token) when Slack's token rotation
says it is about to expire, under the row's lock (bot/install/service.py refresh_locked)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, default_retry_handlers
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.config import Settings
from bot.db import read_only_session_factory
from bot.install import service as install_service
from bot.install.keys import Keyring
from bot.install.service import BotCredentials
from bot.people import service as people_service

log = logging.getLogger(__name__)

# Decrypted credentials kept per ciphertext; past this many the cache starts again.
MAX_CACHED = 10_000
# A workspace's credentials are read again after this long. A reinstall or an uninstall on
# this replica counts at once (`forget`); one on another replica within this. A refresh on
# another replica leaves the old token valid for hours, so nothing fails meanwhile.
FRESH_SECONDS = 30.0


class InstallationTokens:
    """The bot credentials of each installed workspace: read from the database at most
    every FRESH_SECONDS per workspace (bench/install.py: a read costs a request about 0.4 ms
    on SQLite and 1 ms on PostgreSQL), decrypted once per stored token."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session],
                 keyring: Keyring, *, timeout: int = 10,
                 watch: RetryHandler | None = None) -> None:
        assert settings.slack_client_id
        assert settings.slack_client_secret
        self._client_id = settings.slack_client_id
        self._client_secret = settings.slack_client_secret
        self._sessions = session_factory
        self._reads = read_only_session_factory(session_factory.kw["bind"])
        self.keyring = keyring
        self._oauth = WebClient(base_url=settings.slack_api_url, timeout=timeout,
                                retry_handlers=[*([watch] if watch else []),
                                                *default_retry_handlers()])
        self._decrypted: dict[tuple[str, str], BotCredentials] = {}
        self._read_at: dict[str, tuple[float, BotCredentials]] = {}
        self._lock = threading.Lock()

    def forget(self, team_id: str | None, enterprise_id: str | None = None) -> None:
        """The workspace's installation changed here (installed, uninstalled), or with
        `enterprise_id` its org's (then every workspace of the org): read it again."""
        with self._lock:
            if team_id:
                self._read_at.pop(team_id, None)
            if enterprise_id:
                self._read_at = {key: known for key, known in self._read_at.items()
                                 if known[1].enterprise_id != enterprise_id}

    def credentials(self, team_id: str | None,
                    enterprise_id: str | None = None) -> BotCredentials | None:
        """The workspace's bot credentials, refreshed first when they are about to expire;
        None when okr-bot is not installed there. Its own installation's, else those of its
        Enterprise Grid org's org-wide installation: the org a request names
        (`enterprise_id`), else the one the workspace is known to belong to. A request from
        an org-wide install that names no workspace gets the org's."""
        if not team_id and not enterprise_id:
            return None
        key = team_id or f"org:{enterprise_id}"
        now = clock.now()
        with self._lock:
            known = self._read_at.get(key)
        if known is not None and time.monotonic() - known[0] < FRESH_SECONDS and (
                known[1].expires_at is None
                or known[1].expires_at - install_service.REFRESH_MARGIN > now):
            return known[1]
        found = self._read(team_id, enterprise_id, now)
        with self._lock:
            if found is None:
                self._read_at.pop(key, None)
            else:
                self._read_at[key] = (time.monotonic(), found)
        return found

    def _read(self, team_id: str | None, enterprise_id: str | None,
              now: datetime) -> BotCredentials | None:
        with self._reads() as session:
            row = install_service.find_for(db_session=session, slack_team_id=team_id,
                                           enterprise_id=enterprise_id)
            if row is None:
                return None
            current = self._cached(row)
            due = install_service.refresh_due(row, now)
            learned = bool(team_id and current.is_enterprise_install and install_service.org_of(
                db_session=session, slack_team_id=team_id) != current.enterprise_id)
        if learned:
            assert team_id is not None
            assert current.enterprise_id is not None
            self._note_org(team_id, current.enterprise_id)
        if not due:
            return current
        try:
            with self._sessions.begin() as session:
                return install_service.refresh_locked(
                    db_session=session, keyring=self.keyring,
                    installation_id=current.installation_id, at=now, refresh=self._refresh)
        except (OperationalError, SlackApiError, OSError) as error:
            # Refreshing starts two hours early: until then the current token still works.
            # Another replica holding the lock past the database's wait, or Slack failing to
            # answer, is tried again at the next use rather than failing this one.
            if current.expires_at is None or current.expires_at <= now:
                raise
            log.warning("workspace %s: token refresh put off (%s); its token is valid until "
                        "%s", team_id or enterprise_id, type(error).__name__,
                        current.expires_at.isoformat())
            return current

    def _note_org(self, team_id: str, enterprise_id: str) -> None:
        """The workspace is reached through its org's org-wide install: remembered on its row,
        so jobs (which name only the workspace) find the org's token, and the org's uninstall
        stops it. Written once per workspace; a failure is tried again at the next read."""
        try:
            with self._sessions.begin() as session:
                people_service.note_enterprise(db_session=session, slack_team_id=team_id,
                                               enterprise_id=enterprise_id)
        except (OperationalError, IntegrityError) as error:
            log.warning("workspace %s: its org %s not recorded yet (%s)", team_id,
                        enterprise_id, type(error).__name__)

    def _cached(self, row: Any) -> BotCredentials:
        key = (row.bot_token_encrypted, str(row.bot_token_expires_at))
        with self._lock:
            found = self._decrypted.get(key)
        if found is not None and found.team_id == row.slack_team_id \
                and found.bot_user_id == row.bot_user_id:
            return found
        made = install_service.credentials(row, self.keyring)
        with self._lock:
            if len(self._decrypted) >= MAX_CACHED:
                self._decrypted.clear()
            self._decrypted[key] = made
        return made

    def _refresh(self, refresh_token: str) -> Mapping[str, Any]:
        answer = self._oauth.oauth_v2_access(
            client_id=self._client_id, client_secret=self._client_secret.get_secret_value(),
            grant_type="refresh_token", refresh_token=refresh_token)
        return answer.data if isinstance(answer.data, dict) else {}
