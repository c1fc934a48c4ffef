"""The one way okr-bot gets a Slack Web API client: by workspace (the Slack team id).

Listeners, jobs and start-up all ask `SlackClients`, and Bolt's App authorizes each request
through it (`authorize`), so every Web API call okr-bot makes carries the token this module
chose for that team.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.config import WHERE_TO_GET, Settings, SettingsError
from bot.errors import DomainError
from bot.install.keys import Keyring
from bot.install.tokens import InstallationTokens

TIMEOUT_SECONDS = 10
# observe(method, HTTP status or 0 for no answer, Slack's error code of an `ok: false` answer)
Observe = Callable[[str, int, str | None], None]
# Clients kept, one per token: a workspace on token rotation gets a new token twice a day.
MAX_CLIENTS = 10_000


class SlackClients:
    """The Web API client for each workspace, one per runtime (bot/serve.py).

    With one bot token (SLACK_BOT_TOKEN) every team gets its client. In OAuth mode
    (SLACK_CLIENT_ID and _SECRET) each team gets the bot token of its installation
    (bot/install/tokens.py), refreshed when it is about to expire; who the bot is comes from
    the installation row, so no request calls auth.test.
    """

    def __init__(self, settings: Settings, *,
                 session_factory: sessionmaker[Session] | None = None) -> None:
        self._settings = settings
        self.installations: InstallationTokens | None = None
        if settings.oauth:
            if session_factory is None or settings.okr_bot_encryption_key is None:
                raise SettingsError("OAuth mode needs the database and OKR_BOT_ENCRYPTION_KEY: "
                                    + WHERE_TO_GET["OKR_BOT_ENCRYPTION_KEY"])
            keyring = Keyring(settings.okr_bot_encryption_key.get_secret_value())
            # Token rotation's oauth.v2.access calls are watched like every other call.
            self.installations = InstallationTokens(settings, session_factory, keyring,
                                                    watch=self._watch())
        self._clients: dict[str, WebClient] = {}
        self._observe: Observe = lambda _method, _status, _error: None
        # auth.test's answer per token: who the bot is, for Bolt's context. One call per token
        # for the runtime's life, as Bolt's single-workspace authorization did.
        self._identities: dict[str, SlackResponse] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, object]) -> SlackClients:
        # Bolt deep-copies a request's context for its lazy listeners; this is the runtime's.
        return self

    def forget(self, team_id: str | None, enterprise_id: str | None = None) -> None:
        """The team's installation changed (OAuth mode), or with `enterprise_id` its
        Enterprise Grid org's: read it again at its next use."""
        if self.installations is not None:
            self.installations.forget(team_id, enterprise_id)

    def token_for(self, team_id: str | None, enterprise_id: str | None = None) -> str:
        """The bot token for the team's workspace (`None`: a request that names none). In
        OAuth mode a workspace of an Enterprise Grid org installed org-wide gets the org's:
        the org is `enterprise_id` when a request names it, else the one the workspace is
        known to belong to (bot/install/tokens.py)."""
        if self.installations is not None:
            found = self.installations.credentials(team_id, enterprise_id)
            if found is None:
                raise NotInstalled(team_id)
            return found.bot_token
        token = self._settings.slack_bot_token
        if token is None:
            raise SettingsError(f"SLACK_BOT_TOKEN is not set: {WHERE_TO_GET['SLACK_BOT_TOKEN']}")
        return token.get_secret_value()

    def client(self, team_id: str | None, enterprise_id: str | None = None) -> WebClient:
        """The client for the team's workspace. Made once per token and then shared (WebClient
        keeps no state between calls); keyed by token, so a token that changes (a reinstall,
        a rotation) gets a client of its own. In OAuth mode a workspace okr-bot is not
        installed in (any more) gets a client without a token, which Slack refuses: an
        uninstall event still has one to hand, and a job's call fails as Slack's would."""
        try:
            token = self.token_for(team_id, enterprise_id)
        except NotInstalled:
            return self._web_client(None)
        with self._lock:
            found = self._clients.get(token)
        if found is not None:
            return found
        made = self._web_client(token)
        with self._lock:
            if len(self._clients) >= MAX_CLIENTS:  # rotated tokens' clients pile up otherwise
                self._clients.clear()
            return self._clients.setdefault(token, made)

    def verify(self, team_id: str | None = None) -> SlackResponse:
        """auth.test for the team's token, remembered: raises SlackApiError when Slack
        refuses it and OSError when Slack cannot be reached (at start-up, say it clearly)."""
        token = self.token_for(team_id)
        with self._lock:
            known = self._identities.get(token)
        if known is not None:
            return known
        answer = self.client(team_id).auth_test()
        with self._lock:
            return self._identities.setdefault(token, answer)

    def authorize(self, *, team_id: str | None, user_id: str | None,
                  enterprise_id: str | None = None) -> AuthorizeResult | None:
        """What Bolt needs of a request's team: its bot token and the bot's identity."""
        if self.installations is not None:
            return self._installed(team_id=team_id, user_id=user_id,
                                   enterprise_id=enterprise_id)
        identity = self.verify(team_id)
        # What Bolt's single-workspace authorization made of the same auth.test answer.
        return AuthorizeResult(
            enterprise_id=identity.get("enterprise_id"), team_id=identity.get("team_id"),
            bot_id=identity.get("bot_id"), bot_user_id=identity.get("user_id"),
            bot_token=self.token_for(team_id), user_id=user_id,
            bot_scopes=identity.headers.get("x-oauth-scopes"))

    def _installed(self, *, team_id: str | None, user_id: str | None,
                   enterprise_id: str | None) -> AuthorizeResult | None:
        """From the installation row (the workspace's, or its org's org-wide one); None
        (Bolt asks the person to reinstall) without one."""
        assert self.installations is not None
        found = self.installations.credentials(team_id, enterprise_id)
        if found is None:
            return None
        # The credentials are cached per team and decrypted once per token (tokens.py); the
        # result is the request's own, since Bolt writes into it. An org's serve the
        # workspace that asked.
        return AuthorizeResult(
            enterprise_id=found.enterprise_id, team_id=found.team_id or team_id,
            bot_id=found.bot_id,
            bot_user_id=found.bot_user_id, bot_token=found.bot_token, user_id=user_id,
            bot_scopes=found.bot_scopes)

    def bolt_authorize(self) -> Callable[..., AuthorizeResult]:
        """Bolt's `authorize` function. A plain function: Bolt passes arguments by the names
        it reads from the signature, and would take a method's `self` for one of them."""

        def authorize(team_id: str | None, user_id: str | None,
                      enterprise_id: str | None) -> AuthorizeResult | None:
            return self.authorize(team_id=team_id, user_id=user_id,
                                  enterprise_id=enterprise_id)

        return authorize

    def bolt_template(self) -> WebClient:
        """The tokenless client Bolt copies its settings (address, timeout, retries) from;
        each request's token comes from `authorize`."""
        return self._web_client(None)

    def observe_failures(self, observe: Observe) -> None:
        """Tell `observe(method, HTTP status, error)` of every call Slack refused: an HTTP
        failure (429, 5xx…; `error` None), no answer (status 0), or a 200 answer `ok: false`
        (`error`: Slack's code), each attempt before any retry: the runtime's metrics."""
        self._observe = observe

    def _watch(self) -> RetryHandler:
        return _Watch(lambda method, status, error: self._observe(method, status, error))

    def _web_client(self, token: str | None) -> WebClient:
        return WebClient(token=token, base_url=self._settings.slack_api_url,
                         timeout=TIMEOUT_SECONDS, retry_handlers=[
                             self._watch(),
                             ConnectionErrorRetryHandler(),
                             RateLimitErrorRetryHandler(max_retry_count=1),
                         ])


class _Watch(RetryHandler):
    """First of a client's retry handlers: slack_sdk shows it every attempt's answer (200s
    included, their JSON parsed) and every error; it tells the failed ones, retries none."""

    def __init__(self, observe: Observe) -> None:
        super().__init__(max_retry_count=0)
        self.observe = observe

    def can_retry(self, *, state: RetryState, request: HttpRequest,
                  response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        method = request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        if response is None:
            self.observe(method, 0, None)
        elif response.status_code != 200:
            self.observe(method, response.status_code, None)
        elif isinstance(response.body, dict) and response.body.get("ok") is False:
            self.observe(method, 200, str(response.body.get("error") or ""))
        return False


class NotInstalled(DomainError):
    """OAuth mode, and okr-bot is not installed in the workspace (or was uninstalled)."""

    def __init__(self, team_id: str | None) -> None:
        super().__init__(f"okr-bot is not installed in workspace {team_id or '(none named)'}: "
                         "install it through /slack/install")
