"""Several values recorded at once (`record_measurements`, what grouped `/okr update`s and a
check-in use) say what each changed exactly as if recorded one by one, on both backends:
judged from the latest value alone when nothing needs the history, from all of it when a
trigger does, one after another for two values of a metric, and a counter-metric's new value
seen by the metric it counters; taking a value back reads its counter-metrics the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.okrs.method.enums import Direction, Source, Status, TriggerKind
from bot.okrs.plans import plan as p
from bot.okrs.store.importer import import_plan
from bot.okrs.store.measurements import NewValue, record_measurements, undo_last_measurement
from bot.okrs.store.models import Measurement, Metric

TEAM = "T0BATCH"
OWNER = "U0OWNER1"
NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
# A history with a correction (two values at one instant: the later-listed counts) and a value
# dated after now (a plan's, say), which judging now leaves out.
HISTORY = [p.Measurement(value=v, at=NOW - timedelta(days=d)) for v, d in
           ((22, 14), (25, 7), (31, 3), (29, 3), (90, -2))]


def kpi(key: str, **fields: object) -> p.Kpi:
    return p.Kpi(key=key, name=key.replace("-", " ").capitalize(), owner=OWNER, unit="%",
                 baseline=20, target=40, frequency="weekly", measurements=HISTORY,
                 **fields)  # type: ignore[arg-type]


PLAN = p.Plan(workspace=TEAM, kpis=[
    kpi("plain"),
    # Never fires for these values; makes the whole history read, as any trigger does.
    kpi("watched", triggers=[p.Trigger(when=TriggerKind.BELOW, value=-1, action="look")]),
    kpi("growth", counter_metrics=["cost"]),
    p.Kpi(key="cost", name="Cost", owner=OWNER, unit="%", direction=Direction.LOWER_IS_BETTER,
          baseline=10, target=5, thresholds=p.Thresholds(mode="absolute", green=10, yellow=20)),
])


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=PLAN)
    return session_factory


def metrics(session: Session) -> dict[str, Metric]:
    return {m.key: m for m in session.scalars(select(Metric))}


def value(metric: Metric, number: float, at: datetime = NOW,
          countered: bool | None = None) -> NewValue:
    return NewValue(metric=metric, value=number, at=at, source=Source.SLACK, author=OWNER,
                    countered=countered)


@freeze_time(NOW)
def test_a_value_is_judged_the_same_from_its_latest_value_as_from_its_whole_history(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        found = metrics(session)
        plain, watched = record_measurements(db_session=session, now=NOW, values=[
            value(found["plain"], 40), value(found["watched"], 40)])

    assert plain.old_value == watched.old_value == 29  # the correction, not 31 or the future 90
    assert plain.health == watched.health
    assert plain.health.status is Status.GREEN
    assert plain.old_status is watched.old_status is Status.RED
    assert plain.status_change() == watched.status_change().replace("Watched", "Plain")
    assert plain.fired == watched.fired == []


@freeze_time(NOW)
def test_a_backfilled_value_reads_the_history_it_falls_into(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        recorded, = record_measurements(db_session=session, now=NOW, values=[
            value(metrics(session)["plain"], 24, at=NOW - timedelta(days=10))])
    assert recorded.old_value == 22  # the one before it, not the latest
    assert recorded.health.status is Status.RED  # judged by the latest now: 29


@freeze_time(NOW)
def test_two_values_of_one_metric_follow_each_other(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        plain = metrics(session)["plain"]
        first, second = record_measurements(db_session=session, now=NOW, values=[
            value(plain, 40), value(plain, 12)])
    assert (first.old_value, second.old_value) == (29, 40)
    assert second.old_status is Status.GREEN and second.health.status is Status.RED
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.source == Source.SLACK)) == 2


@freeze_time(NOW)
def test_a_metric_sees_its_counter_metric_turn_red_in_the_same_batch(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        found = metrics(session)
        cost, growth = record_measurements(db_session=session, now=NOW, values=[
            value(found["cost"], 35), value(found["growth"], 40)])
    assert cost.health.status is Status.RED
    assert growth.health.status is Status.YELLOW
    assert "counter-metric Cost is red" in growth.health.reason


def read_beforehand(session: Session) -> dict[str, Metric]:
    """The metrics, with what value_flows reads with them beforehand."""
    found = metrics(session)
    for metric in found.values():
        _read = (metric.triggers, metric.thresholds, metric.objective)
    return found


@contextmanager
def statements_run(session: Session) -> Iterator[dict[str, list[str]]]:
    """The statements run meanwhile: "reads" and "writes"."""
    run: dict[str, list[str]] = {"reads": [], "writes": []}

    def listen(*args: object) -> None:
        statement = str(args[2]).lstrip().upper()
        if statement.startswith(("SELECT", "(SELECT")):
            run["reads"].append(statement)
        elif statement.startswith("INSERT"):
            run["writes"].append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield run
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_the_batch_reads_one_statement_for_all_the_latest_values(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session, freeze_time(NOW):
        found = read_beforehand(session)
        with statements_run(session) as run:
            record_measurements(db_session=session, now=NOW, values=[
                value(found["plain"], 30, countered=False),
                value(found["watched"], 30, countered=False),
                value(found["plain"], 31, countered=False)])
    assert len(run["reads"]) == 2, run  # the latest of plain, the whole history of watched
    assert len(run["writes"]) == 2, run  # the values, their change-log lines


def test_counter_metrics_are_read_once_for_the_batch_and_seen_as_they_change(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session, freeze_time(NOW - timedelta(hours=1)):
        record_measurements(db_session=session, now=NOW - timedelta(hours=1),
                            values=[value(metrics(session)["cost"], 35)])  # red, stored
    with db.begin() as session, freeze_time(NOW):
        found = read_beforehand(session)
        with statements_run(session) as run:
            before, cost, after = record_measurements(db_session=session, now=NOW, values=[
                value(found["growth"], 40), value(found["cost"], 8),
                value(found["growth"], 41)])
    # The stored red cost makes the first growth value yellow; the batch's green one does not.
    assert before.health.status is Status.YELLOW
    assert "counter-metric Cost is red" in before.health.reason
    assert (cost.old_value, cost.old_status, cost.health.status) == (35, Status.RED,
                                                                     Status.GREEN)
    # Once cost is green again, growth's 40 reads green too: what people saw before its 41.
    assert after.health.status is after.old_status is Status.GREEN
    assert len(run["reads"]) == 3, run  # the pairs, the counter-metrics' specs, the latest
    assert len(run["writes"]) == 2, run  # no flush before a countered value: one insert each


def test_taking_a_value_back_judges_what_stands_with_its_counter_metrics(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session, freeze_time(NOW - timedelta(hours=1)):
        found = metrics(session)
        record_measurements(db_session=session, now=NOW - timedelta(hours=1), values=[
            value(found["cost"], 35), value(found["growth"], 40), value(found["growth"], 41)])
    with db.begin() as session, freeze_time(NOW):
        undone = undo_last_measurement(db_session=session, metric=metrics(session)["growth"],
                                       actor=OWNER, now=NOW)
    assert (undone.value, undone.now_value) == (41, 40)
    assert undone.health.status is Status.YELLOW  # 40 reaches its target; cost is red
    assert "counter-metric Cost is red" in undone.health.reason
