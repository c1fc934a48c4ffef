"""Action-trigger alerts through the real parts: a value recorded with `/okr update` over signed
HTTP, the `check-alerts` job and the outbox sender run as the scheduler runs them, the DMs
read from the fake Slack, and the DM's buttons clicked as Slack sends them. Each crossing is
told once, however many checks pass; again only after recovery."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import select

from bot.alerts.job import check_alerts
from bot.alerts.models import STATUS, TRIGGER, MetricAlert
from bot.checkins.models import Blocker
from bot.okrs.store.models import Metric
from bot.scheduler import run_job
from bot.slack import ids
from tests.conftest import sqlite_only
from tests.slack.conftest import RunningBot
from tests.slack.test_checkin_modal import filled
from tests.support.threads import side_by_side

MAYA = "U0AIPM001"  # owns the onboarding-completion KPI
PRIYA = "U0AIUX001"  # neither its owner nor Maya's manager
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # every objective of the example has ended
KPI = "onboarding-completion"


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def update(bot: RunningBot, value: str, when: datetime) -> None:
    with freeze_time(when):
        reply = bot.slack.command(f"update {KPI} {value}", user_id=MAYA)
    assert reply.status == 200 and "→" in reply.json["text"], reply.json


def tick(bot: RunningBot, when: datetime) -> None:
    """The check-alerts job, then the sender: what the scheduler does."""
    with freeze_time(when):
        context = replace(bot.runtime.jobs, now=lambda: datetime.now(UTC))
        run_job("check-alerts", context)
        run_job("send-outbox", context)


def alert_dms(bot: RunningBot, about: str = KPI) -> list[dict[str, Any]]:
    """The alert DMs the fake Slack accepted about the metric, oldest first."""
    found = []
    for call in bot.fake.calls_to("chat.postMessage"):
        blocks = call.params.get("blocks")
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
        if call.ok and any(b.get("block_id") == ids.ALERT_ACTIONS for b in blocks) \
                and f"`{about}`" in blocks[0]["text"]["text"]:
            found.append({"channel": call.params["channel"], "blocks": blocks,
                          "text": call.params["text"]})
    return found


def alerts(bot: RunningBot, kind: str | None = None) -> list[MetricAlert]:
    with bot.session_factory() as session:
        query = (select(MetricAlert).join(Metric, Metric.id == MetricAlert.metric_id)
                 .where(Metric.key == KPI).order_by(MetricAlert.id))
        if kind:
            query = query.where(MetricAlert.kind == kind)
        return list(session.scalars(query))


def button(dm: dict[str, Any], action_id: str) -> dict[str, Any]:
    [found] = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == action_id]
    return found


def click(bot: RunningBot, dm: dict[str, Any], action_id: str, *, user: str = MAYA,
          minutes: int = 5) -> list[dict[str, Any]]:
    """A button of the DM clicked as Slack sends it; what okr-bot posted back to it."""
    with freeze_time(at(minutes)):
        bot.fake.reset()
        bot.slack.block_actions([button(dm, action_id)], user_id=user,
                                response_url=bot.fake.response_url("dm"),
                                message={"blocks": dm["blocks"]})
        return bot.fake.wait_for_response(timeout=10)


def red_alert(bot: RunningBot) -> dict[str, Any]:
    """Onboarding completion recorded red, the check run: the status alert's DM."""
    update(bot, "4.5", at(0))
    tick(bot, at(1))
    return alert_dms(bot)[-1]


def test_each_crossing_is_told_once_and_again_only_after_recovery(planned: RunningBot) -> None:
    bot = planned
    update(bot, "4.5", at(0))  # red, and below the plan's 5% trigger
    tick(bot, at(1))
    tick(bot, at(6))  # another check: nothing new to tell
    tick(bot, at(11))

    dms = alert_dms(bot)
    assert [d["text"] for d in dms] == [
        "KPI AI feature onboarding completion rate met a trigger: 4.5% is below 5%",
        "KPI AI feature onboarding completion rate turned red"]
    assert {d["channel"] for d in dms} == {bot.fake.dm_channel(MAYA)}
    trigger_dm, status_dm = dms
    assert "*What the plan says to do:* Emergency review: check for technical issues" in \
        json.dumps(trigger_dm["blocks"])
    # Nobody works on it (the plan's objectives ended): the method's objective is proposed.
    assert "The method calls for one: “Restore AI feature onboarding completion rate from " \
        "4.5% to 20% by 31 March 2027”" in json.dumps(status_dm["blocks"], ensure_ascii=False)
    assert [(a.kind, a.level, a.recovered_at) for a in alerts(bot)] == [
        (TRIGGER, "red", None), (STATUS, "red", None)]

    update(bot, "21", at(20))  # green again: re-armed
    tick(bot, at(21))
    assert alerts(bot, STATUS)[0].recovered_at == at(21)
    update(bot, "4.4", at(30))  # and red again: a new crossing of both
    tick(bot, at(31))
    tick(bot, at(36))

    assert [d["text"].rsplit(" ", 1)[-1] for d in alert_dms(bot)] == ["5%", "red", "5%", "red"]
    assert len(alerts(bot)) == 4


def test_two_checks_at_once_tell_a_crossing_once(planned: RunningBot) -> None:
    bot = planned
    update(bot, "4.5", at(0))
    side_by_side(lambda _: check_alerts(bot.session_factory, bot.runtime.chains, at(1)),
                 [1, 2], within=60)
    tick(bot, at(2))
    assert [d["text"] for d in alert_dms(bot)][-1].endswith("turned red")
    assert len(alerts(bot, STATUS)) == 1
    assert len(alert_dms(bot)) == 2  # the trigger's and the status's


def test_acknowledge_and_snooze_from_the_dm(planned: RunningBot) -> None:
    bot = planned
    status_dm = red_alert(bot)

    [updated] = click(bot, status_dm, ids.ALERT_ACKNOWLEDGE)
    assert updated["json"]["replace_original"] is True
    assert "Acknowledged by you" in json.dumps(updated["json"]["blocks"])
    assert all(b.get("block_id") != ids.ALERT_ACTIONS for b in updated["json"]["blocks"])
    assert alerts(bot, STATUS)[0].acknowledged_by == MAYA

    click(bot, status_dm, ids.ALERT_SNOOZE, minutes=6)
    assert alerts(bot, STATUS)[0].snoozed_until == at(6) + timedelta(days=7)

    # Within the week it recovers and falls again: recorded, not sent.
    update(bot, "21", at(60))
    tick(bot, at(61))
    update(bot, "4.4", at(70))
    tick(bot, at(71))
    assert alert_dms(bot) == []  # the fake's record was reset at the snooze click
    assert [(a.level, a.muted) for a in alerts(bot)][-2:] == [("red", True), ("red", True)]


def test_someone_else_cannot_act_on_an_owners_alert(planned: RunningBot) -> None:
    bot = planned
    [refused] = click(bot, red_alert(bot), ids.ALERT_ACKNOWLEDGE, user=PRIYA)
    assert refused["json"].get("replace_original") is False
    assert "Only the owner of AI feature onboarding completion rate" in refused["json"]["text"]
    assert alerts(bot, STATUS)[0].acknowledged_at is None


def test_open_a_blocker_from_the_dm(planned: RunningBot) -> None:
    bot = planned
    status_dm = red_alert(bot)
    with freeze_time(at(5)):
        bot.fake.reset()
        bot.slack.block_actions([button(status_dm, ids.ALERT_BLOCKER)], user_id=MAYA,
                                response_url=bot.fake.response_url("dm"))
        [opened] = bot.fake.wait_for("views.open")
        view = opened.params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        empty = bot.slack.view_submission(filled(view), user_id=MAYA)
        assert empty.json == {"response_action": "errors",
                              "errors": {ids.ALERT_BLOCKER_TEXT: "Say what is in the way."}}
        done = bot.slack.view_submission(
            filled(view, **{ids.ALERT_BLOCKER_TEXT: "Tour script <broken> on Safari"}),
            user_id=MAYA)
    assert done.json["response_action"] == "update"
    assert "is open on AI feature onboarding completion rate" in json.dumps(done.json)
    with bot.session_factory() as session:
        [blocker] = session.scalars(select(Blocker)).all()
        metric = session.get(Metric, blocker.metric_id)
    assert (blocker.text, metric.key, blocker.author) == (
        "Tour script <broken> on Safari", KPI, MAYA)


@sqlite_only  # wording: the backend does not matter
def test_the_proposed_objective_as_a_plan_snippet(planned: RunningBot) -> None:
    bot = planned
    [sent] = click(bot, red_alert(bot), ids.ALERT_SNIPPET)
    text = json.dumps(sent["json"]["blocks"], ensure_ascii=False)
    assert sent["json"]["replace_original"] is False
    assert "- key: restore-onboarding-completion" in text
    assert "okr-bot plan import" in text
