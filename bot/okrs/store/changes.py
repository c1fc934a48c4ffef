"""Reading the metric change log (`metric_changes`) the way the chain cache needs it: every line
past what a cached chain already reflects, each exactly once.

Lines are numbered by the database as they are inserted, but on PostgreSQL a transaction can
commit after one that took a later number: a reader that only asked for "past the highest
number I saw" could skip it for good. So on PostgreSQL a reader also re-reads the lines
inserted shortly before its previous read (by the database's clock, `changed_at`: the
inserting transaction's start), and remembers which of those it has already applied. A write
that stays uncommitted longer than `LATE_COMMIT_SECONDS` after it started would still be
missed; the database's own timeouts (bot/db.py) end transactions long before that. SQLite
takes one writer at a time and numbers lines under its lock, so there numbers are commit order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Select, bindparam, delete, func, literal_column, or_, select
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.okrs.store.models import MetricChange

LATE_COMMIT_SECONDS = 30.0
# Lines are kept a day, by the database's clock (the one that wrote them); a cached chain that
# has not read the log for half that reloads whole instead of catching up (cache.py), so no
# line is forgotten before every chain still in use has applied it.
KEEP_LINES_FOR = timedelta(days=1)
READ_AT_LEAST_EVERY = KEEP_LINES_FOR / 2


@dataclass(frozen=True)
class LogPosition:
    """How far a cached chain has read the log: the highest line applied and, on PostgreSQL,
    the lines applied since `recent_since`, which a later read sees again."""

    last: int = 0
    recent_since: datetime | None = None
    recent: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Changes:
    metric_ids: frozenset[int]  # metrics with a new measurement, not yet applied
    position: LogPosition  # the position once they are


def _database_now(db_session: Session) -> datetime | None:
    if db_session.get_bind().dialect.name != "postgresql":
        return None
    return db_session.scalar(select(func.now(type_=UTCDateTime())))


def position_now(db_session: Session, workspace_id: int) -> LogPosition:
    """Where the log stands before a chain is loaded from the database: whatever is applied
    after it is read again after the load (harmless: applying a change twice reads the same
    measurements)."""
    now = _database_now(db_session)
    last = db_session.scalar(select(func.max(MetricChange.id))
                             .where(MetricChange.workspace_id == workspace_id)) or 0
    if now is None:
        return LogPosition(last)
    since = now - timedelta(seconds=LATE_COMMIT_SECONDS)
    recent = db_session.scalars(select(MetricChange.id).where(
        MetricChange.workspace_id == workspace_id, MetricChange.changed_at > since))
    return LogPosition(last, since, frozenset(recent))


@functools.cache
def _lines_after(windowed: bool) -> Select:
    """Read on every request (twice a command on a warm chain), so built once per form. The
    window's lines come back every time, so each is a plain row: whether it is still in the
    window is worked out by the server (no instant per line to convert), and its clock comes as
    the driver reads it."""
    after = MetricChange.id > bindparam("last")
    columns: list[Any] = [MetricChange.id, MetricChange.metric_id]
    if windowed:
        after = or_(after, MetricChange.changed_at > bindparam("since", type_=UTCDateTime()))
        now = func.now(type_=DateTime(timezone=True))
        late = literal_column(f"interval '{LATE_COMMIT_SECONDS:g} seconds'")
        columns += [(MetricChange.changed_at > now - late).label("in_window"),
                    now.label("database_now")]
    return select(*columns).where(MetricChange.workspace_id == bindparam("workspace_id"), after)


def changes_since(db_session: Session, workspace_id: int, position: LogPosition) -> Changes:
    """The lines not yet applied at `position`, and where that leaves the reader. One
    statement; on PostgreSQL it also reads the database's clock, for the window."""
    windowed = position.recent_since is not None
    rows = db_session.execute(_lines_after(windowed), {
        "workspace_id": workspace_id, "last": position.last,
        **({"since": position.recent_since} if windowed else {})}).all()
    fresh = [row for row in rows if row.id not in position.recent]
    if not fresh:
        return Changes(frozenset(), position)
    last = max([position.last, *(row.id for row in fresh)])
    if not windowed:
        return Changes(frozenset(row.metric_id for row in fresh), LogPosition(last))
    since = rows[0].database_now.astimezone(UTC) - timedelta(seconds=LATE_COMMIT_SECONDS)
    recent = frozenset(row.id for row in rows if row.in_window)
    return Changes(frozenset(row.metric_id for row in fresh), LogPosition(last, since, recent))


def prune_lines(db_session: Session) -> int:
    """Forget the lines older than KEEP_LINES_FOR; returns how many."""
    if db_session.get_bind().dialect.name == "postgresql":
        cutoff = func.now() - KEEP_LINES_FOR
    else:  # SQLite's CURRENT_TIMESTAMP text, the form its server default wrote
        cutoff = func.datetime("now", f"-{int(KEEP_LINES_FOR.total_seconds())} seconds")
    return db_session.execute(delete(MetricChange).where(MetricChange.changed_at < cutoff)
                              ).rowcount
