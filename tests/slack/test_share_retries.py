"""Posting to a response_url: what can be retried is, within bounds, and a Share that could
not be posted is not lost without a word."""

from __future__ import annotations

import json
import socket
import time

import pytest

from bot.slack import response_url
from tests.conftest import sqlite_only
from tests.fakes import FakeSlack
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example

OWNER = "U0SCS0001"  # owns reduce-churn in examples/b2b-saas.yml
MESSAGE = {"response_type": "in_channel", "replace_original": False, "text": "Q2 is green"}


def test_server_errors_are_retried_until_one_gets_through(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next_responses(status=500, times=2)
    assert response_url.post(fake_slack.response_url("share"), MESSAGE) is True
    assert len(fake_slack.refused_responses) == 2
    assert [r["json"] for r in fake_slack.responses] == [MESSAGE]


def test_a_429_waits_as_long_as_retry_after_says(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next_responses(status=429, retry_after=1)
    assert response_url.post(fake_slack.response_url("share"), MESSAGE) is True
    [refused] = fake_slack.refused_responses
    [accepted] = fake_slack.responses
    assert accepted["received_at"] - refused["received_at"] >= 0.95


def test_a_429_asking_for_too_long_a_wait_is_given_up_at_once(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next_responses(status=429, retry_after=60)
    started = time.monotonic()
    assert response_url.post(fake_slack.response_url("share"), MESSAGE) is False
    assert time.monotonic() - started < 2
    assert fake_slack.responses == []


def test_tries_are_bounded(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next_responses(status=503, times=10)
    started = time.monotonic()
    assert response_url.post(fake_slack.response_url("share"), MESSAGE) is False
    assert len(fake_slack.refused_responses) == response_url.TRIES
    assert time.monotonic() - started < sum(response_url.BACKOFF_SECONDS) + 2


def test_a_refusal_that_will_not_change_is_not_retried(fake_slack: FakeSlack) -> None:
    # The fake answers 404 for a path that is no response_url, as Slack does for a used one.
    assert response_url.post(f"{fake_slack.url}/nowhere", MESSAGE) is False
    assert fake_slack.responses == fake_slack.refused_responses == []


def test_no_answer_is_a_timeout_and_is_retried_within_bounds() -> None:
    # A server that accepts the connection and never answers, as a stalled proxy would.
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/response/share/1"
        started = time.monotonic()
        assert response_url.post(url, MESSAGE, timeout=0.3) is False
        elapsed = time.monotonic() - started
    assert 3 * 0.3 <= elapsed < 3 * 0.3 + sum(response_url.BACKOFF_SECONDS) + 1.5


def click_share(bot: RunningBot, **failures: int) -> None:
    """Show a status, then click its Share button with the response_url failing so."""
    import_example(bot)
    answer = bot.answer(bot.slack.command("status reduce-churn", user_id=OWNER))
    [button] = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.fake.reset()  # what follows is the click's alone
    bot.fake.fail_next_responses(**failures)
    clicked = bot.slack.block_actions([{**button, "block_id": "share", "type": "button"}],
                                      user_id=OWNER, response_url=bot.fake.response_url("share"))
    assert clicked.status == 200


@sqlite_only  # Slack's side: the backend does not matter
def test_a_share_that_slack_keeps_refusing_tells_the_person(bot: RunningBot) -> None:
    click_share(bot, status=500, times=response_url.TRIES)

    [told] = bot.fake.wait_for_response(timeout=10)
    assert len(bot.fake.refused_responses) == response_url.TRIES
    assert told["json"]["response_type"] == "ephemeral"
    assert told["json"]["replace_original"] is False
    assert "could not be shared" in told["json"]["text"]
    assert "try again" in told["json"]["text"]


@sqlite_only  # Slack's side: the backend does not matter
@pytest.mark.parametrize("status", [429, 502])
def test_a_share_refused_once_is_posted_on_a_retry(bot: RunningBot, status: int) -> None:
    click_share(bot, status=status, retry_after=1)

    [shared] = bot.fake.wait_for_response(timeout=10)
    assert shared["json"]["response_type"] == "in_channel"
    assert "Shared by <@U0SCS0001>" in json.dumps(shared["json"]["blocks"])
    assert len(bot.fake.refused_responses) == 1
