"""The measurement change log does not grow for ever: lines a day old are pruned (by the
database's clock, which wrote them), and a cached chain that has not read the log for half a
day is loaded again instead of caught up, so a pruned line is never a missed measurement."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import MetricKind
from bot.okrs.store.cache import ChainCache
from bot.okrs.store.changes import READ_AT_LEAST_EVERY, prune_lines
from bot.okrs.store.models import Metric, MetricChange
from tests.okrs.store.test_incremental import db, metric_keys, record, workspace  # noqa: F401


def age_lines(session: Session, days: int) -> None:
    """Make every line so many days old, as the database's clock reckons."""
    if session.get_bind().dialect.name == "postgresql":
        then = func.now() - timedelta(days=days)
    else:
        then = func.datetime("now", f"-{days} days")
    session.execute(update(MetricChange).values(changed_at=then))


def lines(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MetricChange)) or 0


def test_lines_older_than_a_day_are_pruned_and_newer_ones_kept(
        db: sessionmaker[Session]) -> None:  # noqa: F811
    key = metric_keys(db)[3]
    record(db, key, 10, days_ago=1)
    with db.begin() as session:
        age_lines(session, days=2)
    record(db, key, 11, days_ago=0)
    with db.begin() as session:
        assert lines(session) == 2
        assert prune_lines(session) == 1
    with db() as session:
        assert lines(session) == 1
        assert prune_lines(session) == 0


def test_a_chain_idle_past_the_limit_is_loaded_again_with_what_was_pruned(
        db: sessionmaker[Session]) -> None:  # noqa: F811
    chains = ChainCache()
    with db() as session:
        kpi = session.scalars(select(Metric.key).where(Metric.kind == MetricKind.KPI)
                              .order_by(Metric.id)).first()
    with db() as session:
        chains.chain(session, workspace(session), clock.now())
    builds = chains.builds
    record(db, kpi, 42, days_ago=0)
    with db.begin() as session:
        age_lines(session, days=2)
        assert prune_lines(session) >= 1
        assert session.execute(text("SELECT count(*) FROM metric_changes")).scalar() == 0
    later = clock.now() + READ_AT_LEAST_EVERY + timedelta(minutes=1)
    with freeze_time(later), db() as session:
        chain = chains.chain(session, workspace(session), later)
    assert chains.builds == builds + 1  # loaded whole: the pruned line is not needed
    node = next(n for n in chain.nodes.values() if n.key == kpi and n.kind is NodeKind.KPI)
    assert node.health.value == 42
    chains.close()
