"""Acceptance for many workspaces (issue 11): two installed through OAuth, each with its own
bot token from Slack, the same example plan imported into each (same names, keys and user
ids). Each sees only its own data for /okr status and update over signed HTTP, and each gets
its own check-in DMs and its own digest, sent with its own token."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins.rounds import CheckinRound
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.people.models import Workspace
from bot.scheduler import run_job
from bot.slack.blocks.working import WORKING_TEXT
from tests.fakes import SlackReply, SlackSender
from tests.fakes.slack_api import RecordedCall
from tests.install.conftest import OAuthBot
from tests.install.test_uninstall import sender
from tests.support.templates import EXAMPLE_PLAN

ALPHA, BETA = "T0ALPHA", "T0BETA"
MAYA = "U0AIPM001"  # owns the onboarding objective in both plans
# The AI Launch team's members and its manager: everyone in the plan checks in.
PEOPLE = {"U0AIFE001", "U0AIGM001", "U0AIML001", "U0AIPM001", "U0AIUX001", "U0AIVP001"}
CHANNEL = "C0AILAUNCH"
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # check-ins: Monday 09:00 each person's time
NOW = MONDAY + timedelta(hours=20)  # every member's 09:00 has passed, no window has closed
CLOSED = MONDAY + timedelta(days=3, hours=12)  # every 48-hour window has closed


@pytest.fixture
def two(oauth_bot: OAuthBot) -> OAuthBot:
    plan = load_plan(EXAMPLE_PLAN).plan
    assert plan is not None
    for team_id in (ALPHA, BETA):
        assert oauth_bot.install(team_id).status == 200
        with oauth_bot.runtime.session_factory.begin() as session:
            import_plan(db_session=session, plan=plan.model_copy(update={"workspace": team_id}))
    for user_id in PEOPLE:
        oauth_bot.fake.add_user(user_id)
    return oauth_bot


def answer(bot: OAuthBot, reply: SlackReply) -> str:
    """What the person sees, as text: the reply, or what was posted to its response_url."""
    assert reply.status == 200, reply.body
    if reply.json is not None and reply.json.get("text") != WORKING_TEXT:
        return json.dumps(reply.json, ensure_ascii=False)
    return json.dumps(bot.fake.wait_for_response(1)[-1]["json"], ensure_ascii=False)


def updated_apart(bot: OAuthBot, first: SlackSender, second: SlackSender) -> None:
    """The same key result updated in two workspaces, each to its own value: each status shows
    its own value only."""
    with freeze_time(NOW):
        assert "16.5" in answer(bot, first.command("update first-week-activation 16.5%",
                                                   user_id=MAYA))
        bot.fake.responses.clear()
        assert "18.25" in answer(bot, second.command("update first-week-activation 18.25%",
                                                     user_id=MAYA))
        bot.fake.responses.clear()
        in_first = answer(bot, first.command("status onboarding", user_id=MAYA))
        bot.fake.responses.clear()
        in_second = answer(bot, second.command("status onboarding", user_id=MAYA))
    assert "16.5% / 20%" in in_first and "18.25" not in in_first
    assert "18.25% / 20%" in in_second and "16.5" not in in_second


def token_team(bot: OAuthBot, call: RecordedCall) -> str | None:
    return bot.fake.oauth.team_of(call)


def test_each_workspace_sees_only_its_own_values(two: OAuthBot) -> None:
    alpha, beta = sender(two, ALPHA), sender(two, BETA)
    updated_apart(two, alpha, beta)
    # An undo in one workspace takes back that workspace's value only.
    with freeze_time(NOW + timedelta(minutes=5)):
        two.fake.responses.clear()
        answer(two, alpha.command("update first-week-activation undo", user_id=MAYA))
        two.fake.responses.clear()
        in_beta = answer(two, beta.command("status onboarding", user_id=MAYA))
        two.fake.responses.clear()
        in_alpha = answer(two, alpha.command("status onboarding", user_id=MAYA))
    assert "18.25% / 20%" in in_beta
    assert "16.5% / 20%" not in in_alpha and "13.8% / 20%" in in_alpha


def tick(bot: OAuthBot, at: datetime, *jobs: str) -> None:
    with freeze_time(at):
        context = replace(bot.runtime.jobs, now=lambda: datetime.now(UTC))
        for job in jobs:
            run_job(job, context)
        run_job("send-outbox", context)


def sent(bot: OAuthBot, method: str) -> list[RecordedCall]:
    return [call for call in bot.fake.calls_to(method) if call.ok]


def test_each_workspace_gets_its_own_check_ins_and_digest_with_its_own_token(
        two: OAuthBot) -> None:
    tick(two, NOW, "run-checkins")
    tick(two, NOW + timedelta(minutes=1))  # anything the pacing held back
    with two.runtime.session_factory() as session:
        rounds = Counter(session.execute(
            select(Workspace.slack_team_id).join(
                CheckinRound, CheckinRound.workspace_id == Workspace.id)).scalars())
    assert rounds == {ALPHA: len(PEOPLE), BETA: len(PEOPLE)}
    dms = [c for c in sent(two, "chat.postMessage") if c.params["channel"].startswith("D")]
    by_team = Counter(token_team(two, call) for call in dms)
    assert by_team == {ALPHA: len(PEOPLE), BETA: len(PEOPLE)}  # never the other's token
    for team_id in (ALPHA, BETA):
        channels = {c.params["channel"] for c in dms if token_team(two, c) == team_id}
        assert channels == {two.fake.dm_channel(user) for user in PEOPLE}
    for call in sent(two, "conversations.open"):
        assert token_team(two, call) in (ALPHA, BETA)

    two.fake.reset()
    for minute in range(3):  # the headline, then its thread
        tick(two, CLOSED + timedelta(minutes=minute), "run-checkins", "post-digests")
    digests = [c for c in sent(two, "chat.postMessage") if c.params["channel"] == CHANNEL]
    heads = [c for c in digests if not c.params.get("thread_ts")]
    assert sorted(token_team(two, c) for c in heads) == [ALPHA, BETA]
    for head in heads:  # each thread is in its own workspace's channel, with its token
        thread = [c for c in digests if c.params.get("thread_ts") == head.response["ts"]]
        assert thread and {token_team(two, c) for c in thread} == {token_team(two, head)}
    assert all(token_team(two, call) is not None for call in two.fake.calls)
