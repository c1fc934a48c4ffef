"""Alembic environment: runs migrations against DATABASE_URL (or the URL okr-bot passes in)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import text

from bot.db import Base, make_engine
from bot.tables import load_all

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

load_all()
target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.config import load_settings

    return load_settings().database_url


def run_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Any fixed number: two okr-bot processes starting together must not both migrate.
MIGRATION_LOCK = 7_265_010
# How long a migrate waits for another one to finish before giving up.
LOCK_WAIT = "120s"


def run_online() -> None:
    # Foreign keys off on SQLite: a batch rebuild drops the old table, which would cascade.
    engine = make_engine(database_url(), foreign_keys=False)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if not sqlite:
                # Another process's whole migration may hold the lock for longer than the
                # 2 s (and 10 s) a request waits (bot/db.py): this wait gets its own limits.
                connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_WAIT}'")
                connection.exec_driver_sql(f"SET statement_timeout = '{LOCK_WAIT}'")
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                connection.exec_driver_sql("RESET lock_timeout")
                connection.exec_driver_sql("RESET statement_timeout")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
            else:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
