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
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from bot.config import WHERE_TO_GET, Settings, SettingsError

TIMEOUT_SECONDS = 10


class SlackClients:
    """The Web API client for each workspace, one per runtime (bot/serve.py).

    Today every team gets the client of the single bot token in the settings
    (SLACK_BOT_TOKEN, at SLACK_API_URL). When okr-bot is installed through OAuth into many
    workspaces, the installation store plugs in here, behind `token_for`: it looks up the
    team's bot token, and nothing that asks for a client changes.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[str, WebClient] = {}
        # auth.test's answer per token: who the bot is, for Bolt's context. One call per token
        # for the runtime's life, as Bolt's single-workspace authorization did.
        self._identities: dict[str, SlackResponse] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, object]) -> SlackClients:
        # Bolt deep-copies a request's context for its lazy listeners; this is the runtime's.
        return self

    def token_for(self, team_id: str | None) -> str:
        """The bot token for the team's workspace (`None`: a request that names none)."""
        token = self._settings.slack_bot_token
        if token is None:
            raise SettingsError(f"SLACK_BOT_TOKEN is not set: {WHERE_TO_GET['SLACK_BOT_TOKEN']}")
        return token.get_secret_value()

    def client(self, team_id: str | None) -> WebClient:
        """The client for the team's workspace. Made once per token and then shared (WebClient
        keeps no state between calls); keyed by token, so a token that changes (a reinstall,
        a rotation) gets a client of its own."""
        token = self.token_for(team_id)
        with self._lock:
            found = self._clients.get(token)
        if found is not None:
            return found
        made = self._web_client(token)
        with self._lock:
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

    def authorize(self, *, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        """What Bolt needs of a request's team: its bot token and the bot's identity."""
        identity = self.verify(team_id)
        # What Bolt's single-workspace authorization made of the same auth.test answer.
        return AuthorizeResult(
            enterprise_id=identity.get("enterprise_id"), team_id=identity.get("team_id"),
            bot_id=identity.get("bot_id"), bot_user_id=identity.get("user_id"),
            bot_token=self.token_for(team_id), user_id=user_id,
            bot_scopes=identity.headers.get("x-oauth-scopes"))

    def bolt_authorize(self) -> Callable[..., AuthorizeResult]:
        """Bolt's `authorize` function. A plain function: Bolt passes arguments by the names
        it reads from the signature, and would take a method's `self` for one of them."""

        def authorize(team_id: str | None, user_id: str | None) -> AuthorizeResult:
            return self.authorize(team_id=team_id, user_id=user_id)

        return authorize

    def bolt_template(self) -> WebClient:
        """The tokenless client Bolt copies its settings (address, timeout, retries) from;
        each request's token comes from `authorize`."""
        return self._web_client(None)

    def _web_client(self, token: str | None) -> WebClient:
        return WebClient(token=token, base_url=self._settings.slack_api_url,
                         timeout=TIMEOUT_SECONDS, retry_handlers=[
                             ConnectionErrorRetryHandler(),
                             RateLimitErrorRetryHandler(max_retry_count=1),
                         ])
