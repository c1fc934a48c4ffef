"""`/okr update`s that arrive together are answered in one transaction (bot/slack/grouped.py),
and each person still gets what they would have got alone: their own reply, their refusal,
the reply a replay got before, an apology (and nothing stored) when Slack's time ran out.

The first update's transaction is held back by a write the test keeps open (SQLite's write
lock, a table lock on PostgreSQL), so the ones sent meanwhile queue and form the next group.
Both backends: this is about locking and transactions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from bot import deadline
from bot.db import UnitOfWork, make_engine
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Measurement, Metric
from bot.slack.grouped import Grouped
from bot.slack.models import SlackRequestReceipt
from bot.slack.router import CommandRequest, Together
from bot.slack.subcommands.update import TOGETHER
from tests.conftest import TEAM_ID
from tests.fakes.signing import new_trigger_id
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example

# Key results of examples/b2b-saas.yml and their owners.
OWNERS = {"gross-churn": "U0SCS0001", "pipeline-created": "U0SMKT001",
          "seat-upgrades": "U0SCRO001", "dashboard-daily": "U0SPRD001",
          "first-contact-resolution": "U0SSUP001"}


@contextmanager
def writes_held(bot: RunningBot) -> Iterator[None]:
    """Hold back every write to measurements until the block ends."""
    engine = make_engine(bot.runtime.settings.database_url)
    try:
        with engine.begin() as connection:  # on SQLite: BEGIN IMMEDIATE, the write lock
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE measurements IN EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def stored(bot: RunningBot, key: str, value: float) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Measurement).join(Metric).where(
            Metric.key == key, Measurement.value == value,
            Measurement.source == Source.SLACK))


def grouped(bot: RunningBot) -> Grouped:
    assert bot.runtime.grouped is not None
    return bot.runtime.grouped


def test_updates_sent_while_one_is_written_are_answered_together_each_with_its_own_reply(
        bot: RunningBot) -> None:
    import_example(bot)
    queue = grouped(bot)
    groups = queue.groups
    replayed = {"trigger_id": new_trigger_id()}
    with ThreadPoolExecutor(max_workers=8) as pool:
        with writes_held(bot):
            first = pool.submit(bot.slack.command, "update gross-churn 6.5",
                                user_id=OWNERS["gross-churn"])
            wait_until(lambda: queue.in_hand == 1)  # the first is being written
            sent = {
                "mine": pool.submit(bot.slack.command, "update pipeline-created 420",
                                    user_id=OWNERS["pipeline-created"], **replayed),
                "again": pool.submit(bot.slack.command, "update pipeline-created 420",
                                     user_id=OWNERS["pipeline-created"], **replayed),
                "typo": pool.submit(bot.slack.command, "update seat-upgradez 7",
                                    user_id=OWNERS["seat-upgrades"]),
                "not theirs": pool.submit(bot.slack.command, "update dashboard-daily 30",
                                          user_id=OWNERS["seat-upgrades"]),
                "percent": pool.submit(bot.slack.command, "update first-contact-resolution 140",
                                       user_id=OWNERS["first-contact-resolution"]),
            }
            wait_until(lambda: queue.waiting == len(sent))
        replies = {name: future.result(timeout=10) for name, future in sent.items()}

    assert "→ *6.5%*" in first.result().json["blocks"][0]["text"]["text"]
    assert "→ *420 k USD*" in replies["mine"].json["blocks"][0]["text"]["text"]
    assert replies["again"].body == replies["mine"].body  # a replay: the same reply
    assert "No key result or KPI matches “seat-upgradez”" in replies["typo"].json["text"]
    assert "dashboard" in replies["not theirs"].json["text"].lower()
    assert replies["not theirs"].json["blocks"][0]["text"]["text"].startswith(":no_entry:")
    assert "100" in replies["percent"].json["text"]
    # Stored once each, and only what was accepted.
    assert (stored(bot, "gross-churn", 6.5), stored(bot, "pipeline-created", 420)) == (1, 1)
    assert stored(bot, "dashboard-daily", 30) == 0
    assert stored(bot, "first-contact-resolution", 140) == 0
    with bot.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SlackRequestReceipt)) == 2
    # The first alone; the four others in one transaction; the replay, held back from its
    # twin's group, in a third that found the receipt.
    assert queue.groups - groups == 3


def _request(bot: RunningBot, args: str, user_id: str) -> CommandRequest:
    return CommandRequest(args=args, user_id=user_id, team_id=TEAM_ID, channel_id=None,
                          unit_of_work=UnitOfWork(bot.session_factory),
                          chains=bot.runtime.chains)


def _answer(queue: Grouped, request: CommandRequest, together: Together = TOGETHER,
            seconds: float = 2.5) -> dict:
    with deadline.within(seconds):  # as every Slack request has (bot/slack/dispatch.py)
        return queue.answer(request, trigger_id=new_trigger_id(), together=together)


def test_an_update_answered_without_us_meanwhile_is_not_stored_and_the_others_are(
        bot: RunningBot) -> None:
    import_example(bot)
    queue = Grouped(bot.session_factory)
    gate = threading.Event()
    ahead = _request(bot, "seat-upgrades 8", OWNERS["seat-upgrades"])
    late = _request(bot, "gross-churn 4.4", OWNERS["gross-churn"])
    on_time = _request(bot, "pipeline-created 404", OWNERS["pipeline-created"])

    def answer(session, requests):  # type: ignore[no-untyped-def]
        if ahead in requests:
            gate.wait(5)  # while it is answered, the other two queue
        replies = TOGETHER.answer(session, requests)
        if late in requests:  # written, not committed: the HTTP edge gives up on it
            assert late.unit_of_work.abandon()
        return replies

    together = Together(applies=TOGETHER.applies, answer=answer)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(_answer, queue, ahead, together)]
        wait_until(lambda: queue.in_hand == 1)
        futures += [pool.submit(_answer, queue, r, together) for r in (late, on_time)]
        wait_until(lambda: queue.waiting == 2)
        gate.set()
        _ahead, late_reply, on_time_reply = (f.result(timeout=10) for f in futures)

    assert "nothing was changed" in late_reply["text"]
    assert "→ 404 k USD" in on_time_reply["text"]
    assert (stored(bot, "gross-churn", 4.4), stored(bot, "pipeline-created", 404)) == (0, 1)
    assert on_time.unit_of_work.committed and not late.unit_of_work.committed
    assert queue.groups == 2  # the one ahead; the other, again without the late one


def test_a_group_whose_transaction_fails_is_answered_one_by_one(bot: RunningBot) -> None:
    import_example(bot)
    queue = Grouped(bot.session_factory)
    gate = threading.Event()

    def failing_with_others(session, requests):  # type: ignore[no-untyped-def]
        gate.wait(5)
        if len(requests) > 1 and any("seat-upgrades" in r.args for r in requests):
            raise RuntimeError("a fault of one request's")
        if any("seat-upgrades" in r.args for r in requests):
            raise RuntimeError("still failing alone")
        return TOGETHER.answer(session, requests)

    together = Together(applies=TOGETHER.applies, answer=failing_with_others)
    asks = [_request(bot, "gross-churn 5.5", OWNERS["gross-churn"]),
            _request(bot, "seat-upgrades 9", OWNERS["seat-upgrades"]),
            _request(bot, "pipeline-created 405", OWNERS["pipeline-created"])]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures: list[Future[dict]] = [pool.submit(_answer, queue, asks[0], together)]
        wait_until(lambda: queue.in_hand == 1)
        futures += [pool.submit(_answer, queue, a, together) for a in asks[1:]]
        wait_until(lambda: queue.waiting == 2)
        gate.set()
        first, second, third = futures
        assert "→ 5.5%" in first.result(timeout=10)["text"]
        with pytest.raises(RuntimeError, match="still failing alone"):
            second.result(timeout=10)
        assert "→ 405 k USD" in third.result(timeout=10)["text"]
    assert (stored(bot, "gross-churn", 5.5), stored(bot, "pipeline-created", 405)) == (1, 1)
    assert stored(bot, "seat-upgrades", 9) == 0


def test_an_update_still_queued_when_its_time_runs_out_gets_an_apology_and_is_not_stored(
        bot: RunningBot) -> None:
    import_example(bot)
    queue = Grouped(bot.session_factory)
    with ThreadPoolExecutor(max_workers=2) as pool:
        with writes_held(bot):
            first = pool.submit(_answer, queue,
                                _request(bot, "gross-churn 3.3", OWNERS["gross-churn"]))
            wait_until(lambda: queue.in_hand == 1)
            hurried = pool.submit(_answer, queue, _request(
                bot, "pipeline-created 333", OWNERS["pipeline-created"]), TOGETHER, 0.1)
            reply = hurried.result(timeout=5)  # given up on while the first still waits
            assert not first.done()
        assert "→ 3.3%" in first.result(timeout=10)["text"]

    assert "nothing was changed" in reply["text"]
    assert (stored(bot, "gross-churn", 3.3), stored(bot, "pipeline-created", 333)) == (1, 0)
    assert queue.waiting == 0
