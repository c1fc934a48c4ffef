"""A new measurement brings a cached chain up to date by recomputing only what it feeds, and the
result is the chain a full rebuild gives: on SQLite and PostgreSQL, after random writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock, schema
from bot.okrs.method.chain import Chain, NodeKind, build_chain
from bot.okrs.method.enums import Source
from bot.okrs.plans.files import load_plan
from bot.okrs.store.cache import ChainCache
from bot.okrs.store.importer import import_plan
from bot.okrs.store.loader import load_blueprints
from bot.okrs.store.measurements import record_measurement
from bot.okrs.store.models import Measurement, Metric
from bot.people.models import Workspace

PLAN = Path(__file__).resolve().parents[3] / "examples" / "b2b-saas.yml"


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    loaded = load_plan(PLAN)
    assert loaded.ok, loaded.errors
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=loaded.plan)
    return session_factory


def workspace(session: Session) -> Workspace:
    return session.scalars(select(Workspace)).one()


def metric_keys(db: sessionmaker[Session]) -> list[str]:
    with db() as session:
        return list(session.scalars(select(Metric.key).order_by(Metric.id)))


def record(db: sessionmaker[Session], key: str, value: float, days_ago: float) -> None:
    """One `/okr update`'s worth: a measurement in its own transaction."""
    now = clock.now()
    with db.begin() as session:
        metric = session.scalars(select(Metric).where(Metric.key == key)).one()
        record_measurement(db_session=session, metric=metric, value=value,
                           at=now - timedelta(days=days_ago), source=Source.SLACK, now=now)


def cached_chain(db: sessionmaker[Session], chains: ChainCache) -> Chain:
    with db() as session:
        found = chains.cached(session, workspace(session))
    assert found is not None
    return found


def rebuilt(db: sessionmaker[Session], chain: Chain) -> Chain:
    """The chain read whole from the database, at the present the cached one is for."""
    assert chain.computed_at is not None
    with db() as session:
        return build_chain(load_blueprints(session, workspace(session).id), chain.computed_at)


def assert_same(incremental: Chain, full: Chain) -> None:
    assert list(incremental.nodes.items()) == list(full.nodes.items())  # in the same order
    assert incremental.children == full.children
    assert incremental.parents == full.parents


WRITES = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10_000),  # which metric (modulo their number)
              st.floats(min_value=-50, max_value=500, allow_nan=False).map(lambda v: round(v, 1)),
              # days ago: backfills as well as the latest; all before the chain's present
              # (a later one moves the present of what it feeds: the test below)
              st.floats(min_value=0.01, max_value=120),
              st.booleans()),  # whether a read brings the chain up to date right after
    min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_after_random_writes_the_updated_chain_is_the_rebuilt_one(
        db: sessionmaker[Session], writes: list[tuple[int, float, float, bool]]) -> None:
    keys = metric_keys(db)
    chains = ChainCache(refresh_seconds=3600)
    with db() as session:
        chains.chain(session, workspace(session), clock.now())
    for which, value, days_ago, read in writes:
        record(db, keys[which % len(keys)], value, days_ago)
        if read:
            assert_same(cached_chain(db, chains), rebuilt(db, cached_chain(db, chains)))
    chain = cached_chain(db, chains)
    assert_same(chain, rebuilt(db, chain))
    assert chains.builds == 1  # never rebuilt whole: every write was applied in place


def test_a_measurement_recomputes_its_path_up_and_its_guards_and_leaves_the_rest(
        db: sessionmaker[Session]) -> None:
    chains = ChainCache(refresh_seconds=3600)
    with db() as session:
        ws = workspace(session)
        version = ws.data_version
        before = chains.chain(session, ws, clock.now())
    guarded = next(n for n in before.nodes.values() if n.blueprint.counter_metrics)
    counter = guarded.blueprint.counter_metrics[0]

    record(db, counter[1], 1.0, 0)
    after = cached_chain(db, chains)

    changed = {node_id for node_id, node in after.nodes.items()
               if node is not before.nodes[node_id]}
    path, todo = {counter}, [counter]
    while todo:
        for parent in before.parents.get(todo.pop(), []):
            if parent not in path:
                path.add(parent)
                todo.append(parent)
    assert counter in changed and guarded.id in changed
    assert (NodeKind.NORTH_STAR, before.north_star.key) in changed
    assert len(changed) < len(before.nodes) / 2  # most of the chain was left as it was
    assert path <= changed
    # Taken after the chain's present, yet counted: what it feeds moved to today's present.
    assert after.nodes[counter].health.value == 1.0
    assert after.computed_at > before.computed_at
    assert (chains.builds, chains.updates) == (1, 1)
    with db() as session:
        assert workspace(session).data_version == version  # no shared row was written


def test_a_write_that_commits_late_is_still_applied(database_url: str,
                                                   db: sessionmaker[Session]) -> None:
    """On PostgreSQL a transaction can commit after one that numbered its change later; the
    cache must not skip it for having read past its number."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite numbers changes under its one writer's lock: commit order")
    keys = metric_keys(db)
    chains = ChainCache(refresh_seconds=3600)
    with db() as session:
        chains.chain(session, workspace(session), clock.now())
    now = clock.now()
    slow = db()
    slow.begin()
    metric = slow.scalars(select(Metric).where(Metric.key == keys[0])).one()
    record_measurement(db_session=slow, metric=metric, value=77.0, at=now,
                       source=Source.SLACK, now=now)  # numbered first, not committed yet
    record(db, keys[1], 55.0, 0)
    first = cached_chain(db, chains)
    slow.commit()
    slow.close()

    chain = cached_chain(db, chains)
    assert chain is not first
    assert_same(chain, rebuilt(db, chain))
    with db() as session:
        assert session.scalar(select(Measurement.value).where(
            Measurement.metric_id == metric.id).order_by(Measurement.id.desc())) == 77.0
