"""State belongs to the runtime: two runtimes in one process share nothing, and every Web API
call (the Home tab's, a job's) gets its client from the runtime's Slack clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.people.models import Person
from bot.serve import build_runtime
from bot.slack.clients import SlackClients
from bot.slack.router import CommandRequest, Subcommand
from tests.conftest import SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.slack.conftest import ROOT
from tests.support.server import serving

OTHER_TEAM = "T0OTHER"
OTHER_TOKEN = "xoxb-other-workspace"


def ping(request: CommandRequest) -> dict:
    return {"response_type": "ephemeral", "text": f"pong for {request.user_id}"}


def sender(url: str, fake: FakeSlack, team_id: str = TEAM_ID) -> SlackSender:
    return SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=team_id,
                       response_urls=fake.response_url)


def test_two_runtimes_in_one_process_share_nothing(
        settings: Settings, fake_slack: FakeSlack,
        session_factory: sessionmaker[Session]) -> None:
    before = {thread.ident for thread in threading.enumerate()}
    first, second = build_runtime(settings), build_runtime(settings)
    assert first.router is not second.router
    assert first.chains is not second.chains
    assert first.slack is not second.slack
    assert first.slack.client(TEAM_ID) is not second.slack.client(TEAM_ID)
    assert first.jobs is not second.jobs
    assert (first.bolt_app.listener_runner.listener_executor
            is not second.bolt_app.listener_runner.listener_executor)
    # Each runtime's jobs see that runtime's state.
    assert first.jobs.session_factory is first.session_factory
    assert first.jobs.chains is first.chains

    # A subcommand one runtime registers is answered by it alone.
    first.router.add(Subcommand("ping", "answers pong", "/okr ping", "/okr ping", ping))
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    with session_factory.begin() as session:  # neither runtime's session: no refresh queued
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": TEAM_ID}))
    with serving(first.web_app(with_scheduler=False, warm_chains=False)) as first_url, \
            serving(second.web_app(with_scheduler=False, warm_chains=False)) as second_url:
        assert sender(first_url, fake_slack).command("ping").json["text"] == "pong for U0ALICE"
        unknown = sender(second_url, fake_slack).command("ping")
        assert "I don't know `/okr ping`" in unknown.body

        # The chain one runtime builds for /okr status is in its cache only.
        reply = sender(first_url, fake_slack).command("status ai-onboarding")
        assert reply.status == 200
        first.chains.wait_idle()
        assert first.chains.builds >= 1
        assert second.chains.builds == 0

    # Stopped, each runtime has stopped its own workers (requests, listeners, chain builds).
    assert workers_left(before) == []


def workers_left(before: set[int | None], limit: float = 5) -> list[str]:
    deadline = time.monotonic() + limit
    while True:
        left = [thread.name for thread in threading.enumerate()
                if thread.ident not in before and thread.name.startswith("okr-bot")]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


class TwoWorkspaces(SlackClients):
    """Where the OAuth installation store will plug in, standing in for it: the other team's
    bot token, at that team's own Slack (a second fake)."""

    def __init__(self, settings: Settings, other: FakeSlack) -> None:
        super().__init__(settings)
        self.other = other
        self.made: list[str | None] = []

    def token_for(self, team_id: str | None, enterprise_id: str | None = None) -> str:
        return OTHER_TOKEN if team_id == OTHER_TEAM else super().token_for(team_id)

    def client(self, team_id: str | None, enterprise_id: str | None = None) -> WebClient:
        self.made.append(team_id)
        if team_id != OTHER_TEAM:
            return super().client(team_id, enterprise_id)
        return WebClient(token=OTHER_TOKEN, base_url=self.other.base_url)


@pytest.fixture
def other_slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=OTHER_TOKEN, team_id=OTHER_TEAM, bot_user_id="UBOT2") as fake:
        yield fake
        fake.assert_no_problems()


def test_the_home_tab_is_published_with_the_client_the_resolver_gives_the_team(
        settings: Settings, fake_slack: FakeSlack, other_slack: FakeSlack) -> None:
    other_slack.add_user("U0OMAR", real_name="Omar Other", tz="Europe/Paris",
                         profile={"display_name": "omar", "real_name": "Omar Other"})
    clients = TwoWorkspaces(settings, other_slack)
    runtime = build_runtime(settings, slack=clients)
    assert runtime.slack is clients and runtime.jobs.slack is clients

    with serving(runtime.web_app(with_scheduler=False)) as url:
        reply = sender(url, other_slack, team_id=OTHER_TEAM).event(
            {"type": "app_home_opened", "user": "U0OMAR", "channel": "D0OMAR", "tab": "home"})
        assert reply.status == 200
        publish = other_slack.wait_for("views.publish")[0]

    assert publish.params["user_id"] == "U0OMAR"
    texts = str(publish.params["view"]["blocks"])
    assert "Hi omar!" in texts and "/okr help" in texts
    # The other workspace's Slack was asked who the bot is, who the person is and to publish;
    # the bot token's Slack heard none of it.
    assert [c.method for c in other_slack.calls] == ["auth.test", "users.info", "views.publish"]
    assert fake_slack.calls_to("users.info") == fake_slack.calls_to("views.publish") == []
    assert OTHER_TEAM in clients.made
    with runtime.session_factory() as session:
        person = session.scalars(select(Person)).one()
        assert (person.slack_user_id, person.workspace.slack_team_id) == ("U0OMAR", OTHER_TEAM)


def test_jobs_reach_slack_through_their_context(settings: Settings, fake_slack: FakeSlack,
                                                other_slack: FakeSlack) -> None:
    runtime = build_runtime(settings, slack=TwoWorkspaces(settings, other_slack))
    try:
        runtime.jobs.slack.client(OTHER_TEAM).chat_postMessage(channel="U0OMAR", text="hi")
        runtime.jobs.slack.client(TEAM_ID).chat_postMessage(channel="U0ALICE", text="hi")
    finally:
        runtime.close()
    assert [c.params["channel"] for c in other_slack.calls_to("chat.postMessage")] == ["U0OMAR"]
    assert [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")] == ["U0ALICE"]
