"""app_uninstalled and tokens_revoked, signed as Slack sends them: the workspace's tokens
are deleted at once, in the transaction that marks it; the other workspace keeps its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.install.models import Installation
from bot.people.models import Workspace
from tests.conftest import SIGNING_SECRET
from tests.fakes import SlackSender
from tests.install.conftest import OAuthBot


def sender(bot: OAuthBot, team_id: str) -> SlackSender:
    team = bot.fake.oauth.teams[team_id]
    return SlackSender(f"{bot.url}/slack/events", SIGNING_SECRET, team_id=team_id,
                       bot_user_id=team.bot_user_id, response_urls=bot.fake.response_url)


def installed_teams(bot: OAuthBot) -> list[str]:
    with bot.runtime.session_factory() as session:
        return sorted(session.scalars(select(Installation.slack_team_id)))


def workspace(bot: OAuthBot, team_id: str) -> Workspace:
    with bot.runtime.session_factory() as session:
        return session.scalars(select(Workspace).where(Workspace.slack_team_id == team_id)).one()


@pytest.mark.parametrize("event", [
    {"type": "app_uninstalled"},
    {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTLPHA"]}},
])
def test_uninstall_or_revoke_deletes_the_teams_tokens_and_marks_it(
        oauth_bot: OAuthBot, event: dict) -> None:
    oauth_bot.install("T0ALPHA")
    oauth_bot.install("T0BETA")
    reply = sender(oauth_bot, "T0ALPHA").event(event)
    assert reply.status == 200, reply.body
    assert installed_teams(oauth_bot) == ["T0BETA"]
    marked = workspace(oauth_bot, "T0ALPHA")
    assert (marked.uninstalled_at or marked.tokens_revoked_at) is not None
    assert workspace(oauth_bot, "T0BETA").uninstalled_at is None
    # Both come together when an app is removed; the second finds nothing left to delete.
    other = "tokens_revoked" if event["type"] == "app_uninstalled" else "app_uninstalled"
    assert sender(oauth_bot, "T0ALPHA").event({"type": other}).status == 200
    assert installed_teams(oauth_bot) == ["T0BETA"]


def test_a_workspace_without_an_installation_is_asked_to_reinstall(oauth_bot: OAuthBot) -> None:
    oauth_bot.install("T0ALPHA")
    sender(oauth_bot, "T0ALPHA").event({"type": "app_uninstalled"})
    reply = sender(oauth_bot, "T0ALPHA").command("help", user_id="U0ALICE")
    assert reply.status == 200
    answer = reply.json or oauth_bot.fake.wait_for_response(1)[-1]["json"]
    assert "reinstall" in answer["text"].lower()
    assert oauth_bot.fake.calls_to("chat.postMessage") == []
    # Installed again through OAuth: it answers, and the marks are gone.
    oauth_bot.install("T0ALPHA")
    assert workspace(oauth_bot, "T0ALPHA").uninstalled_at is None
    helped = sender(oauth_bot, "T0ALPHA").command("help", user_id="U0ALICE")
    assert helped.status == 200 and "reinstall" not in helped.body.lower()
