"""`serve` and `worker` start only on a schema they know: one behind is migrated where told to
(SQLite by default, `--migrate`) and refused otherwise; one a newer release migrated is refused
with one line. `okr-bot migrate` is its own step, under PostgreSQL's advisory lock."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bot import schema
from bot.config import Settings, StartupError
from bot.db import make_engine
from bot.process.roles import Role
from bot.serve import build_runtime
from tests.cli.test_main import OKR_BOT, clean_env
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import FakeSlack
from tests.support.cli import okr_bot
from tests.support.postgres import PostgresServer

# The migration lock's key (migrations/env.py).
MIGRATION_LOCK = 7_265_010


def stamp(database_url: str, revision: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :r"),
                               {"r": revision})
    finally:
        engine.dispose()


def test_a_schema_behind_is_refused_unless_told_to_migrate(settings: Settings,
                                                          database_url: str) -> None:
    schema.downgrade(database_url, "0017")
    for role in Role:
        with pytest.raises(StartupError) as refused:
            build_runtime(settings, role=role, migrate=False)
        assert str(refused.value) == (
            f"the database is at schema revision 0017 and this okr-bot needs "
            f"{schema.head_revision()}: run `okr-bot migrate` first (or start with --migrate)")
    runtime = build_runtime(settings, migrate=True)
    try:
        assert schema.current_revision(runtime.engine) == schema.head_revision()
    finally:
        runtime.close()


def test_a_schema_from_a_newer_release_is_refused_even_with_migrate(
        settings: Settings, database_url: str) -> None:
    stamp(database_url, "0099")
    with pytest.raises(StartupError) as refused:
        build_runtime(settings, migrate=True)
    assert "schema revision 0099, which this okr-bot" in str(refused.value)
    assert "does not know: a newer release migrated it" in str(refused.value)


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_the_commands_refuse_an_unknown_schema_with_one_line(
        tmp_path: Path, fake_slack: FakeSlack, command: str) -> None:
    url = f"sqlite:///{tmp_path / 'okr-bot.db'}"
    schema.upgrade(url)
    stamp(url, "0099")
    done = okr_bot(command, cwd=tmp_path, env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url, "DATABASE_URL": url, "PORT": "0"})
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("okr-bot: the database is at schema revision 0099, which this "
                               "okr-bot (")
    assert f"newest revision {schema.head_revision()}) does not know" in lines[0]


@pytest.mark.postgres
def test_postgresql_is_not_migrated_by_serve_but_by_migrate(
        tmp_path: Path, postgres: PostgresServer, fake_slack: FakeSlack) -> None:
    url = postgres.create_database()
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake_slack.base_url, "DATABASE_URL": url, "PORT": "0"}
    try:
        refused = okr_bot("worker", cwd=tmp_path, env=env)
        migrated = okr_bot("migrate", cwd=tmp_path, env=env)
    finally:
        postgres.drop_database(url)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.strip() == (
        "okr-bot: the database is at schema revision none (empty) and this okr-bot needs "
        f"{schema.head_revision()}: run `okr-bot migrate` first (or start with --migrate)")
    assert migrated.returncode == 0, migrated.stderr
    assert f"database at revision {schema.head_revision()}" in migrated.stdout


@pytest.mark.postgres
def test_two_concurrent_migrates_one_waits_for_the_other_and_both_succeed(
        tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.create_database()
    env = clean_env({"DATABASE_URL": url})
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname={url.rsplit('/', 1)[1]}"
    try:
        # The test holds the lock first, so both migrates are seen waiting on it.
        with psycopg.connect(dsn, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            migrates = [subprocess.Popen([str(OKR_BOT), "migrate"], cwd=tmp_path, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True) for _ in range(2)]
            waiting = 0
            deadline = time.monotonic() + 30
            while waiting < 2 and time.monotonic() < deadline:
                waiting = holder.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = %s AND NOT granted", (MIGRATION_LOCK,)).fetchone()[0]
                time.sleep(0.05)
            assert waiting == 2, "both migrates should wait on the lock"
            assert all(m.poll() is None for m in migrates)
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        outputs = [m.communicate(timeout=60) for m in migrates]
        engine = make_engine(url)
        try:
            at = schema.current_revision(engine)
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT count(*) FROM alembic_version"))
                rows = versions.scalar()
        finally:
            engine.dispose()
    finally:
        postgres.drop_database(url)
    assert [m.returncode for m in migrates] == [0, 0], outputs
    for stdout, _ in outputs:
        assert f"database at revision {schema.head_revision()}" in stdout
    assert at == schema.head_revision()
    assert rows == 1
