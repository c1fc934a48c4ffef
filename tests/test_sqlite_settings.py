"""How okr-bot opens SQLite, read back from the connection itself: WAL (readers beside the
writer), commits synced at checkpoints (README: Database details), foreign keys enforced; and
how its writers take turns within one process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot import deadline
from bot.db import make_engine


def test_every_connection_gets_the_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with engine.connect() as connection:
            settings = {name: connection.execute(text(f"PRAGMA {name}")).scalar()
                        for name in ("journal_mode", "synchronous", "foreign_keys",
                                     "busy_timeout")}
    finally:
        engine.dispose()
    assert settings["journal_mode"] == "wal"
    assert settings["synchronous"] == 1  # NORMAL
    assert settings["foreign_keys"] == 1
    assert settings["busy_timeout"] > 0


def _turns_held(engine) -> bool:
    raw = engine.raw_connection()
    try:
        return raw.dbapi_connection.turns.locked()
    finally:
        raw.close()


def test_writers_in_one_process_take_turns_and_every_way_out_gives_the_turn_back(
        tmp_path: Path) -> None:
    """Write transactions queue on the engine's own lock before SQLite's (bot/db.py
    _TurnTakingConnection); a commit, a rollback and an error each give the turn back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
        assert not _turns_held(engine)

        def write(n: int) -> None:
            for step in range(10):
                with engine.begin() as connection:
                    # Read, then write: a deferred transaction would fail here with
                    # "database is locked" the moment another writer committed between.
                    seen = connection.execute(text("SELECT count(*) FROM t")).scalar()
                    connection.execute(text("INSERT INTO t VALUES (:n)"),
                                       {"n": n * 100 + step})
                    assert seen is not None

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 80
        assert not _turns_held(engine)

        with pytest.raises(RuntimeError), engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (-1)"))
            raise RuntimeError("the work failed")
        assert not _turns_held(engine)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("CREATE TABLE u (n INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO u VALUES (1)"))
            connection.execute(text("INSERT INTO u VALUES (1)"))
        assert not _turns_held(engine)
        with engine.connect() as connection:  # neither half-done transaction left a row
            assert connection.execute(text("SELECT count(*) FROM t WHERE n = -1")).scalar() == 0
    finally:
        engine.dispose()


def test_a_writer_that_cannot_get_a_turn_fails_as_sqlite_would_within_the_deadline(
        tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
        holder = engine.connect()
        holder.begin()
        holder.execute(text("INSERT INTO t VALUES (1)"))
        try:
            with deadline.within(0.2), pytest.raises(OperationalError, match="locked"), \
                    engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (2)"))
        finally:
            holder.rollback()
            holder.close()
        assert not _turns_held(engine)
        with engine.begin() as connection:  # the turn is free again
            connection.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        engine.dispose()
