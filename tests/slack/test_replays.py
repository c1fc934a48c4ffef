"""A signed request sent again (a replay within the five minutes its signature holds, or a
retry) gets the reply the first one got and writes nothing twice, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from bot import clock
from bot.checkins.models import Blocker
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Measurement
from bot.scheduler import run_job
from bot.slack.models import SlackRequestReceipt
from tests.fakes.signing import new_trigger_id
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example

OWNER = "U0SCS0001"  # owns gross-churn in examples/b2b-saas.yml


def count(bot: RunningBot, model: type, *where: object) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def slack_measurements(bot: RunningBot) -> int:
    return count(bot, Measurement, Measurement.source == Source.SLACK)


def test_an_update_sent_three_times_is_stored_once_with_the_same_reply(
        bot: RunningBot) -> None:
    import_example(bot)
    same = {"trigger_id": new_trigger_id(), "response_url": bot.fake.response_url()}

    replies = [bot.slack.command("update gross-churn 6 renewals slipped", user_id=OWNER,
                                 **same) for _ in range(3)]

    assert [r.status for r in replies] == [200, 200, 200]
    assert "→ 6%" in replies[0].json["text"]
    assert replies[1].body == replies[0].body == replies[2].body
    assert slack_measurements(bot) == 1
    assert count(bot, SlackRequestReceipt) == 1


def test_a_new_request_with_the_same_words_is_a_new_update(bot: RunningBot) -> None:
    import_example(bot)
    for _ in range(2):
        bot.slack.command("update gross-churn 6", user_id=OWNER)
    assert slack_measurements(bot) == 2


def test_a_blocker_replayed_is_raised_once(bot: RunningBot) -> None:
    import_example(bot)
    same = {"trigger_id": new_trigger_id()}
    replies = [bot.slack.command("blocker add gross-churn legal review", user_id=OWNER, **same)
               for _ in range(2)]
    assert replies[0].body == replies[1].body
    assert "B-1" in str(replies[0].json)
    assert count(bot, Blocker) == 1


def test_replays_sent_together_still_store_one_row(bot: RunningBot) -> None:
    import_example(bot)
    same = {"trigger_id": new_trigger_id(), "response_url": bot.fake.response_url()}

    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: bot.slack.command("update gross-churn 7",
                                                            user_id=OWNER, **same), range(4)))

    assert [r.status for r in replies] == [200] * 4
    assert len({r.body for r in replies}) == 1, [r.body[:120] for r in replies]
    assert "→ 7%" in replies[0].json["text"]
    assert slack_measurements(bot) == 1


def test_a_request_that_wrote_nothing_leaves_no_receipt(bot: RunningBot) -> None:
    # Reading (help) or refusing (not the owner) again does no harm, so nothing is stored.
    import_example(bot)
    bot.slack.command("help")
    bot.slack.command("update gross-churn 6", user_id="U0NOBODY1")
    assert count(bot, SlackRequestReceipt) == 0


def test_request_receipts_are_pruned_after_a_day(bot: RunningBot) -> None:
    import_example(bot)
    bot.slack.command("update gross-churn 6", user_id=OWNER)
    assert count(bot, SlackRequestReceipt) == 1

    with freeze_time(clock.now() + timedelta(hours=23)):
        assert "0 request receipts" in run_job("prune-event-receipts", bot.runtime.jobs)
    with freeze_time(clock.now() + timedelta(hours=25)):
        assert "1 request receipts" in run_job("prune-event-receipts", bot.runtime.jobs)
    assert count(bot, SlackRequestReceipt) == 0
