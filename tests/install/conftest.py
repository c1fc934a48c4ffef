"""okr-bot in OAuth mode, served over real HTTP, with the fake Slack's OAuth side behind it,
and a browser that goes through the install as a person would."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings, load_settings
from bot.db import make_engine, make_session_factory
from bot.serve import Runtime, build_runtime
from bot.slack.clients import SlackClients
from tests.conftest import SIGNING_SECRET
from tests.fakes import FakeSlack
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.server import serving

# Fixed keys, so a failing test can be replayed; made with Fernet.generate_key().
KEY = "pQ2o0cTpSyMbtlAeS6v5BBCeP0F0PT3EohNt7pa9ARo="
NEW_KEY = "3Jf8lQ9nkSgJ3YOmc0w1hUuQm3dM1X2Qe9cF1bqgq1c="
assert Fernet(KEY) and Fernet(NEW_KEY)


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]
    cookies: dict[str, str]

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the test looks at each redirect itself


def browse(url: str, cookie: str | None = None) -> Page:
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    cookies: dict[str, str] = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        cookies |= {name: morsel.value for name, morsel in parsed.items()}
    headers = {name.title(): value for name, value in response.headers.items()}
    return Page(response.status, response.read().decode(), headers, cookies)


@dataclass
class OAuthBot:
    url: str
    runtime: Runtime
    fake: FakeSlack

    def start(self) -> tuple[str, str]:
        """GET /slack/install: the state Slack's authorize page is given, and the cookie."""
        page = browse(f"{self.url}/slack/install")
        assert page.status == 302, page
        state = parse_qs(urlsplit(page.location).query)["state"][0]
        return state, f"slack-app-oauth-state={page.cookies['slack-app-oauth-state']}"

    def come_back(self, query: dict[str, str], cookie: str | None) -> Page:
        return browse(f"{self.url}/slack/oauth_redirect?{urlencode(query)}", cookie)

    def install(self, team_id: str) -> Page:
        """The whole install into `team_id`, as a person's browser goes through it."""
        state, cookie = self.start()
        code = self.fake.oauth.authorize(team_id)  # the person clicks Allow in Slack
        return self.come_back({"code": code, "state": state}, cookie)


def oauth_settings(database_url: str, fake: FakeSlack, *, keys: str = KEY) -> Settings:
    return load_settings(env_file=None, slack_client_id=CLIENT_ID,
                         slack_client_secret=CLIENT_SECRET, okr_bot_encryption_key=keys,
                         slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.base_url,
                         database_url=database_url)


@contextmanager
def replica_clients(database_url: str, fake: FakeSlack,
                    count: int = 2) -> Iterator[list[SlackClients]]:
    """`count` more okr-bot processes on the same database: each its own engine and clients."""
    engines = [make_engine(database_url) for _ in range(count)]
    try:
        settings = oauth_settings(database_url, fake)
        yield [SlackClients(settings, session_factory=make_session_factory(e)) for e in engines]
    finally:
        for engine in engines:
            engine.dispose()


def tokens_at_once(asks: list[tuple[SlackClients, str]]) -> list[str]:
    """Each replica asks for its team's token at the same moment (threads released together):
    the tokens they got. What any of them raised fails the test."""
    start = threading.Barrier(len(asks))
    tokens: list[str] = []
    errors: list[BaseException] = []

    def ask(slack: SlackClients, team_id: str) -> None:
        try:
            start.wait()
            tokens.append(slack.token_for(team_id))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ask, args=pair) for pair in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    return tokens


@pytest.fixture
def oauth_bot(database_url: str, fake_slack: FakeSlack) -> Iterator[OAuthBot]:
    fake_slack.oauth.add_team("T0ALPHA", "Alpha Inc")
    fake_slack.oauth.add_team("T0BETA", "Beta GmbH")
    runtime = build_runtime(oauth_settings(database_url, fake_slack))
    with serving(runtime.web_app(with_scheduler=False)) as url:  # closes the runtime after
        yield OAuthBot(url, runtime, fake_slack)
