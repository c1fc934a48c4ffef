"""The install through OAuth v2, end to end: the browser, okr-bot's pages, the fake Slack's
oauth.v2.access, and what is stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml
from freezegun import freeze_time
from sqlalchemy import select

from bot import clock
from bot.install.models import Installation, OAuthState
from bot.install.oauth import BOT_SCOPES
from bot.people.models import Workspace
from tests.fakes.oauth import CLIENT_ID
from tests.install.conftest import OAuthBot, browse

ROOT = Path(__file__).resolve().parents[2]


def installation(bot: OAuthBot, team_id: str) -> Installation | None:
    with bot.runtime.session_factory() as session:
        return session.scalar(select(Installation).where(Installation.slack_team_id == team_id))


def test_install_redirects_to_slacks_authorize_page_with_a_state_and_its_cookie(
        oauth_bot: OAuthBot) -> None:
    page = browse(f"{oauth_bot.url}/slack/install")
    assert page.status == 302
    url = urlsplit(page.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    state = query["state"][0]
    assert page.cookies["slack-app-oauth-state"] == state
    with oauth_bot.runtime.session_factory() as session:  # any replica can take it back
        assert session.get(OAuthState, state) is not None


def test_the_redirect_exchanges_the_code_and_stores_the_installation(
        oauth_bot: OAuthBot) -> None:
    page = oauth_bot.install("T0ALPHA")
    assert page.status == 200, page.body
    assert "okr-bot is installed in Alpha Inc" in page.body
    [access] = oauth_bot.fake.calls_to("oauth.v2.access")
    assert access.ok and access.params["code"].startswith("code-T0ALPHA-")
    row = installation(oauth_bot, "T0ALPHA")
    assert row is not None
    team = oauth_bot.fake.oauth.teams["T0ALPHA"]
    assert (row.bot_user_id, row.bot_id, row.team_name) == (team.bot_user_id, team.bot_id,
                                                            "Alpha Inc")
    assert row.bot_scopes == ",".join(BOT_SCOPES)
    assert team.tokens[0] not in row.bot_token_encrypted  # ciphertext only
    keyring = oauth_bot.runtime.slack.installations.keyring  # type: ignore[union-attr]
    assert keyring.decrypt(row.bot_token_encrypted) == team.tokens[0]
    assert oauth_bot.runtime.slack.token_for("T0ALPHA") == team.tokens[0]
    with oauth_bot.runtime.session_factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.slack_team_id == "T0ALPHA"))
        assert workspace is not None and workspace.name == "Alpha Inc"


def test_a_replayed_state_is_refused_with_a_page_saying_why(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start()
    first = oauth_bot.come_back({"code": oauth_bot.fake.oauth.authorize("T0ALPHA"),
                                 "state": state}, cookie)
    assert first.status == 200
    again = oauth_bot.come_back({"code": oauth_bot.fake.oauth.authorize("T0BETA"),
                                 "state": state}, cookie)
    assert again.status == 401
    assert "This install link has expired or was already used" in again.body
    assert 'href="/slack/install"' in again.body
    assert installation(oauth_bot, "T0BETA") is None
    assert len(oauth_bot.fake.calls_to("oauth.v2.access")) == 1


def test_a_state_made_up_or_from_another_browser_is_refused(oauth_bot: OAuthBot) -> None:
    state, _ = oauth_bot.start()
    code = oauth_bot.fake.oauth.authorize("T0ALPHA")
    no_cookie = oauth_bot.come_back({"code": code, "state": state}, None)
    assert no_cookie.status == 400
    assert "finish it in the same browser" in no_cookie.body
    made_up = oauth_bot.come_back({"code": code, "state": "made-up"},
                                  "slack-app-oauth-state=made-up")
    assert made_up.status == 401
    assert "expired or was already used" in made_up.body
    assert oauth_bot.fake.calls_to("oauth.v2.access") == []
    assert installation(oauth_bot, "T0ALPHA") is None


def test_an_expired_state_is_refused(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start()
    code = oauth_bot.fake.oauth.authorize("T0ALPHA")
    with freeze_time(clock.now() + timedelta(minutes=11)):
        page = oauth_bot.come_back({"code": code, "state": state}, cookie)
    assert page.status == 401
    assert "expired or was already used" in page.body
    assert installation(oauth_bot, "T0ALPHA") is None


def test_a_code_slack_refuses_and_a_cancelled_install_say_so(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start()
    page = oauth_bot.come_back({"code": "code-never-issued", "state": state}, cookie)
    assert page.status == 401
    assert "Slack did not accept the authorization code" in page.body
    state, cookie = oauth_bot.start()
    cancelled = oauth_bot.come_back({"error": "access_denied", "state": state}, cookie)
    assert "The install was cancelled in Slack." in cancelled.body
    assert installation(oauth_bot, "T0ALPHA") is None


def test_a_reinstall_clears_the_uninstall_marks(oauth_bot: OAuthBot) -> None:
    oauth_bot.install("T0ALPHA")
    with oauth_bot.runtime.session_factory.begin() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.slack_team_id == "T0ALPHA"))
        assert workspace is not None
        workspace.uninstalled_at = workspace.tokens_revoked_at = clock.now()
    assert oauth_bot.install("T0ALPHA").status == 200
    with oauth_bot.runtime.session_factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.slack_team_id == "T0ALPHA"))
        assert workspace is not None
        assert (workspace.uninstalled_at, workspace.tokens_revoked_at) == (None, None)
    # The new token replaced the old one: one row per workspace.
    assert oauth_bot.runtime.slack.token_for("T0ALPHA") == \
        oauth_bot.fake.oauth.teams["T0ALPHA"].tokens[-1]


def test_the_scopes_asked_for_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]
