"""What the migrated schema holds to, on SQLite and PostgreSQL: instants in UTC, naive ones
refused, a person unique per workspace and with a time zone, a workspace's people deleted with
it. Each test starts from the migrated template (what `schema.upgrade` makes of an empty
database, which tests/test_migrations.py checks), not from migrating an empty one itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Person, Workspace


@pytest.fixture
def migrated(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A copy of the migrated template (tests/support/templates.py)."""
    return session_factory


def test_instants_come_back_timezone_aware_in_utc(migrated: sessionmaker[Session]) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    uninstalled = datetime(2026, 3, 29, 7, 30, tzinfo=kolkata)
    with migrated.begin() as session:
        session.add(Workspace(slack_team_id="T1", uninstalled_at=uninstalled))
    with migrated() as session:
        stored = session.query(Workspace).one().uninstalled_at
    assert stored == uninstalled
    assert stored.tzinfo == UTC
    assert stored.hour == 2


def test_naive_datetimes_are_refused(migrated: sessionmaker[Session]) -> None:
    with migrated() as session, pytest.raises(StatementError, match="naive datetime"):
        session.add(Workspace(slack_team_id="T1", uninstalled_at=datetime(2026, 1, 1)))
        session.flush()


def test_a_person_is_unique_per_workspace(migrated: sessionmaker[Session]) -> None:
    with migrated() as session:
        workspace = Workspace(slack_team_id="T1")
        session.add_all([Person(workspace=workspace, slack_user_id="U1"),
                         Person(workspace=workspace, slack_user_id="U1")])
        with pytest.raises(IntegrityError):
            session.flush()


def test_a_person_needs_a_time_zone(migrated: sessionmaker[Session]) -> None:
    with migrated() as session:
        session.add(Person(workspace=Workspace(slack_team_id="T1"), slack_user_id="U1",
                           time_zone=""))
        with pytest.raises(IntegrityError):
            session.flush()


def test_deleting_a_workspace_removes_its_people(migrated: sessionmaker[Session]) -> None:
    with migrated.begin() as session:
        session.add(Person(workspace=Workspace(slack_team_id="T1"), slack_user_id="U1"))
    with migrated.begin() as session:
        session.execute(Workspace.__table__.delete())
    with migrated() as session:
        assert session.query(Person).count() == 0
