"""Commands that would be slow are acknowledged first and answered through response_url; the
chain is rebuilt in the background after a write, so the next command does not wait."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from bot.config import Settings
from bot.db import make_session_factory, read_only_session_factory
from bot.okrs.plans.files import load_plan
from bot.okrs.store import cache as chain_cache
from bot.okrs.store.importer import import_plan
from bot.people.models import Workspace
from bot.serve import build_runtime
from bot.slack.blocks.working import WORKING_TEXT
from tests.conftest import TEAM_ID, sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot
from tests.support.server import serving

ROOT = Path(__file__).resolve().parents[2]
MAYA = "U0AIPM001"


@pytest.fixture
def every_build_is_slow(bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Judge every build too slow for a request, as a 5,000-key-result plan's is."""
    monkeypatch.setattr(bot.runtime.chains, "quick_build_seconds", 0.0)
    monkeypatch.setattr(bot.runtime.chains, "quick_build_metrics", 0)


@pytest.fixture
def imported_elsewhere(bot: RunningBot) -> RunningBot:
    """The AI example plan, imported as `okr-bot plan import` does from another process: the
    server's sessions never see the write, so nothing rebuilds the chain ahead of a command."""
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    with make_session_factory(bot.runtime.engine).begin() as session:
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": TEAM_ID}))
    bot.runtime.chains.wait_idle()
    return bot


def workspace(bot: RunningBot) -> Workspace:
    with bot.session_factory() as session:
        return session.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM_ID)).one()


def shown(payload: dict) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False)


def test_a_slow_command_is_acknowledged_at_once_and_answered_through_response_url(
        imported_elsewhere: RunningBot, every_build_is_slow: None) -> None:
    bot = imported_elsewhere

    reply = bot.slack.command("status onboarding", user_id=MAYA)

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert reply.json["text"] == WORKING_TEXT
    assert validate_blocks(reply.json["blocks"]) == []
    [posted] = bot.fake.wait_for_response(1, timeout=30)
    answer = posted["json"]
    assert answer["replace_original"] is True
    assert answer["response_type"] == "ephemeral"
    assert validate_blocks(answer["blocks"]) == []
    assert "Optimize onboarding experience for AI features" in shown(answer)
    assert "*First-week activation*" in shown(answer)
    assert bot.fake.problems == []


def test_once_built_the_same_command_is_answered_in_the_acknowledgement(
        imported_elsewhere: RunningBot, every_build_is_slow: None) -> None:
    bot = imported_elsewhere
    bot.answer(bot.slack.command("tree", user_id=MAYA))
    bot.fake.responses.clear()

    reply = bot.slack.command("tree", user_id=MAYA)

    assert reply.json["text"] != WORKING_TEXT
    assert "North Star *Monthly AI Feature Engaged Users*" in shown(reply.json)
    assert bot.fake.responses == []


def test_after_an_update_the_chain_is_brought_up_to_date_in_the_background(
        imported_elsewhere: RunningBot, every_build_is_slow: None) -> None:
    bot = imported_elsewhere
    bot.answer(bot.slack.command("status onboarding", user_id=MAYA))
    chains = bot.runtime.chains
    builds, updates = chains.builds, chains.updates

    bot.slack.command("update first-week-activation 16.5%", user_id=MAYA)
    chains.wait_idle()

    # Only what the measurement feeds is recomputed: the chain is not rebuilt whole.
    assert (chains.builds, chains.updates) == (builds, updates + 1)
    reply = bot.slack.command("status onboarding", user_id=MAYA)
    assert reply.json["text"] != WORKING_TEXT, "the updated chain answers at once"
    assert "16.5%" in shown(reply.json)


def test_a_refused_update_does_not_rebuild_the_chain(imported_elsewhere: RunningBot) -> None:
    bot = imported_elsewhere
    bot.answer(bot.slack.command("status onboarding", user_id=MAYA))
    builds = bot.runtime.chains.builds

    bad_value = bot.slack.command("update first-week-activation abc", user_id=MAYA)
    not_theirs = bot.slack.command("update first-week-activation 15", user_id="U0NOBODY1")
    bot.runtime.chains.wait_idle()

    assert "is not a number" in bad_value.body
    assert "Only the owner of" in not_theirs.body

    assert bot.runtime.chains.builds == builds


def test_an_old_chain_is_served_while_a_fresh_one_is_computed_behind_it(
        imported_elsewhere: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = imported_elsewhere
    bot.answer(bot.slack.command("status onboarding", user_id=MAYA))
    builds = bot.runtime.chains.builds
    monkeypatch.setattr(bot.runtime.chains, "refresh_seconds", 0.0)

    reply = bot.slack.command("status onboarding", user_id=MAYA)
    bot.runtime.chains.wait_idle()

    assert reply.json["text"] != WORKING_TEXT
    assert bot.runtime.chains.builds > builds, "past its age, recomputed in the background"


def test_a_chain_left_idle_too_long_is_recomputed_before_it_is_served(
        imported_elsewhere: RunningBot) -> None:
    bot = imported_elsewhere
    bot.answer(bot.slack.command("status onboarding", user_id=MAYA))
    bot.runtime.chains.wait_idle()
    builds = bot.runtime.chains.builds
    idle = datetime.now(UTC) + timedelta(seconds=chain_cache.MAX_STALE_SECONDS + 1)

    with freeze_time(idle, tick=True, ignore=["asyncio"]):
        reply = bot.slack.command("status onboarding", user_id=MAYA)

    assert bot.runtime.chains.builds == builds + 1, "recomputed in the request, not behind it"
    assert reply.json["text"] != WORKING_TEXT


def test_starting_the_server_builds_every_workspaces_chain(
        imported_elsewhere: RunningBot) -> None:
    bot = imported_elsewhere
    bot.runtime.chains.clear()
    ws = workspace(bot)
    with bot.session_factory() as session:
        assert bot.runtime.chains.cached(session, ws) is None

    bot.runtime.chains.warm(bot.runtime.engine)
    bot.runtime.chains.wait_idle()

    with bot.session_factory() as session:
        chain = bot.runtime.chains.cached(session, ws)
    assert chain is not None
    assert chain.north_star is not None
    assert chain.north_star.name == "Monthly AI Feature Engaged Users"


@sqlite_only  # the start-up's order of work: the backend does not matter
def test_a_served_app_warms_every_chain_as_it_starts(settings: Settings, planned: RunningBot
                                                     ) -> None:
    """What `okr-bot serve` does at start (the test bots skip it: most tests read no chain)."""
    runtime = build_runtime(settings)
    with serving(runtime.web_app(with_scheduler=False)):
        runtime.chains.wait_idle()
        assert runtime.chains.builds == 1
        with runtime.session_factory() as session:
            ws = session.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM_ID)
                                 ).one()
            chain = runtime.chains.cached(session, ws)
        assert chain is not None and chain.north_star is not None


def test_a_read_only_session_never_holds_a_writer_up(bot: RunningBot) -> None:
    """On SQLite every other transaction takes the write lock first (BEGIN IMMEDIATE); the
    background rebuild's read must not, or an update would wait for it and, after 2 s, fail
    with "database is locked"."""
    engine = bot.runtime.engine
    reading = threading.Event()
    release = threading.Event()

    def long_read() -> None:
        with read_only_session_factory(engine)() as session:
            session.execute(text("SELECT count(*) FROM workspaces")).scalar_one()
            reading.set()
            release.wait(10)

    reader = threading.Thread(target=long_read)
    reader.start()
    try:
        assert reading.wait(10)
        with bot.session_factory.begin() as session:  # raises if the read held the lock
            session.add(Workspace(slack_team_id="T0WRITER1"))
    finally:
        release.set()
        reader.join()
    with bot.session_factory() as session:
        assert session.scalar(select(Workspace.id)
                              .where(Workspace.slack_team_id == "T0WRITER1")) is not None
