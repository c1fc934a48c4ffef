"""Fixtures for tests that drive okr-bot as Slack does: a served bot behind real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.serve import Runtime, build_runtime
from bot.slack.blocks.working import WORKING_TEXT
from tests.conftest import SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackReply, SlackSender
from tests.support.server import serving

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningBot:
    """okr-bot serving over real HTTP, with the fake Slack behind its Web API client."""

    url: str
    runtime: Runtime
    fake: FakeSlack
    slack: SlackSender

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self.runtime.session_factory

    def answer(self, reply: SlackReply, timeout: float = 30) -> dict:
        """What the person ends up seeing: the reply itself, or, when it only said it is
        working on it, the answer okr-bot posts to the response_url after it."""
        assert reply.status == 200, reply.body
        if reply.json is None or reply.json.get("text") != WORKING_TEXT:
            return reply.json
        posted = self.fake.wait_for_response(1, timeout=timeout)[-1]["json"]
        assert posted.get("replace_original") is True, posted
        return posted


@pytest.fixture
def bot(settings: Settings, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    runtime = build_runtime(settings)
    # Chains are built when a test first reads one, not warmed at start: most tests read
    # none, and warming cost each of them 30-40 ms of CPU. Warming has its own test
    # (test_slow_commands.py, test_starting_the_server_builds_every_workspaces_chain).
    with serving(runtime.web_app(with_scheduler=False, warm_chains=False)) as url:
        sender = SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID,
                             response_urls=fake_slack.response_url)
        yield RunningBot(url, runtime, fake_slack, sender)


@pytest.fixture
def planned(bot: RunningBot) -> RunningBot:
    """The AI example plan, imported for the team the tests' requests come from: the bot
    serves a copy of a database where it was imported once (tests/support/templates.py)."""
    return bot
