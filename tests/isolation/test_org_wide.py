"""Acceptance for an Enterprise Grid org installed org-wide (issue 11): one installation, the
org's, with one bot token; two workspaces of the org with the same example plan imported into
each (same names, keys and user ids: a Grid user has one id in every workspace). Each
workspace sees only its own data over signed HTTP, and its check-in DMs and digest are sent
with the org's token; our data stays keyed by workspace."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins.rounds import CheckinRound
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.people.models import Workspace
from tests.install.conftest import OAuthBot
from tests.install.test_org_wide import GRID1, GRID2, ORG, ORG_NAME, org_sender
from tests.isolation.test_two_workspaces import (
    CHANNEL,
    CLOSED,
    MAYA,
    NOW,
    PEOPLE,
    answer,
    sent,
    tick,
    token_team,
    updated_apart,
)
from tests.support.templates import EXAMPLE_PLAN


@pytest.fixture
def org(oauth_bot: OAuthBot) -> OAuthBot:
    oauth_bot.fake.oauth.add_org(ORG, ORG_NAME, (GRID1, GRID2))
    assert oauth_bot.install(ORG).status == 200
    plan = load_plan(EXAMPLE_PLAN).plan
    assert plan is not None
    # The first workspace's plan does not say it is in the org (a request will); the
    # second's does.
    for team_id, enterprise in ((GRID1, None), (GRID2, ORG)):
        with oauth_bot.runtime.session_factory.begin() as session:
            import_plan(db_session=session, plan=plan.model_copy(
                update={"workspace": team_id, "enterprise": enterprise}))
    for user_id in PEOPLE:
        oauth_bot.fake.add_user(user_id)
    return oauth_bot


def org_tokens_only(org: OAuthBot) -> bool:
    calls = [c for c in org.fake.calls if c.method != "oauth.v2.access"]
    return bool(calls) and {token_team(org, call) for call in calls} == {ORG}


def test_each_workspace_of_the_org_sees_only_its_own_values(org: OAuthBot) -> None:
    updated_apart(org, org_sender(org, GRID1), org_sender(org, GRID2))
    # Every call Slack got since the install was made with the org's token.
    assert org_tokens_only(org)
    assert org.fake.problems == []


def test_jobs_reach_each_workspace_of_the_org_with_the_orgs_token(org: OAuthBot) -> None:
    with org.runtime.session_factory() as session:
        assert session.scalar(select(Workspace.enterprise_id).where(
            Workspace.slack_team_id == GRID1)) is None
    with freeze_time(NOW - timedelta(hours=12)):  # the first is heard from once
        assert org_sender(org, GRID1).command("help", user_id=MAYA).status == 200
    with org.runtime.session_factory() as session:
        assert dict(session.execute(select(Workspace.slack_team_id, Workspace.enterprise_id)
                                    .order_by(Workspace.slack_team_id)).all()) == \
            {GRID1: ORG, GRID2: ORG}
    org.fake.reset()
    tick(org, NOW, "run-checkins")
    tick(org, NOW + timedelta(minutes=1))  # anything the pacing held back
    with org.runtime.session_factory() as session:
        rounds = Counter(session.execute(
            select(Workspace.slack_team_id).join(
                CheckinRound, CheckinRound.workspace_id == Workspace.id)).scalars())
    assert rounds == {GRID1: len(PEOPLE), GRID2: len(PEOPLE)}
    dms = [c for c in sent(org, "chat.postMessage") if c.params["channel"].startswith("D")]
    # One DM per person and workspace, every one with the org's token.
    assert Counter(c.params["channel"] for c in dms) == \
        {org.fake.dm_channel(user): 2 for user in PEOPLE}
    assert {token_team(org, call) for call in dms} == {ORG}

    org.fake.reset()
    for minute in range(3):  # the headline, then its thread
        tick(org, CLOSED + timedelta(minutes=minute), "run-checkins", "post-digests")
    digests = [c for c in sent(org, "chat.postMessage") if c.params["channel"] == CHANNEL]
    heads = [c for c in digests if not c.params.get("thread_ts")]
    assert len(heads) == 2  # one per workspace
    assert org_tokens_only(org)
    assert org.fake.problems == []


def test_a_click_from_the_org_without_a_team_shares_its_own_workspaces_status(
        org: OAuthBot) -> None:
    one, two = org_sender(org, GRID1), org_sender(org, GRID2)
    with freeze_time(NOW):
        answer(org, one.command("update first-week-activation 16.5%", user_id=MAYA))
        org.fake.responses.clear()
        shown = two.command("status onboarding", user_id=MAYA)
        org.fake.responses.clear()
        status = json.loads(answer(org, shown))
        [button] = [e for b in status["blocks"] if b["type"] == "actions"
                    for e in b["elements"] if e.get("value", "").startswith("status")]
        org.fake.responses.clear()
        # Installed org-wide, Slack sends the click with no team; the person's is GRID2.
        clicked = two.block_actions([{**button, "block_id": "share", "type": "button"}],
                                    user_id=MAYA, response_url=org.fake.response_url("share"))
        assert clicked.status == 200, clicked.body
        [posted] = org.fake.wait_for_response()
    shared = json.dumps(posted["json"])
    assert posted["json"]["response_type"] == "in_channel"
    assert "13.8% / 20%" in shared and "16.5" not in shared  # GRID2's value, not GRID1's
