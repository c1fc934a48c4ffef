"""Databases made once per test process and copied for each test: migrating from nothing and
importing the example plan took a third of a second per test on PostgreSQL, more than most
tests themselves. What a test gets is the same as before: a migrated database (or, for the
`planned` fixture, one with the AI example plan imported for TEAM_ID), its own copy.

Tests of the migrations themselves ask for an empty one: `@pytest.mark.empty_database`. Tests
whose every case starts from the same rows, written by a function of theirs, say so with
`@pytest.mark.filled_by(function)`: the function runs once per process on a template (after
the migration, and the plan import for `planned`) instead of once per test; each test still
gets a copy of its own, put back or copied as any other."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

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


# Writes a test module's starting rows into a migrated database (see the module's docstring).
Recipe = Callable[[sessionmaker[Session]], None]


def template_key(content: Content, recipe: Recipe | None) -> str:
    """The name a template is made and kept under: its content, and its recipe if any."""
    if recipe is None:
        return str(content)
    assert content is not Content.EMPTY, "a recipe writes into a migrated database"
    return f"{content}-{recipe.__module__}.{recipe.__qualname__}".replace("<", "").replace(">", "")


def fill(url: str, content: Content, team_id: str, recipe: Recipe | None = None) -> None:
    """Bring an empty database at `url` to `content`, then let `recipe` write into it."""
    if content is Content.EMPTY:
        return
    schema.upgrade(url)
    if content is Content.PLANNED or recipe is not None:
        engine = make_engine(url)
        try:
            if content is Content.PLANNED:
                plan = load_plan(EXAMPLE_PLAN).plan
                with make_session_factory(engine).begin() as session:
                    import_plan(db_session=session,
                                plan=plan.model_copy(update={"workspace": team_id}))
            if recipe is not None:
                recipe(make_session_factory(engine))
        finally:
            engine.dispose()


class SqliteTemplates:
    """One file per content, made on first use; a test gets a copy of it."""

    def __init__(self, directory: Path, team_id: str) -> None:
        self.directory, self.team_id = directory, team_id
        self.made: dict[str, Path] = {}

    def copy(self, content: Content, to: Path, recipe: Recipe | None = None) -> str:
        if content is not Content.EMPTY:
            shutil.copyfile(self._template(content, recipe), to)
        return f"sqlite:///{to}"

    def _template(self, content: Content, recipe: Recipe | None = None) -> Path:
        key = template_key(content, recipe)
        if key not in self.made:
            path = self.directory / f"{key}.db"
            fill(f"sqlite:///{path}", content, self.team_id, recipe)
            # The engine is disposed, so WAL is checkpointed into the file: it is whole alone.
            assert not path.with_name(path.name + "-wal").exists(), "a WAL left beside it"
            self.made[key] = path
        return self.made[key]


class PostgresTemplates:
    """One template database per content on the process's server. `copy` makes a database of
    a test's own (CREATE DATABASE … TEMPLATE); `lend` and `give_back` reuse one a test before
    used, put back to the template's rows (tests/support/pg_pool.py), which is ten times
    cheaper."""

    def __init__(self, server: PostgresServer, team_id: str) -> None:
        self.create, self.team_id = server.create_database, team_id
        self.made: dict[str, str] = {}
        self.lender = Lender(server.create_database, server.drop_database, server.dsn)
        self.drop = server.drop_database

    def lend(self, content: Content, recipe: Recipe | None = None) -> str:
        if content is Content.EMPTY:
            return self.create(None)
        return self.lender.lend(self._template(content, recipe))

    def give_back(self, url: str, content: Content, recipe: Recipe | None = None) -> None:
        if content is Content.EMPTY:
            self.drop(url)
        else:
            self.lender.give_back(url, self.made[template_key(content, recipe)])

    def copy(self, content: Content, recipe: Recipe | None = None) -> str:
        if content is Content.EMPTY:
            return self.create(None)
        return self.create(self._template(content, recipe))

    def _template(self, content: Content, recipe: Recipe | None = None) -> str:
        key = template_key(content, recipe)
        if key not in self.made:
            url = self.create(None)
            fill(url, content, self.team_id, recipe)
            self.made[key] = url.rsplit("/", 1)[1]
        return self.made[key]
