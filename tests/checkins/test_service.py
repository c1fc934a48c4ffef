"""Blockers and confidence in the database, SQLite and PostgreSQL: numbers, who may resolve,
filters, the latest confidence, and what they leave alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import service
from bot.checkins.models import Blocker, ConfidenceReport
from bot.errors import DomainError, InvalidInput
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Activity, Metric, Objective
from bot.people.models import Person, Workspace

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0AIDEMO"
NOW = datetime(2026, 6, 30, 9, tzinfo=UTC)
TOMAS, OLIVIA, KWAME, MAYA, PRIYA, LARS = ("U0AIFE001", "U0AIGM001", "U0AIML001", "U0AIPM001",
                                           "U0AIUX001", "U0AIVP001")


def import_example(session_factory: sessionmaker[Session]) -> None:
    """The AI example plan, imported for the workspace the file names (TEAM)."""
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=plan)


# Imported once into a template (tests/support/templates.py), not once per test.
pytestmark = pytest.mark.filled_by.with_args(import_example)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A migrated database with the example plan imported (import_example)."""
    return session_factory


def ids(session: Session) -> tuple[int, dict[str, int]]:
    workspace = session.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
    keyed = {m.key: m.id for m in session.scalars(select(Metric))}
    keyed |= {f"objective:{o.key}": o.id for o in session.scalars(select(Objective))}
    keyed |= {f"activity:{a.key}": a.id for a in session.scalars(select(Activity))}
    return workspace.id, keyed


def raise_on_tickets(session: Session, author: str = KWAME, text: str = "no ticket export",
                     now: datetime = NOW):
    workspace_id, keyed = ids(session)
    return service.raise_blocker(db_session=session, workspace_id=workspace_id, author=author,
                                 text=text, source=Source.SLACK, now=now,
                                 metric_id=keyed["onboarding-tickets"])


def test_a_raised_blocker_is_stored_with_its_author_item_and_the_next_number(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        first = raise_on_tickets(session)
        workspace_id, keyed = ids(session)
        second = service.raise_blocker(db_session=session, workspace_id=workspace_id,
                                       author=MAYA, text="  legal review  ",
                                       source=Source.CHECKIN, now=NOW,
                                       activity_id=keyed["activity:onboarding-tours"])
        general = service.raise_blocker(db_session=session, workspace_id=workspace_id,
                                        author=MAYA, text="VPN down", source=Source.SLACK,
                                        now=NOW)
    assert (first.number, second.number, general.number) == (1, 2, 3)
    assert first.item is not None and first.item.id == (NodeKind.KPI, "onboarding-tickets")
    assert first.item.owner == PRIYA
    assert general.item is None
    with db() as session:
        rows = {b.number: b for b in session.scalars(select(Blocker))}
    assert (rows[1].author, rows[1].text, rows[1].metric_id, rows[1].source) == \
        (KWAME, "no ticket export", keyed["onboarding-tickets"], Source.SLACK)
    assert (rows[2].text, rows[2].activity_id, rows[2].source) == \
        ("legal review", keyed["activity:onboarding-tours"], Source.CHECKIN)
    assert rows[3].objective_id is rows[3].metric_id is rows[3].activity_id is None
    assert rows[1].created_at == NOW and rows[1].resolved_at is None


def test_numbers_count_per_workspace(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        raise_on_tickets(session)
        other = Workspace(slack_team_id="T0OTHER")
        session.add(other)
        session.flush()
        elsewhere = service.raise_blocker(db_session=session, workspace_id=other.id,
                                          author=MAYA, text="x", source=Source.SLACK, now=NOW)
    assert elsewhere.number == 1


def test_two_people_raising_at_once_get_different_numbers(db: sessionmaker[Session]) -> None:
    first = db()
    first.begin()
    raise_on_tickets(first, author=MAYA)  # number 1, flushed, not yet committed
    raised: list = []

    def second() -> None:
        with db.begin() as session:  # waits on the first (PostgreSQL: on its number)
            raised.append(raise_on_tickets(session, author=PRIYA))

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # let the second reach the database before the first commits
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert [b.number for b in raised] == [2]
    with db() as session:
        stored = {b.number: b.author for b in session.scalars(select(Blocker))}
    assert stored == {1: MAYA, 2: PRIYA}


def test_the_same_number_twice_in_a_workspace_is_refused_by_the_database(
        db: sessionmaker[Session]) -> None:
    with db() as session:
        raise_on_tickets(session)
        workspace_id, _ = ids(session)
        session.add(Blocker(workspace_id=workspace_id, number=1, author=MAYA, text="x",
                            source=Source.SLACK))
        with pytest.raises(IntegrityError):
            session.flush()


def test_a_blocker_on_two_items_at_once_is_refused_by_the_database(
        db: sessionmaker[Session]) -> None:
    with db() as session:
        workspace_id, keyed = ids(session)
        session.add(Blocker(workspace_id=workspace_id, number=1, author=MAYA, text="x",
                            source=Source.SLACK, metric_id=keyed["onboarding-tickets"],
                            activity_id=keyed["activity:onboarding-tours"]))
        with pytest.raises(IntegrityError):
            session.flush()


@pytest.mark.parametrize(("target", "says"), [
    ("trial-conversion", "only objectives, key results, KPIs and activities can be blocked"),
    ("elsewhere", "not in this workspace's plan"),
])
def test_a_blocker_on_a_goal_or_on_another_workspaces_item_is_refused(
        db: sessionmaker[Session], target: str, says: str) -> None:
    with db() as session:
        workspace_id, keyed = ids(session)
        if target == "elsewhere":
            other = Workspace(slack_team_id="T0OTHER")
            session.add(other)
            session.flush()
            workspace_id = other.id
            target = "onboarding-tickets"
        with pytest.raises(DomainError, match=says):
            service.raise_blocker(db_session=session, workspace_id=workspace_id, author=MAYA,
                                  text="x", source=Source.SLACK, now=NOW,
                                  metric_id=keyed[target])
        assert session.scalars(select(Blocker)).all() == []


@pytest.mark.parametrize(("actor", "who"), [
    (KWAME, "its author"), (PRIYA, "the blocked KPI's owner"),
    (MAYA, "the owner's manager"), (LARS, "the author's manager"),
])
def test_the_author_the_owner_and_their_managers_may_resolve(db: sessionmaker[Session],
                                                             actor: str, who: str) -> None:
    with db.begin() as session:
        raise_on_tickets(session)
    later = NOW + timedelta(days=2)
    with db.begin() as session:
        workspace_id, _ = ids(session)
        done = service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=1,
                                       actor=actor, now=later, note=" export fixed ")
    assert done.changed, who
    with db() as session:
        row = session.scalars(select(Blocker)).one()
    assert (row.resolved_at, row.resolved_by, row.resolution) == (later, actor, "export fixed")


def test_a_workspace_admin_may_resolve(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        raise_on_tickets(session)
        session.scalars(select(Person).where(Person.slack_user_id == OLIVIA)).one().is_admin = True
    with db.begin() as session:
        workspace_id, _ = ids(session)
        assert service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=1,
                                       actor=OLIVIA, now=NOW).changed


@pytest.mark.parametrize("actor", [OLIVIA, TOMAS, "U0NOBODY1"])
def test_anyone_else_is_refused_and_nothing_changes(db: sessionmaker[Session],
                                                    actor: str) -> None:
    with db.begin() as session:
        raise_on_tickets(session)
    with db() as session:
        workspace_id, _ = ids(session)
        with pytest.raises(service.NotAllowed) as refused:
            service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=1,
                                    actor=actor, now=NOW)
        session.commit()
    assert refused.value.blocker.author == KWAME
    with db() as session:
        assert session.scalars(select(Blocker)).one().resolved_at is None


def test_resolving_twice_changes_nothing_the_second_time(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        raise_on_tickets(session)
    with db.begin() as session:
        workspace_id, _ = ids(session)
        service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=1,
                                actor=PRIYA, now=NOW, note="first")
    with db.begin() as session:
        again = service.resolve_blocker(db_session=session, workspace_id=workspace_id,
                                        number=1, actor=KWAME, now=NOW + timedelta(hours=1),
                                        note="second")
    assert not again.changed
    assert (again.blocker.resolved_by, again.blocker.resolution) == (PRIYA, "first")
    with db() as session:
        row = session.scalars(select(Blocker)).one()
    assert (row.resolved_by, row.resolved_at, row.resolution) == (PRIYA, NOW, "first")


def test_an_unknown_number_or_another_workspaces_number_is_unknown(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        other = Workspace(slack_team_id="T0OTHER")
        session.add(other)
        session.flush()
        for _ in range(3):
            service.raise_blocker(db_session=session, workspace_id=other.id, author=MAYA,
                                  text="theirs", source=Source.SLACK, now=NOW)
        raise_on_tickets(session)
    with db() as session:
        workspace_id, _ = ids(session)
        with pytest.raises(service.UnknownBlocker, match="no blocker B-3 in this workspace"):
            service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=3,
                                    actor=MAYA, now=NOW)
        assert service.blocker_by_number(db_session=session, workspace_id=workspace_id,
                                         number=3) is None
        assert [b.text for b in service.open_blockers(
            db_session=session, workspace_id=workspace_id)] == ["no ticket export"]


def test_open_blockers_by_person_and_by_item_in_the_listing_order(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        workspace_id, keyed = ids(session)

        def raise_(author: str, days_ago: int, **on: int) -> None:
            service.raise_blocker(db_session=session, workspace_id=workspace_id, author=author,
                                  text=f"by {author}", source=Source.SLACK,
                                  now=NOW - timedelta(days=days_ago), **on)

        raise_(TOMAS, 1, activity_id=keyed["activity:funnel-instrumentation"])  # 1
        raise_(KWAME, 5, metric_id=keyed["onboarding-tickets"])  # 2: Priya's KPI
        raise_(OLIVIA, 2, objective_id=keyed["objective:existing-accounts"])  # 3: Olivia's
        raise_(MAYA, 9)  # 4: general
        raise_(KWAME, 3, metric_id=keyed["first-week-activation"])  # 5: Maya's key result
        raise_(PRIYA, 4, objective_id=keyed["objective:ai-onboarding"])  # 6: Maya's
    with db.begin() as session:
        service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=3,
                                actor=OLIVIA, now=NOW)
    with db() as session:
        def numbers(**filters) -> list[int]:
            return [b.number for b in service.open_blockers(
                db_session=session, workspace_id=workspace_id, **filters)]

        assert numbers() == [6, 5, 1, 2, 4]
        assert numbers(people={MAYA}) == [6, 5, 4]
        assert numbers(people={PRIYA}) == [6, 2]
        assert numbers(people={MAYA, PRIYA, TOMAS}) == [6, 5, 1, 2, 4]
        assert numbers(on=[(NodeKind.OBJECTIVE, "ai-onboarding"),
                           (NodeKind.KEY_RESULT, "first-week-activation"),
                           (NodeKind.KPI, "onboarding-tickets")]) == [6, 5, 2]
        assert numbers(on=[]) == []


def test_blockers_and_confidence_leave_the_data_version_alone(
        db: sessionmaker[Session]) -> None:
    with db() as session:
        version = session.scalars(select(Workspace.data_version)).one()
    with db.begin() as session:
        raise_on_tickets(session)
        workspace_id, _ = ids(session)
        service.resolve_blocker(db_session=session, workspace_id=workspace_id, number=1,
                                actor=KWAME, now=NOW)
        metric = session.scalars(select(Metric).where(Metric.key == "trial-drop-off")).one()
        service.record_confidence(db_session=session, metric=metric, confidence=6,
                                  reported_by=MAYA, at=NOW, source=Source.CHECKIN)
    with db() as session:
        assert session.scalars(select(Workspace.data_version)).one() == version


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN IMMEDIATE
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_latest_confidence_of_each_metric_comes_in_one_query(
        db: sessionmaker[Session], engine: Engine) -> None:
    with db.begin() as session:
        metrics = {m.key: m for m in session.scalars(select(Metric))}
        for days_ago, value, key in [(14, 4, "trial-drop-off"), (7, 6, "trial-drop-off"),
                                     (10, 8, "first-week-activation"),
                                     (3, 3, "onboarding-tickets")]:
            service.record_confidence(db_session=session, metric=metrics[key], confidence=value,
                                      reported_by=MAYA, at=NOW - timedelta(days=days_ago),
                                      source=Source.CHECKIN, note="n" if value == 6 else None)
        wanted = {k: metrics[k].id for k in ("trial-drop-off", "first-week-activation",
                                             "customer-effort")}
    with db() as session, statements(session.get_bind()) as sent:
        latest = service.latest_confidences(db_session=session, metric_ids=wanted.values())
        by_key = service.latest_confidences_by_key(
            db_session=session, workspace_id=metrics["trial-drop-off"].workspace_id,
            keys=["trial-drop-off", "onboarding-tickets", "customer-effort"])
    assert len(sent) == 2
    assert {c.metric_key: c.confidence for c in latest.values()} == \
        {"trial-drop-off": 6, "first-week-activation": 8}
    drop_off = latest[wanted["trial-drop-off"]]
    assert (drop_off.reported_by, drop_off.reported_at, drop_off.source, drop_off.note) == \
        (MAYA, NOW - timedelta(days=7), Source.CHECKIN, "n")
    assert drop_off.reported_at.tzinfo is not None
    assert {key: c.confidence for key, c in by_key.items()} == \
        {"trial-drop-off": 6, "onboarding-tickets": 3}
    assert by_key["trial-drop-off"].note == "n"


@pytest.mark.parametrize("value", [0, 11, 7.5])
def test_confidence_off_the_scale_is_refused_and_not_stored(db: sessionmaker[Session],
                                                            value: float) -> None:
    with db() as session:
        metric = session.scalars(select(Metric).where(Metric.key == "trial-drop-off")).one()
        with pytest.raises(InvalidInput, match="whole number from 1"):
            service.record_confidence(db_session=session, metric=metric, confidence=value,
                                      reported_by=MAYA, at=NOW, source=Source.CHECKIN)
        assert session.scalars(select(ConfidenceReport)).all() == []


def test_confidence_is_for_key_results_and_kpis_only(db: sessionmaker[Session]) -> None:
    with db() as session:
        goal = session.scalars(select(Metric).where(Metric.kind == MetricKind.GOAL)).first()
        with pytest.raises(InvalidInput, match="not a goal"):
            service.record_confidence(db_session=session, metric=goal, confidence=5,
                                      reported_by=MAYA, at=NOW, source=Source.CHECKIN)


def test_the_database_refuses_confidence_off_the_scale(db: sessionmaker[Session]) -> None:
    with db() as session:
        metric = session.scalars(select(Metric).where(Metric.key == "trial-drop-off")).one()
        session.add(ConfidenceReport(metric_id=metric.id, confidence=11, reported_by=MAYA,
                                     reported_at=NOW, source=Source.CHECKIN))
        with pytest.raises(IntegrityError):
            session.flush()


def test_blockable_items_fit_what_was_typed(db: sessionmaker[Session]) -> None:
    with db() as session:
        workspace_id, _ = ids(session)
        found = service.blockable(db_session=session, workspace_id=workspace_id,
                                  typed="onboarding")
        kinds = {c.key: c.item.kind for c in found}
    assert kinds["ai-onboarding"] is NodeKind.OBJECTIVE
    assert kinds["onboarding-tours"] is NodeKind.ACTIVITY
    assert kinds["onboarding-completion"] is NodeKind.KPI
    with db() as session:
        literal = service.blockable(db_session=session, workspace_id=workspace_id, typed="%")
        goals = service.blockable(db_session=session, workspace_id=workspace_id,
                                  typed="trial-conversion")
    assert literal == [], "% is taken literally, not as 'anything'"
    assert goals == [], "goals are not blockable"
