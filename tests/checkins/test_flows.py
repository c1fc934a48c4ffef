"""The blocker and confidence flows check who may act themselves, whichever surface calls
them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import flows
from bot.checkins.models import Blocker, ConfidenceReport
from bot.errors import Ambiguous, NotAllowed, NotFound
from bot.okrs.flows import Actor
from bot.people.models import Workspace
from tests.checkins.test_service import KWAME, LARS, MAYA, NOW, PRIYA, TEAM, import_example

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.filled_by.with_args(import_example)  # the same template as test_service's


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A migrated database with the example plan imported (import_example)."""
    return session_factory


def workspace(session: Session) -> Workspace:
    return session.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()


def test_confidence_is_reported_by_the_owner_or_their_manager_only(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        mine = flows.record_confidence(session, workspace(session), Actor(MAYA),
                                       typed="first-week-activation", confidence=7, now=NOW)
        managed = flows.record_confidence(session, workspace(session), Actor(LARS),
                                          typed="first-week-activation", confidence=4, now=NOW)
        with pytest.raises(NotAllowed) as refused:
            flows.record_confidence(session, workspace(session), Actor(KWAME),
                                    typed="first-week-activation", confidence=9, now=NOW)
    assert (mine.confidence, managed.confidence) == (7, 4)
    assert refused.value.owner == MAYA and "Nothing was recorded" in refused.value.message
    with db() as session:
        assert sorted(r.confidence for r in session.scalars(select(ConfidenceReport))) == [4, 7]


def test_a_blocker_names_its_item_by_key_or_name_and_says_when_it_cannot(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        raised = flows.raise_blocker(session, workspace(session), Actor(KWAME),
                                     typed="onboarding-tickets", text="no export", now=NOW)
        with pytest.raises(Ambiguous) as several:
            flows.raise_blocker(session, workspace(session), Actor(KWAME), typed="answer",
                                text="x", now=NOW)
        with pytest.raises(NotFound):
            flows.raise_blocker(session, workspace(session), Actor(KWAME), typed="xyzzy",
                                text="x", now=NOW)
    assert raised.item is not None and raised.item.owner == PRIYA
    assert all(choice.label for choice in several.value.choices)  # mixed kinds say their kind
    with db() as session:
        assert [b.number for b in session.scalars(select(Blocker))] == [1]


def test_an_operator_may_resolve_any_blocker_and_a_stranger_may_not(
        db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        flows.raise_blocker(session, workspace(session), Actor(KWAME),
                            typed="onboarding-tickets", text="no export", now=NOW)
        with pytest.raises(NotAllowed):
            flows.resolve_blocker(session, workspace(session), Actor("U0STRANGER"), number=1,
                                  now=NOW)
        done = flows.resolve_blocker(session, workspace(session), Actor.operator(), number=1,
                                     now=NOW, note="fixed upstream")
    assert done.changed
