"""Databases made once per test process and copied for each test: migrating from nothing and
importing the example plan took a third of a second per test on PostgreSQL, more than most
tests themselves. What a test gets is the same as before: a migrated database (or, for the
`planned` fixture, one with the AI example plan imported for TEAM_ID), its own copy.

Tests of the migrations themselves ask for an empty one: `@pytest.mark.empty_database`."""

from __future__ import annotations

import shutil
from enum import StrEnum
from pathlib import Path

from bot import schema
from bot.db import make_engine, make_session_factory
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from tests.support.pg_pool import Lender
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "examples" / "ai-feature-launch.yml"


class Content(StrEnum):
    EMPTY = "empty"
    MIGRATED = "migrated"
    PLANNED = "planned"  # migrated, with the AI example plan imported


def fill(url: str, content: Content, team_id: str) -> None:
    """Bring an empty database at `url` to `content`."""
    if content is Content.EMPTY:
        return
    schema.upgrade(url)
    if content is Content.PLANNED:
        plan = load_plan(EXAMPLE_PLAN).plan
        engine = make_engine(url)
        try:
            with make_session_factory(engine).begin() as session:
                import_plan(db_session=session, plan=plan.model_copy(update={"workspace": team_id}))
        finally:
            engine.dispose()


class SqliteTemplates:
    """One file per content, made on first use; a test gets a copy of it."""

    def __init__(self, directory: Path, team_id: str) -> None:
        self.directory, self.team_id = directory, team_id
        self.made: dict[Content, Path] = {}

    def copy(self, content: Content, to: Path) -> str:
        if content is not Content.EMPTY:
            shutil.copyfile(self._template(content), to)
        return f"sqlite:///{to}"

    def _template(self, content: Content) -> Path:
        if content not in self.made:
            path = self.directory / f"{content}.db"
            fill(f"sqlite:///{path}", content, self.team_id)
            # The engine is disposed, so WAL is checkpointed into the file: it is whole alone.
            assert not path.with_name(path.name + "-wal").exists(), "a WAL left beside it"
            self.made[content] = path
        return self.made[content]


class PostgresTemplates:
    """One template database per content on the process's server. `copy` makes a database of
    a test's own (CREATE DATABASE … TEMPLATE); `lend` and `give_back` reuse one a test before
    used, put back to the template's rows (tests/support/pg_pool.py), which is ten times
    cheaper."""

    def __init__(self, server: PostgresServer, team_id: str) -> None:
        self.create, self.team_id = server.create_database, team_id
        self.made: dict[Content, str] = {}
        self.lender = Lender(server.create_database, server.drop_database, server.dsn)
        self.drop = server.drop_database

    def lend(self, content: Content) -> str:
        if content is Content.EMPTY:
            return self.create(None)
        return self.lender.lend(self._template(content))

    def give_back(self, url: str, content: Content) -> None:
        if content is Content.EMPTY:
            self.drop(url)
        else:
            self.lender.give_back(url, self.made[content])

    def copy(self, content: Content) -> str:
        if content is Content.EMPTY:
            return self.create(None)
        return self.create(self._template(content))

    def _template(self, content: Content) -> str:
        if content not in self.made:
            url = self.create(None)
            fill(url, content, self.team_id)
            self.made[content] = url.rsplit("/", 1)[1]
        return self.made[content]
