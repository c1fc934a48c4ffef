"""Plan import and export against a real database, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.plans.files import load_plan
from bot.okrs.plans.plan import Plan
from bot.okrs.store.exporter import NoSuchWorkspace, export_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Measurement, Metric, NorthStar

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))
assert [e.name for e in EXAMPLES] == ["ai-feature-launch.yml", "b2b-saas.yml"]  # none lost


def example(name: str) -> Plan:
    loaded = load_plan(ROOT / "examples" / name)
    assert loaded.ok, (loaded.errors, loaded.findings)
    return loaded.plan


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    return session_factory


def run_import(db: sessionmaker[Session], plan: Plan):
    with db.begin() as session:
        return import_plan(db_session=session, plan=plan)


def exported(db: sessionmaker[Session], team: str | None = None) -> Plan:
    with db() as session:
        return export_plan(db_session=session, slack_team_id=team)


@pytest.mark.parametrize("name", [p.name for p in EXAMPLES])
def test_import_then_export_gives_back_the_same_plan(db: sessionmaker[Session],
                                                      name: str) -> None:
    plan = example(name)
    first = run_import(db, plan)
    assert first.created

    assert exported(db) == plan


@pytest.mark.parametrize("name", [p.name for p in EXAMPLES])
def test_importing_twice_changes_nothing(db: sessionmaker[Session], name: str) -> None:
    plan = example(name)
    run_import(db, plan)

    again = run_import(db, plan)

    assert again.created == []
    assert again.updated == []
    assert again.measurements_added == 0
    assert again.unchanged > 0


def test_export_then_import_changes_nothing(db: sessionmaker[Session]) -> None:
    run_import(db, example("ai-feature-launch.yml"))
    report = run_import(db, exported(db))
    assert not report.changed


def test_a_changed_target_is_an_update_that_says_what_changed(db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    objective = plan.objectives[0]
    kr = objective.key_results[1]
    moved = kr.model_copy(update={"target": kr.target + 5})
    changed = plan.model_copy(update={"objectives": [
        objective.model_copy(update={"key_results": [
            moved if k.key == kr.key else k for k in objective.key_results]}),
        *plan.objectives[1:]]})

    report = run_import(db, changed)

    assert report.created == []
    assert report.updated == [f"key result {kr.key} (target: {kr.target!r} → {kr.target + 5!r})"]
    assert exported(db) == changed


def test_measurements_are_stored_once_with_source_plan(db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    given = sum(len(m.measurements) for m in metric_fields(plan))
    assert given > 0, "the example carries measurements"

    run_import(db, plan)
    run_import(db, plan)

    with db() as session:
        rows = session.scalars(select(Measurement)).all()
        assert len(rows) == given
        assert {row.source for row in rows} == {Source.PLAN}
        assert all(row.measured_at.tzinfo is UTC for row in rows)


def metric_fields(plan: Plan) -> list:
    fields = [plan.north_star] if plan.north_star else []
    fields += [g.metric for g in plan.goals if g.metric]
    fields += [kr for o in plan.objectives for kr in o.key_results]
    return fields + list(plan.kpis)


def test_a_new_north_star_retires_the_old_one_and_keeps_it(db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    star = plan.north_star
    successor = star.model_copy(update={"key": "weekly-ai-power-users",
                                        "name": "Weekly AI power users", "measurements": []})

    run_import(db, plan.model_copy(update={"north_star": successor}))

    with db() as session:
        stars = {n.key: n for n in session.scalars(select(NorthStar))}
        assert stars[star.key].active is False
        assert stars[star.key].active_until is not None
        assert stars["weekly-ai-power-users"].active is True
        kinds = session.scalars(select(Metric.kind).where(Metric.key == star.key)).all()
        assert kinds == [MetricKind.NORTH_STAR], "its metric and measurements stay"


def test_only_one_active_north_star_per_workspace(db: sessionmaker[Session]) -> None:
    run_import(db, example("ai-feature-launch.yml"))
    with db() as session:
        workspace_id = session.scalar(select(NorthStar.workspace_id))
        session.add(NorthStar(workspace_id=workspace_id, key="another", name="Another"))
        with pytest.raises(IntegrityError):
            session.flush()


def test_a_key_result_target_must_differ_from_its_baseline(db: sessionmaker[Session]) -> None:
    run_import(db, example("ai-feature-launch.yml"))
    with db() as session:
        kr = session.scalars(select(Metric).where(Metric.kind == MetricKind.KEY_RESULT)).first()
        kr.target = kr.baseline
        with pytest.raises(IntegrityError):
            session.flush()


def test_export_needs_a_workspace(db: sessionmaker[Session]) -> None:
    with pytest.raises(NoSuchWorkspace, match="the database has: none"):
        exported(db)
    run_import(db, example("ai-feature-launch.yml"))
    run_import(db, example("b2b-saas.yml"))
    with pytest.raises(NoSuchWorkspace, match="cannot find a single workspace"):
        exported(db)
    assert exported(db, example("b2b-saas.yml").workspace) == example("b2b-saas.yml")


def test_import_is_one_transaction(db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    with db() as session:
        import_plan(db_session=session, plan=plan)
        session.rollback()
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Metric)) == 0


def test_after_a_north_star_change_export_then_import_changes_nothing(
        db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    successor = plan.north_star.model_copy(update={"key": "weekly-ai-power-users",
                                                   "name": "Weekly AI power users",
                                                   "measurements": []})
    run_import(db, plan.model_copy(update={"north_star": successor}))

    first = exported(db)
    assert [r.key for r in first.north_star.history] == [plan.north_star.key]
    report = run_import(db, first)

    assert not report.changed, report.lines()
    assert exported(db) == first


def test_a_measurement_edited_in_the_plan_is_updated_and_said(db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    star = plan.north_star
    last = star.measurements[-1]
    edited = star.model_copy(update={"measurements": [
        *star.measurements[:-1], last.model_copy(update={"value": last.value + 100})]})

    report = run_import(db, plan.model_copy(update={"north_star": edited}))

    assert report.updated == [f"measurement {star.key} at 2026-06-29T08:00:00Z "
                              f"({last.value:g} → {last.value + 100:g})"]
    assert exported(db).north_star.measurements[-1].value == last.value + 100


def test_a_measurement_someone_reported_is_not_overwritten_by_the_plan(
        db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    with db.begin() as session:
        row = session.scalars(select(Measurement).join(Metric).where(
            Metric.key == plan.north_star.key).order_by(Measurement.measured_at.desc())).first()
        row.source, row.value = Source.SLACK, 9999

    report = run_import(db, plan)

    assert report.conflicts == [f"measurement {plan.north_star.key} at 2026-06-29T08:00:00Z: "
                                "kept 9999 (slack), the plan says 10100"]
    assert exported(db).north_star.measurements[-1].value == 9999


def test_a_person_listed_by_id_alone_keeps_what_slack_said(db: sessionmaker[Session]) -> None:
    from bot.people.models import Person

    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    someone = plan.people[0]
    bare = plan.model_copy(update={"people": [
        p.model_copy(update={"name": None, "time_zone": None}) if p is someone else p
        for p in plan.people]})

    run_import(db, bare)

    with db() as session:
        row = session.scalars(select(Person).where(
            Person.slack_user_id == someone.slack_user_id)).one()
        assert (row.real_name, row.time_zone) == (someone.name, someone.time_zone)


def test_removing_the_north_star_or_a_goal_metric_is_listed_not_applied(
        db: sessionmaker[Session]) -> None:
    plan = example("ai-feature-launch.yml")
    run_import(db, plan)
    goal = plan.goals[0]
    trimmed = plan.model_copy(update={
        "north_star": None,
        "goals": [goal.model_copy(update={"metric": None}), *plan.goals[1:]]})

    report = run_import(db, trimmed)

    assert f"goal metric {goal.key}" in report.not_in_plan
    assert f"north star {plan.north_star.key} (still active)" in report.not_in_plan


@pytest.mark.parametrize("name", [p.name for p in EXAMPLES])
def test_the_chain_read_from_the_database_is_the_chain_of_the_plan(
        db: sessionmaker[Session], engine, name: str) -> None:
    """The loader reads a fixed number of statements, whatever the plan's size."""
    from datetime import datetime

    from sqlalchemy import event

    from bot.okrs.method.chain import build_chain
    from bot.okrs.plans.blueprints import blueprints
    from bot.okrs.store.exporter import find_workspace
    from bot.okrs.store.loader import load_blueprints

    plan = example(name)
    run_import(db, plan)
    now = datetime(2026, 7, 1, 9, tzinfo=UTC)
    statements: list[str] = []
    with db() as session:
        workspace = find_workspace(db_session=session)
        event.listen(engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        from_database = build_chain(load_blueprints(session, workspace.id), now)
    from_plan = build_chain(blueprints(plan), now)

    assert from_database.children == from_plan.children
    assert {k: n.health for k, n in from_database.nodes.items()} == \
        {k: n.health for k, n in from_plan.nodes.items()}
    assert len(statements) == 12
