"""Bring the database schema up (or down) with Alembic, from code and from the CLI."""

from __future__ import annotations

import functools
import logging
import threading
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from bot import __version__

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    if not (MIGRATIONS / "env.py").is_file():
        raise FileNotFoundError(
            f"migrations not found at {MIGRATIONS}: okr-bot runs from its source tree "
            "(pip install -e .), where migrations/ sits beside bot/"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


@functools.cache
def _scripts() -> ScriptDirectory:
    """This code's migrations, read once a process: they do not change while it runs, and
    reading them (every file compiled) cost each start and each /readyz about 20 ms."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revision() -> str | None:
    return _scripts().get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_QUIET = threading.Lock()  # one probe at a time lowers and restores alembic's level


class SchemaState(StrEnum):
    CURRENT = "current"  # at this code's head
    BEHIND = "behind"  # older than this code's head (or empty): needs `okr-bot migrate`
    UNKNOWN = "unknown"  # a revision this code does not have: a newer release migrated it


def state(engine: Engine) -> tuple[SchemaState, str | None]:
    """Where the database's schema stands against this code's migrations, and its revision."""
    # Alembic says which dialect it found, at INFO, each time: noise in every /readyz.
    with _QUIET:
        chatter = logging.getLogger("alembic.runtime.migration")
        level = chatter.level
        chatter.setLevel(max(level, logging.WARNING))
        try:
            at = current_revision(engine)
        finally:
            chatter.setLevel(level)
    if at == head_revision():
        return SchemaState.CURRENT, at
    if at is None:
        return SchemaState.BEHIND, None
    try:
        known = _scripts().get_revision(at)
    except CommandError:  # alembic's word for a revision its scripts do not have
        known = None
    return (SchemaState.BEHIND if known is not None else SchemaState.UNKNOWN), at


def refusal(found: SchemaState, at: str | None) -> str | None:
    """The one line `serve` and `worker` stop with on a schema they cannot run on, or None."""
    head = head_revision()
    if found is SchemaState.UNKNOWN:
        return (f"the database is at schema revision {at}, which this okr-bot ({__version__}, "
                f"newest revision {head}) does not know: a newer release migrated it; run that "
                "release, or move the database back with its `okr-bot migrate REVISION "
                "--downgrade`")
    if found is SchemaState.BEHIND:
        return (f"the database is at schema revision {at or 'none (empty)'} and this okr-bot "
                f"needs {head}: run `okr-bot migrate` first (or start with --migrate)")
    return None
