"""An org-wide (Enterprise Grid) install through OAuth v2, end to end: the browser, okr-bot's
pages, the fake Slack answering oauth.v2.access as Slack does for an org (no team, the
enterprise, is_enterprise_install), signed requests from the org's workspaces, token rotation
of the org's one token, and the org's uninstall."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot import clock
from bot.db import transaction
from bot.install.models import Installation
from bot.lifecycle import flows
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from bot.people.models import Workspace
from bot.slack.clients import SlackClients
from tests.conftest import SIGNING_SECRET
from tests.fakes import SlackSender
from tests.install.conftest import OAuthBot, replica_clients, tokens_at_once

ORG, ORG_NAME = "E0GRID", "Grid Corp"
GRID1, GRID2 = "T0GRID1", "T0GRID2"


@pytest.fixture
def org_bot(oauth_bot: OAuthBot) -> OAuthBot:
    oauth_bot.fake.oauth.add_org(ORG, ORG_NAME, (GRID1, GRID2))
    return oauth_bot


def org_sender(bot: OAuthBot, team_id: str, enterprise_id: str = ORG) -> SlackSender:
    """Requests from a workspace of the org, where okr-bot is installed org-wide."""
    org = bot.fake.oauth.teams[ORG]
    return SlackSender(f"{bot.url}/slack/events", SIGNING_SECRET, team_id=team_id,
                       bot_user_id=org.bot_user_id, response_urls=bot.fake.response_url,
                       enterprise_id=enterprise_id, is_enterprise_install=True)


def installations(bot: OAuthBot) -> list[Installation]:
    with bot.runtime.session_factory() as session:
        return list(session.scalars(select(Installation).order_by(Installation.id)))


def workspace(bot: OAuthBot, team_id: str) -> Workspace:
    with bot.runtime.session_factory() as session:
        return session.scalars(select(Workspace).where(Workspace.slack_team_id == team_id)).one()


def reply_text(bot: OAuthBot, sender: SlackSender, text: str) -> str:
    """What the person sees for `/okr text`: the reply, or what went to its response_url."""
    bot.fake.responses.clear()
    reply = sender.command(text, user_id="W0MAYA")
    assert reply.status == 200, reply.body
    answer = reply.json or bot.fake.wait_for_response(1)[-1]["json"]
    return str(answer.get("text") or answer)


def test_an_org_wide_install_stores_one_encrypted_installation_for_the_org(
        org_bot: OAuthBot) -> None:
    page = org_bot.install(ORG)
    assert page.status == 200, page.body
    assert f"okr-bot is installed org-wide in {ORG_NAME}" in page.body
    # What the admin does next: add it to the org's workspaces, in Slack's admin pages.
    assert (f"https://app.slack.com/manage/{ORG}/integrations/profile/"
            f"{org_bot.fake.app_id}/workspaces/add") in page.body
    [access] = org_bot.fake.calls_to("oauth.v2.access")
    assert access.response["is_enterprise_install"] is True
    assert access.response["team"] is None
    [row] = installations(org_bot)
    org = org_bot.fake.oauth.teams[ORG]
    assert (row.slack_team_id, row.enterprise_id, row.is_enterprise_install, row.team_name) \
        == (None, ORG, True, ORG_NAME)
    assert (row.bot_user_id, row.bot_id) == (org.bot_user_id, org.bot_id)
    assert org.tokens[0] not in row.bot_token_encrypted  # ciphertext only
    keyring = org_bot.runtime.slack.installations.keyring  # type: ignore[union-attr]
    assert keyring.decrypt(row.bot_token_encrypted) == org.tokens[0]
    # Installing again replaces the org's installation: still one row, the new token.
    assert org_bot.install(ORG).status == 200
    [again] = installations(org_bot)
    assert again.id == row.id and keyring.decrypt(again.bot_token_encrypted) == org.tokens[1]


def test_each_workspace_of_the_org_is_answered_with_the_orgs_token(org_bot: OAuthBot) -> None:
    org_bot.install(ORG)
    org_bot.install("T0ALPHA")  # a workspace of its own, outside the org
    for team_id in (GRID1, GRID2):
        assert "reinstall" not in reply_text(org_bot, org_sender(org_bot, team_id), "help")
        # The request said which org the workspace is in: remembered for its jobs.
        assert workspace(org_bot, team_id).enterprise_id == ORG
        assert org_bot.runtime.slack.token_for(team_id) == org_bot.fake.oauth.teams[ORG].tokens[0]
    assert org_bot.runtime.slack.token_for("T0ALPHA") == \
        org_bot.fake.oauth.teams["T0ALPHA"].tokens[0]
    assert workspace(org_bot, "T0ALPHA").enterprise_id is None
    # Another org, where okr-bot is not installed, is asked to install it.
    elsewhere = org_sender(org_bot, "T0OTHER1", enterprise_id="E0OTHER")
    assert "reinstall" in reply_text(org_bot, elsewhere, "help").lower()
    assert org_bot.fake.problems == []


@pytest.fixture
def rotating_org(org_bot: OAuthBot) -> OAuthBot:
    org_bot.fake.oauth.token_rotation = True
    assert org_bot.install(ORG).status == 200
    for team_id in (GRID1, GRID2):  # each workspace has been heard from
        reply_text(org_bot, org_sender(org_bot, team_id), "help")
    return org_bot


@pytest.fixture
def replicas(rotating_org: OAuthBot, database_url: str) -> Iterator[list[SlackClients]]:
    with replica_clients(database_url, rotating_org.fake) as clients:
        yield clients


def test_the_orgs_token_is_refreshed_once_for_all_its_workspaces(
        rotating_org: OAuthBot, replicas: list[SlackClients]) -> None:
    fake = rotating_org.fake.oauth
    fake.refresh_delay = 0.3  # the first refresher is still waiting for Slack
    later = clock.now() + timedelta(hours=11)  # an hour left: inside the two-hour margin
    with freeze_time(later):
        # Two replicas, each for another workspace of the org, at the same moment.
        tokens = tokens_at_once(list(zip(replicas, (GRID1, GRID2), strict=True)))
        assert fake.refreshes == 1 and fake.refused == []
        assert tokens == [fake.teams[ORG].tokens[1]] * 2
        assert rotating_org.runtime.slack.token_for(GRID1) == fake.teams[ORG].tokens[1]
    [row] = installations(rotating_org)
    assert row.bot_token_expires_at == later + timedelta(seconds=43_200)
    assert fake.teams[ORG].tokens[1] not in row.bot_token_encrypted


@pytest.mark.parametrize(("event", "mark"), [
    ({"type": "app_uninstalled"}, "uninstalled_at"),
    ({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTGRID"]}},
     "tokens_revoked_at"),
])
def test_the_orgs_uninstall_stops_every_workspace_of_the_org_and_a_reinstall_clears_it(
        org_bot: OAuthBot, event: dict, mark: str) -> None:
    org_bot.install(ORG)
    org_bot.install("T0ALPHA")
    for team_id in (GRID1, GRID2):
        reply_text(org_bot, org_sender(org_bot, team_id), "help")
    with transaction(org_bot.runtime.session_factory) as session:
        for team_id in (GRID1, GRID2, "T0ALPHA"):
            enqueue(session, team_id=team_id, kind="checkin", dedupe_key="k", text="Hi",
                    user_id="W0MAYA")

    assert org_sender(org_bot, GRID1).event(event).status == 200

    assert [row.slack_team_id for row in installations(org_bot)] == ["T0ALPHA"]
    for team_id in (GRID1, GRID2):
        assert getattr(workspace(org_bot, team_id), mark) is not None
    assert workspace(org_bot, "T0ALPHA").uninstalled_at is None
    assert workspace(org_bot, "T0ALPHA").tokens_revoked_at is None
    with org_bot.runtime.session_factory() as session:
        queue = {m.team_id: m.status for m in session.scalars(select(OutboxMessage))}
    assert queue == {GRID1: "failed", GRID2: "failed", "T0ALPHA": "queued"}
    assert "reinstall" in reply_text(org_bot, org_sender(org_bot, GRID2), "help").lower()
    # Both come together when an app is removed; the second finds nothing left to delete.
    other = "tokens_revoked" if event["type"] == "app_uninstalled" else "app_uninstalled"
    assert org_sender(org_bot, GRID2).event({"type": other}).status == 200
    assert [row.slack_team_id for row in installations(org_bot)] == ["T0ALPHA"]

    # Installed org-wide again: every workspace of the org is back.
    assert org_bot.install(ORG).status == 200
    for team_id in (GRID1, GRID2):
        found = workspace(org_bot, team_id)
        assert (found.uninstalled_at, found.tokens_revoked_at) == (None, None)
        assert "reinstall" not in reply_text(org_bot, org_sender(org_bot, team_id), "help")
    with org_bot.runtime.session_factory() as session:
        assert flows.due_for_purge(session, now=clock.now() + timedelta(days=400),
                                   retention=timedelta(days=30)) == []
