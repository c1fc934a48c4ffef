"""PostgreSQL databases lent to tests and put back as they were lent: copying a template
database (CREATE DATABASE … TEMPLATE) cost a test about half a second on these machines, more
than most tests themselves; putting a used one back takes a few tens of milliseconds.

Putting back: end every other session on it (what a test's runtime or a killed process left),
then, in one transaction with foreign-key triggers off, delete every row of every table, copy
the template's rows back in (COPY, bytes as they were) and set every sequence to the template's
value. A database whose schema a test changed (its tables or its Alembic revision differ from
the template's) is dropped instead, and so is one that could not be put back for any reason: a
test never gets a database that is not exactly its template's contents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[str, ...]
    rows: dict[str, bytes]  # COPY … TO STDOUT, per table
    sequences: tuple[tuple[str, int | None], ...]  # name, last_value (None: never used)
    revision: str | None


def _tables(connection: psycopg.Connection) -> tuple[str, ...]:
    return tuple(sorted(row[0] for row in connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version'")))


def _revision(connection: psycopg.Connection) -> str | None:
    if connection.execute("SELECT to_regclass('public.alembic_version')").fetchone()[0] is None:
        return None
    found = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return ",".join(sorted(row[0] for row in found)) or None


def take_snapshot(dsn: str) -> Snapshot:
    with psycopg.connect(dsn) as connection:
        tables = _tables(connection)
        rows = {}
        for table in tables:
            copied = bytearray()
            with connection.cursor().copy(
                    sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))) as copy:
                for chunk in copy:
                    copied += chunk
            rows[table] = bytes(copied)
        sequences = tuple(connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1").fetchall())
        return Snapshot(tables, rows, sequences, _revision(connection))


class Changed(Exception):
    """The test changed the database's schema: it cannot be put back by its rows."""


def put_back(dsn: str, snapshot: Snapshot) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with connection.transaction():
            if _tables(connection) != snapshot.tables or (
                    _revision(connection) != snapshot.revision):
                raise Changed(dsn)
            connection.execute("SET LOCAL session_replication_role = replica")
            with connection.cursor() as cursor:
                # One round trip for the deletes and one for the sequences, not one a table.
                cursor.execute(sql.SQL("; ").join(
                    sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
                    for table in snapshot.tables))
                for table in snapshot.tables:
                    if snapshot.rows[table]:
                        with cursor.copy(sql.SQL("COPY {} FROM STDIN").format(
                                sql.Identifier(table))) as copy:
                            copy.write(snapshot.rows[table])
                if snapshot.sequences:
                    cursor.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(
                        sql.SQL("setval({}, 1, false)").format(sql.Literal(name))
                        if last is None else
                        sql.SQL("setval({}, {}, true)").format(sql.Literal(name),
                                                               sql.Literal(last))
                        for name, last in snapshot.sequences)))


class Lender:
    """Idle databases per template, lent and put back; made by copying when none is idle."""

    def __init__(self, create: Callable[[str], str], drop: Callable[[str], None],
                 dsn_of: Callable[[str], str]) -> None:
        self.create, self.drop, self.dsn_of = create, drop, dsn_of
        self.snapshots: dict[str, Snapshot] = {}
        self.idle: dict[str, list[str]] = {}

    def lend(self, template: str) -> str:
        """The URL of a database holding exactly what `template` holds."""
        if template not in self.snapshots:
            self.snapshots[template] = take_snapshot(self.dsn_of(template))
        waiting = self.idle.setdefault(template, [])
        return waiting.pop() if waiting else self.create(template)

    def give_back(self, url: str, template: str) -> None:
        try:
            put_back(self.dsn_of(url), self.snapshots[template])
        except (Changed, psycopg.Error):
            self.drop(url)
            return
        self.idle[template].append(url)
