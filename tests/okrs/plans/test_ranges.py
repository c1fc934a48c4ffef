"""A metric's `range:` in the plan file: checked against its baseline, target and
measurements, and carried through import and export (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.okrs.method.enums import Source
from bot.okrs.plans.files import dump_plan, parse_plan
from bot.okrs.store.exporter import export_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Measurement, Metric

PLAN = """
workspace: T0RANGE
goals:
  - key: grow
    name: Grow
    owner: U0ALICE
    metric: {{name: Net revenue retention, unit: "%", baseline: 100, target: 108{goal_range}}}
objectives:
  - key: activate
    name: Activate teams
    goal: grow
    owner: U0ALICE
    start: 2026-05-01
    end: 2026-07-01
    key_results:
      - {{key: activation, name: Activation, unit: "%", baseline: 8, target: 20,
          due: 2026-07-01{kr_range}}}
kpis:
  - {{key: net-new-revenue, name: Net new revenue, unit: $, owner: U0ALICE,
      baseline: 0, target: 50000{kpi_range},
      measurements: [{{value: {kpi_value}, at: "2026-05-04T09:00:00Z"}}]}}
"""


def plan_text(goal_range: str = ", range: [0, null]", kr_range: str = "",
              kpi_range: str = ", range: [null, null]", kpi_value: float = -1200) -> str:
    return PLAN.format(goal_range=goal_range, kr_range=kr_range, kpi_range=kpi_range,
                       kpi_value=kpi_value)


def errors(text: str) -> list[str]:
    return [str(error) for error in parse_plan(text).errors]


def test_a_plan_with_ranges_where_its_values_need_them_is_valid() -> None:
    loaded = parse_plan(plan_text())
    assert loaded.errors == []
    assert loaded.plan.goals[0].metric.range == (0, None)
    assert loaded.plan.kpis[0].range == (None, None)
    assert loaded.plan.objectives[0].key_results[0].range is None


def test_a_percentage_above_100_without_a_range_is_refused_with_its_path() -> None:
    assert errors(plan_text(goal_range="")) == [
        "goals[0].metric: target: Net revenue retention is a percentage from 0 to 100: 108% "
        "cannot be right (if it really can be, the metric's `range:` in the plan file says so)."]


def test_a_negative_measurement_of_money_without_a_range_is_refused() -> None:
    assert errors(plan_text(kpi_range="")) == [
        "kpis[0]: the measurement at 2026-05-04T09:00:00+00:00: Net new revenue is an amount "
        "of 0 or more: -$1,200 cannot be right (if it really can be, the metric's `range:` in "
        "the plan file says so)."]


def test_a_declared_range_also_bounds_the_plan_s_own_values() -> None:
    [shown] = errors(plan_text(kr_range=", range: [10, 15]"))
    assert shown.startswith("objectives[0].key_results[0]: baseline: Activation is a percentage "
                            "from 10 to 15: 8% cannot be right")
    assert "; target: Activation is a percentage from 10 to 15: 20% cannot be right" in shown


@pytest.mark.parametrize("bad", ["[5, 1]", "[3, 3]"])
def test_a_range_needs_its_min_below_its_max(bad: str) -> None:
    shown = errors(plan_text(kr_range=f", range: {bad}"))
    assert shown[0].startswith("objectives[0].key_results[0]: range ")
    assert shown[0].endswith("needs its min below its max")


def test_a_range_has_two_ends() -> None:
    assert errors(plan_text(kr_range=", range: [0]"))[0].startswith(
        "objectives[0].key_results[0].range")


def test_ranges_dump_and_read_back() -> None:
    plan = parse_plan(plan_text()).plan
    assert parse_plan(dump_plan(plan)).plan == plan


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    return session_factory


def stored_ranges(db: sessionmaker[Session]) -> dict[str, list | None]:
    with db() as session:
        return {m.key: m.value_range for m in session.scalars(select(Metric))}


def test_ranges_are_stored_and_exported_as_the_plan_gave_them(db) -> None:
    plan = parse_plan(plan_text()).plan
    with db.begin() as session:
        import_plan(db_session=session, plan=plan)
    assert stored_ranges(db) == {"grow": [0, None], "activation": None,
                                 "net-new-revenue": [None, None]}
    with db() as session:
        assert export_plan(db_session=session, slack_team_id="T0RANGE") == plan
    with db.begin() as session:
        again = import_plan(db_session=session, plan=plan)
    assert not again.changed


def test_a_changed_range_is_an_update_of_the_metric(db) -> None:
    with db.begin() as session:
        import_plan(db_session=session, plan=parse_plan(plan_text()).plan)
    changed = parse_plan(plan_text(goal_range=", range: [0, 200]",
                                   kpi_range=", range: [-100000, null]")).plan
    with db.begin() as session:
        report = import_plan(db_session=session, plan=changed)
    assert report.changed
    assert stored_ranges(db)["grow"] == [0, 200]
    assert stored_ranges(db)["net-new-revenue"] == [-100000, None]


def test_a_stored_value_out_of_range_is_still_exported_and_then_pointed_out(db) -> None:
    """Recorded before values were checked (the issue's 1,234.5 on a %): a backup must not fail
    on it, and the file it gives says what to fix."""
    plan = parse_plan(plan_text()).plan
    with db.begin() as session:
        import_plan(db_session=session, plan=plan)
        activation = session.scalars(select(Metric).where(Metric.key == "activation")).one()
        session.add(Measurement(metric_id=activation.id, value=1234.5, source=Source.SLACK,
                                measured_at=datetime(2026, 5, 5, 9, tzinfo=UTC)))
    with db() as session:
        exported = export_plan(db_session=session, slack_team_id="T0RANGE")
    assert exported.objectives[0].key_results[0].measurements[0].value == 1234.5
    assert errors(dump_plan(exported)) == [
        "objectives[0].key_results[0]: the measurement at 2026-05-05T09:00:00+00:00: Activation "
        "is a percentage from 0 to 100: 1,234.5% cannot be right (if it really can be, the "
        "metric's `range:` in the plan file says so)."]
