"""A check-in from due time to answer, through the real parts: the check-in job queues the DM,
the outbox sender delivers it to the fake Slack (conversations.open, then chat.postMessage to
the D… channel), the person clicks Start check-in, submits the modal, and gets a confirmation
DM. Run as `okr-bot jobs run` would, on the runtime's own job context and a frozen clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.scheduler import run_job
from bot.slack import ids
from tests.people.plans import import_zones_plan
from tests.slack.conftest import RunningBot
from tests.slack.test_checkin_modal import filled

DUE = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # Tuesday 10:30 in London: Ana's check-in


def deliver(bot: RunningBot, at: datetime) -> None:
    with freeze_time(at):
        context = replace(bot.runtime.jobs, now=lambda: datetime.now(UTC))
        run_job("run-checkins", context)
        run_job("send-outbox", context)


def test_the_dm_arrives_once_and_the_answer_is_recorded(bot: RunningBot) -> None:
    import_zones_plan(bot.session_factory)
    deliver(bot, DUE)
    deliver(bot, DUE.replace(minute=31))  # the next tick sends nothing new
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel")]
    ana = bot.fake.dm_channel("U0ANA")
    to_ana = [c for c in posts if c.params["channel"] == ana]
    assert len(to_ana) == 1
    blocks = to_ana[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    [start] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == ids.CHECKIN_START]

    bot.fake.reset()
    with freeze_time(DUE.replace(minute=40)):
        bot.slack.block_actions([start], user_id="U0ANA",
                                response_url=bot.fake.response_url("dm"))
        [opened] = bot.fake.wait_for("views.open")
        view = opened.params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        reply = bot.slack.view_submission(filled(view, **{
            f"{ids.QUESTION}accomplished": "Planned the quarter"}), user_id="U0ANA")
    assert reply.json["response_action"] == "update"
    with bot.session_factory() as session:
        [answered] = session.scalars(select(CheckinRound).where(
            CheckinRound.slack_user_id == "U0ANA")).all()
        assert answered.status == "answered"
        [answer] = session.scalars(select(CheckinAnswer)).all()
        assert answer.round_id == answered.id
    bot.fake.reset()
    deliver(bot, DUE.replace(minute=41))
    confirmations = [c for c in bot.fake.calls_to("chat.postMessage")
                     if c.params.get("channel") == ana]
    assert len(confirmations) == 1 and "Your check-in is saved" in str(confirmations[0].params)


def test_the_home_tab_shows_this_weeks_check_in_and_the_next(bot: RunningBot) -> None:
    import_zones_plan(bot.session_factory)
    bot.fake.add_user("U0ANA", real_name="Ana", tz="Europe/London")
    deliver(bot, DUE)
    with freeze_time(DUE.replace(minute=45)):
        bot.slack.event({"type": "app_home_opened", "user": "U0ANA", "tab": "home"})
        home = json.dumps(bot.fake.wait_for("views.publish")[0].params["view"])
    assert "This week's check-in is open until Thursday 03 December, 10:30 (Europe/London)" \
        in home
    assert "Next check-in: Tuesday 08 December, 10:30 (Europe/London)." in home
