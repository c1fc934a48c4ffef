"""What reaches /slack/events that Slack did not send, or sent with a body we cannot read:
the signature is checked first, on the raw body, so nobody unsigned can make us parse."""

from __future__ import annotations

import json
import logging
import urllib.parse

import pytest

from bot.people.models import Workspace
from bot.slack.blocks.mrkdwn import MESSAGE_TEXT_LIMIT, SECTION_TEXT_LIMIT
from bot.slack.models import SlackEventReceipt
from tests.conftest import sqlite_only
from tests.fakes.signing import FORM, JSON
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example
from tests.slack.test_http import count

B2B_OWNER = "U0SCEO001"  # owns the North Star in examples/b2b-saas.yml

MALFORMED = {
    "json that does not parse": (b"{bad", JSON),
    "json that is not an object": (b"[1, 2]", JSON),
    "a payload whose actions is a string": (
        urllib.parse.urlencode({"payload": json.dumps({
            "type": "block_actions", "actions": "share", "team": {"id": "T0TEST"},
            "user": {"id": "U0ALICE"}})}).encode(), FORM),
    "a payload that is not json": (b"payload=%7Bnope", FORM),
    "a payload that is a json string": (b"payload=%22hello%22", FORM),
}


def loud_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "refused" in r.getMessage()]


@sqlite_only  # refused before the database is read: the backend does not matter
@pytest.mark.parametrize("case", MALFORMED)
def test_an_unsigned_malformed_body_gets_401_and_one_quiet_line(
        bot: RunningBot, caplog: pytest.LogCaptureFixture, case: str) -> None:
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.INFO)

    unsigned = bot.slack.post(body, {"Content-Type": content_type}, sign=False)
    forged = bot.slack.post(body, {"Content-Type": content_type}, signing_secret="wrong")

    assert (unsigned.status, forged.status) == (401, 401)
    assert loud_records(caplog) == []
    assert len(refusals(caplog)) == 2, [r.getMessage() for r in caplog.records]
    assert all(r.levelno in (logging.INFO, logging.WARNING) for r in refusals(caplog))
    assert count(bot, Workspace) == 0


@sqlite_only  # refused before the database is read: the backend does not matter
@pytest.mark.parametrize("timestamp", ["soon", "", "1e9", "-1", "99999999999999999999999"])
def test_a_timestamp_that_is_not_a_number_gets_401_and_one_quiet_line(
        bot: RunningBot, caplog: pytest.LogCaptureFixture, timestamp: str) -> None:
    caplog.set_level(logging.INFO)
    body = b"{bad"
    reply = bot.slack.post(body, {"Content-Type": JSON, "X-Slack-Request-Timestamp": timestamp,
                                  "X-Slack-Signature": "v0=" + "0" * 64}, sign=False)

    assert reply.status == 401
    assert loud_records(caplog) == []
    assert len(refusals(caplog)) == 1


@sqlite_only  # refused before the database is read: the backend does not matter
@pytest.mark.parametrize("case", MALFORMED)
def test_a_signed_malformed_body_gets_400_without_a_traceback(
        bot: RunningBot, caplog: pytest.LogCaptureFixture, case: str) -> None:
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.INFO)

    reply = bot.slack.post(body, {"Content-Type": content_type})

    assert reply.status == 400
    assert [r for r in caplog.records if r.exc_info] == []
    assert count(bot, SlackEventReceipt) == 0


def test_a_signed_request_still_works_after_all_that(bot: RunningBot) -> None:
    # Positive control: the same sender, signing properly, gets an answer.
    bot.slack.post(b"{bad", {"Content-Type": JSON}, sign=False)
    reply = bot.slack.command("help")
    assert reply.status == 200
    assert "okr-bot commands" in reply.body


def section_texts(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        if block.get("type") == "section":
            texts += [block["text"]["text"]] if "text" in block else []
            texts += [field["text"] for field in block.get("fields", [])]
    return texts


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize("typed", ["status " + "&" * 10_000, "tree " + "<" * 10_000,
                                   "update " + "&" * 10_000 + " 3", "&" * 10_000,
                                   "blocker add " + "&" * 10_000])
def test_escaping_never_grows_a_reply_past_slacks_limits(bot: RunningBot, typed: str) -> None:
    import_example(bot)
    answer = bot.answer(bot.slack.command(typed, user_id=B2B_OWNER))

    assert "&amp;&amp;" in answer["text"] or "&lt;&lt;" in answer["text"], answer["text"][:200]
    assert len(answer["text"]) <= MESSAGE_TEXT_LIMIT
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in section_texts(answer["blocks"]))
    assert validate_blocks(answer["blocks"]) == []
