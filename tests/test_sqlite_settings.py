"""How okr-bot opens SQLite, read back from the connection itself: WAL (readers beside the
writer), commits synced at checkpoints (README: Database details), foreign keys enforced."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

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
