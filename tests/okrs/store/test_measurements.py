"""Recording with the decimals typed, and taking a measurement back, against a real database
(SQLite and PostgreSQL): kept in the history, skipped by every reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.errors import InvalidInput, NotFound
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source, Status
from bot.okrs.plans import plan as p
from bot.okrs.store.exporter import export_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.loader import load_blueprints
from bot.okrs.store.measurements import points, record_measurement, undo_last_measurement
from bot.okrs.store.models import Measurement, Metric, MetricChange
from bot.people.models import Workspace

TEAM = "T0STORE"
OWNER, MANAGER = "U0OWNER1", "U0MANAG1"
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
KEY = "first-week-activation"

PLAN = p.Plan(workspace=TEAM, goals=[p.Goal(key="grow", name="Grow", owner=OWNER)],
              objectives=[p.Objective(
                  key="activate", name="Activate new teams", goal="grow", owner=OWNER,
                  start=date(2026, 4, 1), end=date(2026, 6, 30),
                  key_results=[p.KeyResult(key=KEY, name="First-week activation", unit="%",
                                           baseline=20, target=40, due=date(2026, 6, 30))])])


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=PLAN)
    return session_factory


def metric(session: Session) -> Metric:
    return session.scalars(select(Metric).where(Metric.key == KEY)).one()


def record(db: sessionmaker[Session], value: float, *, author: str = OWNER,
           decimals: int | None = None):
    now = datetime.now(UTC)
    with db.begin() as session:
        return record_measurement(db_session=session, metric=metric(session), value=value,
                                  at=now, now=now, source=Source.SLACK, author=author,
                                  decimals=decimals)


def undo(db: sessionmaker[Session], actor: str = OWNER):
    with db.begin() as session:
        return undo_last_measurement(db_session=session, metric=metric(session), actor=actor,
                                     now=datetime.now(UTC))


def change_lines(db: sessionmaker[Session]) -> int:
    """Lines of the metric change log, which cached chains read to hear of new values."""
    with db() as session:
        return session.scalar(select(func.count(MetricChange.id)).join(Workspace)
                              .where(Workspace.slack_team_id == TEAM))


def rows(db: sessionmaker[Session]) -> list[tuple]:
    with db() as session:
        return [(m.value, m.decimals, m.author, m.undone_by, m.undone_at)
                for m in session.scalars(select(Measurement).order_by(Measurement.id))]


def shown_in_chain(db: sessionmaker[Session]) -> list[tuple[float, int | None]]:
    with db() as session:
        workspace_id = metric(session).workspace_id
        blueprints = load_blueprints(session, workspace_id)
    key_result = next(b for b in blueprints if (b.kind, b.key) == (NodeKind.KEY_RESULT, KEY))
    return [(m.value, m.decimals) for m in key_result.measurements]


def test_the_decimals_typed_are_stored_and_come_back_in_the_reply_and_the_chain(db) -> None:
    with freeze_time(START):
        first = record(db, 14.5, decimals=2)
    with freeze_time(START + timedelta(hours=1)):
        second = record(db, 15.0)
    assert (first.new_value, first.new_decimals, first.old_value) == (14.5, 2, None)
    assert (second.old_value, second.old_decimals, second.new_decimals) == (14.5, 2, None)
    assert shown_in_chain(db) == [(14.5, 2), (15.0, None)]


def test_the_owner_takes_back_their_last_measurement_which_stays_in_the_history(db) -> None:
    with freeze_time(START):
        record(db, 22.5, decimals=1)
    with freeze_time(START + timedelta(hours=1)):
        record(db, 1234.5, decimals=1)  # the slip
    before = change_lines(db)
    undone_at = START + timedelta(hours=3)
    with freeze_time(undone_at):
        undone = undo(db)
    assert (undone.value, undone.decimals) == (1234.5, 1)
    assert undone.recorded_at == undone.measured_at == START + timedelta(hours=1)
    assert (undone.now_value, undone.now_decimals) == (22.5, 1)
    assert undone.metric.key == KEY
    assert undone.health.value == 22.5
    assert rows(db) == [(22.5, 1, OWNER, None, None), (1234.5, 1, OWNER, OWNER, undone_at)]
    assert change_lines(db) == before + 1  # cached chains hear of it as of a new value
    assert shown_in_chain(db) == [(22.5, 1)]
    with db() as session:
        assert [point.value for point in points(session, metric(session).id)] == [22.5]


def test_a_measurement_taken_back_is_left_out_of_the_export_and_the_next_value(db) -> None:
    with freeze_time(START):
        record(db, 30)
        undo(db)
    with db() as session:
        exported = export_plan(db_session=session, slack_team_id=TEAM)
    assert exported.objectives[0].key_results[0].measurements == []
    with freeze_time(START + timedelta(hours=1)):
        assert record(db, 31).old_value is None


def test_taking_back_the_only_value_leaves_nothing_measured(db) -> None:
    with freeze_time(START):
        record(db, 30)
        undone = undo(db)
    assert (undone.now_value, undone.now_decimals) == (None, None)
    assert undone.health.status is Status.NO_DATA


def test_a_second_undo_takes_back_the_one_before_then_there_is_nothing_left(db) -> None:
    with freeze_time(START):
        record(db, 21)
        record(db, 22)
    with freeze_time(START + timedelta(minutes=5)):
        assert undo(db).value == 22
        assert undo(db).value == 21
        with pytest.raises(NotFound) as raised:
            undo(db)
    assert raised.value.message == ("You have no measurement of First-week activation to take "
                                    "back: none you recorded stands.")
    assert [row[3] for row in rows(db)] == [OWNER, OWNER]


def test_only_your_own_measurement_is_taken_back(db) -> None:
    with freeze_time(START):
        record(db, 21, author=OWNER)
        record(db, 25, author=MANAGER)
    with freeze_time(START + timedelta(minutes=5)):
        undone = undo(db, actor=OWNER)  # the manager's later value stays in force
        with pytest.raises(NotFound):
            undo(db, actor=OWNER)
    assert (undone.value, undone.now_value) == (21, 25)
    assert [(value, undone_by) for value, _, _, undone_by, _ in rows(db)] == [
        (21, OWNER), (25, None)]


def test_a_measurement_older_than_a_day_cannot_be_taken_back(db) -> None:
    with freeze_time(START):
        record(db, 21, decimals=0)
    before = change_lines(db)
    with freeze_time(START + timedelta(hours=24, seconds=1)), pytest.raises(InvalidInput) as raised:
        undo(db)
    assert raised.value.message == (
        "Nothing of yours in the last 24 hours to take back on First-week activation: your "
        "last measurement (21%) was recorded 2026-05-04 09:00 UTC. Record the right value "
        "instead.")
    assert raised.value.field == "value"
    assert rows(db)[0][3:] == (None, None)
    assert change_lines(db) == before


def test_a_day_is_the_limit_inclusive(db) -> None:
    with freeze_time(START):
        record(db, 21)
    with freeze_time(START + timedelta(hours=24)):
        assert undo(db).value == 21


def test_a_measurement_from_the_plan_is_nobody_s_to_take_back(db) -> None:
    with_history = PLAN.model_copy(update={"objectives": [PLAN.objectives[0].model_copy(
        update={"key_results": [PLAN.objectives[0].key_results[0].model_copy(
            update={"measurements": [p.Measurement(value=25, at=START)]})]})]})
    with db.begin() as session:
        import_plan(db_session=session, plan=with_history)
    with freeze_time(START + timedelta(minutes=1)), pytest.raises(NotFound):
        undo(db)
