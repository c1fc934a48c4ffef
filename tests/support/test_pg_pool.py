"""The lent PostgreSQL databases: one put back holds exactly its template's rows and sequences
again, whatever the test wrote; one whose schema a test changed is dropped, never lent again."""

from __future__ import annotations

import psycopg
import pytest

from bot import schema
from tests.support.pg_pool import take_snapshot
from tests.support.postgres import PostgresServer
from tests.support.templates import Content, PostgresTemplates

pytestmark = pytest.mark.postgres


def contents(server: PostgresServer, url: str) -> tuple[dict, dict]:
    """Each table's rows (as COPY writes them, in any physical order: space a vacuum freed
    is filled first) and each sequence's value."""
    snapshot = take_snapshot(server.dsn(url))
    rows = {table: sorted(copied.splitlines()) for table, copied in snapshot.rows.items()}
    return rows, dict(snapshot.sequences)


def test_a_database_put_back_holds_its_templates_rows_again(
        postgres: PostgresServer, postgres_templates: PostgresTemplates) -> None:
    url = postgres_templates.lend(Content.PLANNED)
    before = contents(postgres, url)
    with psycopg.connect(postgres.dsn(url), autocommit=True) as connection:
        connection.execute("INSERT INTO workspaces (slack_team_id, data_version, created_at, "
                           "updated_at) VALUES ('T0NEW', 0, now(), now())")
        connection.execute("DELETE FROM measurements")
        connection.execute("UPDATE metrics SET name = 'changed'")
        # A session left open, as a test's runtime or a killed process would leave it.
        lingering = psycopg.connect(postgres.dsn(url))
        lingering.execute("SELECT 1 FROM metrics FOR UPDATE").fetchall()
    assert contents(postgres, url) != before

    postgres_templates.give_back(url, Content.PLANNED)
    again = postgres_templates.lend(Content.PLANNED)

    assert again == url, "the same database, lent again"
    assert contents(postgres, again) == before
    postgres_templates.give_back(again, Content.PLANNED)
    with pytest.raises(psycopg.OperationalError):  # ended when it was put back
        lingering.execute("SELECT 1")


def test_a_database_whose_schema_changed_is_dropped(
        postgres: PostgresServer, postgres_templates: PostgresTemplates) -> None:
    url = postgres_templates.lend(Content.MIGRATED)
    schema.downgrade(url, "0017")

    postgres_templates.give_back(url, Content.MIGRATED)

    with psycopg.connect(postgres.dsn("postgres")) as connection:
        names = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
    assert url.rsplit("/", 1)[1] not in names
    fresh = postgres_templates.lend(Content.MIGRATED)
    assert fresh != url
    postgres_templates.give_back(fresh, Content.MIGRATED)
