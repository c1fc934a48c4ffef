"""One error handler: the person gets a short apology with a reference, the log gets the rest,
and nothing the failed request wrote is kept."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from bot.people.models import Workspace
from bot.slack.router import CommandRequest, Subcommand
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot


def write_then_fail(request: CommandRequest) -> dict:
    request.db_session.add(Workspace(slack_team_id="T0HALFWRITTEN"))
    request.db_session.flush()
    raise RuntimeError("something deep down broke")


@pytest.fixture
def failing_subcommand(bot: RunningBot) -> None:
    # This runtime's router only: no other bot in the process sees it.
    bot.runtime.router.add(Subcommand("explode", "fails on purpose", "/okr explode",
                                      "/okr explode", write_then_fail))


@pytest.mark.usefixtures("failing_subcommand")
def test_an_unexpected_error_gets_an_apology_with_a_logged_reference(
        bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        reply = bot.slack.command("explode")

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert validate_blocks(reply.json["blocks"]) == []
    reference = re.search(r"reference: `([0-9a-f]{8})`", str(reply.json["blocks"])).group(1)
    assert "something deep down broke" not in reply.body, "internals stay in the log"
    logged = caplog.text
    assert f"reference={reference}" in logged
    assert "something deep down broke" in logged
    with bot.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0


@pytest.mark.usefixtures("failing_subcommand")
def test_the_app_keeps_serving_after_an_error(bot: RunningBot) -> None:
    bot.slack.command("explode")
    reply = bot.slack.command("help")
    assert reply.status == 200
    assert "okr-bot commands" in reply.body
