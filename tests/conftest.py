"""Shared fixtures: databases (SQLite and a real PostgreSQL), the fake Slack, a running bot."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import freezegun
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.db import make_engine, make_session_factory
from tests.fakes import FakeSlack
from tests.support.postgres import REQUIRE_VARIABLE, PostgresServer, find_bin_dir
from tests.support.templates import Content, PostgresTemplates, SqliteTemplates

# A test that freezes the app's time must not freeze the served bot's event loop: asyncio's
# timers (uvicorn's shutdown check among them) would wait for a frozen clock, and every such
# test waited 10 s for its server to stop.
freezegun.configure(extend_ignore_list=["asyncio", "uvicorn", "anyio", "starlette"])

# A served test bot's background threads (the chain cache's, a heartbeat) may log a line after
# its test has ended and pytest has closed the stream that test's log went to; logging would
# print "--- Logging error ---" with a traceback into the run's output, noise that hid real
# failures. Tests assert on what they log through caplog, which this does not touch.
logging.raiseExceptions = False

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test"
SIGNING_SECRET = "test-signing-secret-8f14e45f"
TEAM_ID = "T0TEST"

# CI runs the same examples every time, so a landing never hinges on a lucky draw; local runs
# stay random and keep finding new cases (the .hypothesis database remembers failures).
hypothesis_settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

SETTING_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                     "DATABASE_URL", "SLACK_API_URL", "HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT",
                     "OUTBOX_MESSAGES_PER_MINUTE", "OUTBOX_OPENS_PER_MINUTE",
                     "OUTBOX_MAX_ATTEMPTS", "OUTBOX_OPEN_AHEAD_DAYS",
                     "OKR_BOT_RETENTION_DAYS", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
                     "SLACK_REDIRECT_URI", "OKR_BOT_ENCRYPTION_KEY",
                     "SHUTDOWN_DRAIN_SECONDS", "SHUTDOWN_TIMEOUT_SECONDS")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: pytest-xdist hands each worker a first stretch of the collection,
    so none of them is left for the end of the run, when one worker would wait alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests say every setting they use; nothing leaks in from the shell that runs them."""
    for name in SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    reason = None
    if bin_dir is None:
        reason = "no PostgreSQL binaries (initdb, pg_ctl) on this machine"
    server = None
    if reason is None:
        server = PostgresServer(bin_dir)
        try:
            server.start()
        except Exception as error:
            server.stop()
            reason = f"could not start PostgreSQL from {bin_dir}: {error}"
            stderr = getattr(error, "stderr", None)
            if stderr:
                reason += f"\n{stderr}"
    if reason is not None:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1 makes this a failure)")
        pytest.skip(reason)
    assert server is not None
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("templates"), TEAM_ID)


@pytest.fixture(scope="session")
def postgres_templates(postgres: PostgresServer) -> PostgresTemplates:
    return PostgresTemplates(postgres, TEAM_ID)


# Both backends only where the backend matters (storage, locking, concurrency, migrations,
# queries); a test of wording or layout says `@sqlite_only` and runs on SQLite alone.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own on each backend okr-bot supports: migrated (what `okr-bot serve`
    would make of an empty one), with the example plan imported for tests that ask for
    `planned`, or empty for tests marked `empty_database` (the migrations' own); with the rows
    of a test's `@pytest.mark.filled_by(function)` written once into its template."""
    content = (Content.EMPTY if request.node.get_closest_marker("empty_database")
               else Content.PLANNED if "planned" in request.fixturenames else Content.MIGRATED)
    filled_by = request.node.get_closest_marker("filled_by")
    recipe = filled_by.args[0] if filled_by is not None else None
    if request.param == "sqlite":
        files: SqliteTemplates = request.getfixturevalue("sqlite_templates")
        yield files.copy(content, tmp_path / "okr-bot.db", recipe)
        return
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    url = templates.lend(content, recipe)
    yield url
    templates.give_back(url, content, recipe)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, team_id=TEAM_ID) as fake:
        yield fake
        fake.assert_no_problems()


@pytest.fixture
def settings(database_url: str, fake_slack: FakeSlack) -> Settings:
    return load_settings(
        env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url,
        database_url=database_url,
    )


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
