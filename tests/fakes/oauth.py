"""Slack's side of OAuth v2 for the fake Web API: the authorize page's codes, oauth.v2.access
(a code for tokens, or with token rotation a single-use refresh token for new ones), and
the tokens it issued, each belonging to one workspace (team), or with an org-wide install to
one Enterprise Grid org (`add_org`): then oauth.v2.access answers as Slack does for one
(`is_enterprise_install: true`, `enterprise: {id, name}`, `team: null`), and the org's token
works in each of its workspaces.

FakeSlack (slack_api.py) sends oauth.v2.access here, accepts the tokens issued here beside
its own bot token, and answers auth.test for them as their own workspace's bot.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .slack_api import Answer, FakeSlack, RecordedCall

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-3f6c2a"
EXPIRES_IN = 43_200  # Slack's rotating tokens live 12 hours
# Methods an org-wide token must name the workspace for (`team_id`), per Slack's "changes to
# APIs for organization-wide apps"; the fake refuses them without it.
NEEDS_TEAM_ID = frozenset({"conversations.list", "conversations.create", "users.list",
                           "users.conversations", "usergroups.list", "emoji.list",
                           "files.list", "chat.scheduledMessages.list"})


@dataclass
class FakeTeam:
    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    installer: str
    tokens: list[str] = field(default_factory=list)  # every bot token issued, oldest first
    # An Enterprise Grid org installed org-wide (team_id is then the org's E… id).
    org_wide: bool = False
    workspaces: tuple[str, ...] = ()  # an org's workspaces


class FakeOAuth:
    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.token_rotation = False  # the app's setting: tokens expire and come with refreshes
        self.expires_in = EXPIRES_IN
        self.teams: dict[str, FakeTeam] = {}
        self.refreshes = 0  # refresh tokens spent
        self.refresh_delay = 0.0  # seconds a refresh takes: widens a race between replicas
        self.refresh_error: str | None = None  # what refreshes answer instead (not spent)
        self.refused: list[str] = []  # errors oauth.v2.access answered
        self._codes: dict[str, str] = {}  # code -> team id, until used
        self._live: dict[str, str] = {}  # bot token -> team id
        self._refresh_tokens: dict[str, str] = {}  # unspent refresh token -> team id
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def add_team(self, team_id: str, name: str, *, installer: str = "U0INSTALL") -> FakeTeam:
        with self._lock:
            team = FakeTeam(team_id, name, f"UBOT{team_id[-4:]}", f"B{team_id[-6:]}", installer)
            self.teams[team_id] = team
            return team

    def add_org(self, enterprise_id: str, name: str, workspaces: tuple[str, ...], *,
                installer: str = "W0ADMIN") -> FakeTeam:
        """An Enterprise Grid org with these workspaces, that installs okr-bot org-wide: its
        code and tokens go by `enterprise_id`, as a team's by its id."""
        with self._lock:
            org = FakeTeam(enterprise_id, name, f"UBOT{enterprise_id[-4:]}",
                           f"B{enterprise_id[-6:]}", installer, org_wide=True,
                           workspaces=workspaces)
            self.teams[enterprise_id] = org
            return org

    def authorize(self, team_id: str) -> str:
        """The code Slack's authorize page sends the browser back with, after the person
        allowed the install into `team_id`."""
        with self._lock:
            code = f"code-{team_id}-{next(self._numbers)}"
            self._codes[code] = team_id
            return code

    def token_of(self, call: RecordedCall) -> str:
        return call.headers.get("Authorization", "").removeprefix("Bearer ") or \
            str(call.params.get("token", ""))

    def team_of(self, call: RecordedCall) -> str | None:
        with self._lock:
            return self._live.get(self.token_of(call))

    def revoke(self, team_id: str) -> None:
        with self._lock:
            self._live = {t: team for t, team in self._live.items() if team != team_id}
            self._refresh_tokens = {t: team for t, team in self._refresh_tokens.items()
                                    if team != team_id}

    # -- called by FakeSlack -----------------------------------------------------------------
    def wanted(self, token: str | None) -> str:
        """The token FakeSlack accepts for a bot call: this one if it was issued here."""
        with self._lock:
            return token if token in self._live else self.fake.bot_token  # type: ignore[return-value]

    def answer(self, token: str | None, method: str, params: dict[str, Any],
               problems: list[str]) -> dict[str, Any]:
        answer = self.fake.workspace.answer(method, params, problems)
        with self._lock:
            team = self.teams.get(self._live.get(token or "", ""))
        if team is not None and team.org_wide and method in NEEDS_TEAM_ID \
                and not params.get("team_id"):
            problems.append(f"{method}: an org-wide token names the workspace (team_id)")
            return {"ok": False, "error": "missing_argument"}
        if method == "auth.test" and team is not None:
            answer |= {"team_id": team.team_id, "team": team.name, "user_id": team.bot_user_id,
                       "bot_id": team.bot_id}
            if team.org_wide:
                answer |= {"enterprise_id": team.team_id, "is_enterprise_install": True}
        return answer

    def access(self, call: RecordedCall, headers: dict[str, str]) -> Answer:
        call.problems = []  # client credentials come as Basic auth, which the contract misses
        answer = self._access(call.params, headers)
        if not answer["ok"]:
            with self._lock:
                self.refused.append(answer["error"])
        call.response = answer
        self.fake._record(call)
        return 200, {}, json.dumps(answer).encode()

    def _access(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if params.get("grant_type") == "refresh_token":
            time.sleep(self.refresh_delay)
        with self._lock:
            if params.get("grant_type") == "refresh_token":
                if self.refresh_error is not None:
                    return {"ok": False, "error": self.refresh_error}
                team_id = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
                if team_id is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                self.refreshes += 1
                return self._tokens(self.teams[team_id], rotating=True)
            team_id = self._codes.pop(str(params.get("code")), None)
            if team_id is None:
                return {"ok": False, "error": "invalid_code"}
            return self._tokens(self.teams[team_id], rotating=self.token_rotation)

    def _tokens(self, team: FakeTeam, *, rotating: bool) -> dict[str, Any]:
        number = next(self._numbers)
        token = f"xoxb-{team.team_id}-{number}-fake{number:04d}"
        if rotating:
            token = "xoxe." + token
        team.tokens.append(token)
        self._live[token] = team.team_id
        answer: dict[str, Any] = {
            "ok": True, "app_id": self.fake.app_id, "token_type": "bot",
            "scope": "commands,chat:write,im:write,im:history,channels:history,"
                     "groups:history,users:read",
            "access_token": token, "bot_user_id": team.bot_user_id,
            "team": {"id": team.team_id, "name": team.name}, "enterprise": None,
            "is_enterprise_install": False, "authed_user": {"id": team.installer}}
        if team.org_wide:
            answer |= {"team": None, "enterprise": {"id": team.team_id, "name": team.name},
                       "is_enterprise_install": True}
        if rotating:
            refresh = f"xoxe-1-{team.team_id}-refresh{number:04d}"
            self._refresh_tokens[refresh] = team.team_id
            answer |= {"refresh_token": refresh, "expires_in": self.expires_in}
        return answer
