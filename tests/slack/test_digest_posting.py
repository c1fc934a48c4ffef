"""The team digest posted as the scheduler posts it (issue 10, item 1): the `post-digests` job
and the outbox sender run on the runtime's job context and a frozen clock, the fake Slack
records what lands. When the team's window closes the headline goes to its channel, once;
then its detail in the headline's thread; then an answer that came late, marked late."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.checkins import answering
from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.people.models import Workspace
from bot.scheduler import run_job
from bot.summaries.models import TeamDigest
from bot.summaries.posting import post_digests
from tests.conftest import TEAM_ID
from tests.slack.conftest import RunningBot
from tests.slack.test_summary import CLOSES, LARS, MAYA, PRIYA, week_of_rounds
from tests.support.threads import side_by_side

CHANNEL = "C0AILAUNCH"  # the AI Launch team's, in the example plan


def tick(bot: RunningBot, when: datetime) -> None:
    with freeze_time(when):
        context = replace(bot.runtime.jobs, now=lambda: datetime.now(UTC))
        run_job("post-digests", context)
        run_job("send-outbox", context)


def posts(bot: RunningBot) -> list[dict[str, Any]]:
    found = []
    for call in bot.fake.calls_to("chat.postMessage"):
        if call.ok and call.params.get("channel") == CHANNEL:
            blocks = call.params.get("blocks")
            found.append({"ts": call.response["ts"], "thread_ts": call.params.get("thread_ts"),
                          "text": call.params["text"],
                          "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    return found


def test_the_digest_goes_out_once_with_its_thread_and_late_answers(
        planned: RunningBot) -> None:
    bot = planned
    week_of_rounds(bot)
    tick(bot, CLOSES - timedelta(minutes=5))  # the window is still open: nothing yet
    assert posts(bot) == []

    tick(bot, CLOSES + timedelta(minutes=1))  # closed: the headline
    tick(bot, CLOSES + timedelta(minutes=2))  # it has its ts: the detail, in its thread
    tick(bot, CLOSES + timedelta(minutes=3))  # nothing more

    [head, *thread] = posts(bot)
    assert head["thread_ts"] is None
    assert head["blocks"][0]["text"]["text"] == "AI Launch: the week in OKRs"
    assert "1 on time, 1 late, 1 excused, 1 missed. Missed: Priya Raman" in \
        head["blocks"][1]["text"]["text"]
    assert thread and {t["thread_ts"] for t in thread} == {head["ts"]}
    detail = json.dumps([t["blocks"] for t in thread], ensure_ascii=False)
    assert "*Optimize onboarding experience for AI features*" in detail
    assert "Shipped &lt;tours&gt; (U0AIPM001)" in detail

    # Lars manages the team: his whole reporting line's week, by DM, once.
    [to_lars] = [c for c in bot.fake.calls_to("chat.postMessage")
                 if c.ok and c.params["channel"] == bot.fake.dm_channel(LARS)]
    lars = json.dumps(to_lars.params["blocks"], ensure_ascii=False)
    assert "Lars Eriksen's reporting line: the week in OKRs" in lars
    assert "/okr summary <@U0AIVP001>" in lars

    # Priya answers after the digest went out: added to its thread, marked late, once.
    with bot.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        priya = session.scalars(select(CheckinRound).where(
            CheckinRound.slack_user_id == PRIYA)).one()
        session.add(CheckinAnswer(
            workspace_id=workspace.id, slack_user_id=PRIYA, round_id=priya.id,
            question_set_id=answering.question_set(session, workspace, CLOSES).id, part=1,
            submission_key="late", submitted_at=CLOSES + timedelta(hours=3),
            answers={"accomplished": "Caught up on the tests", "priorities": "Safari"}))
    tick(bot, CLOSES + timedelta(hours=3, minutes=1))
    tick(bot, CLOSES + timedelta(hours=3, minutes=2))
    late = [p for p in posts(bot) if "(late)" in json.dumps(p["blocks"])]
    assert len(late) == 1 and late[0]["thread_ts"] == head["ts"]
    assert "*Priya Raman* (late)" in json.dumps(late[0]["blocks"])


def test_two_jobs_at_once_post_one_digest(planned: RunningBot) -> None:
    bot = planned
    week_of_rounds(bot)
    side_by_side(lambda _: post_digests(bot.session_factory, bot.runtime.chains,
                                        CLOSES + timedelta(minutes=1)), [1, 2], within=60)
    with bot.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TeamDigest)) == 1
    tick(bot, CLOSES + timedelta(minutes=2))
    assert len([p for p in posts(bot) if p["thread_ts"] is None]) == 1


def test_a_manager_posts_it_on_demand_and_a_member_is_told_how_to_preview(
        planned: RunningBot) -> None:
    bot = planned
    week_of_rounds(bot)
    asked_at = CLOSES - timedelta(hours=1)  # mid-week, before the window closes
    with freeze_time(asked_at):
        member = bot.slack.command("summary ai-launch", user_id=MAYA)
        manager = bot.slack.command("summary ai-launch", user_id=LARS)
        again = bot.slack.command("summary", user_id=LARS)  # his own team, the same minute
    assert "To see it yourself, ask for a preview" in member.json["text"]
    assert manager.json["text"] == ("AI Launch's digest goes to <#C0AILAUNCH> within the minute, "
                                    "its detail in the thread.")
    assert again.json["text"] == "AI Launch's digest is on its way to <#C0AILAUNCH> already."
    tick(bot, asked_at + timedelta(seconds=30))
    tick(bot, asked_at + timedelta(seconds=90))
    [head, *thread] = posts(bot)
    assert head["blocks"][0]["text"]["text"] == "AI Launch: the week in OKRs"
    assert "1 on time, 1 late, 1 excused, 1 missed" in head["blocks"][1]["text"]["text"]
    assert thread and {t["thread_ts"] for t in thread} == {head["ts"]}
    # No manager DM for a digest asked for on demand: that is the weekly one's.
    assert not [c for c in bot.fake.calls_to("chat.postMessage")
                if c.params.get("channel") == bot.fake.dm_channel(LARS)]
