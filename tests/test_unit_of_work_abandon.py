"""A request the HTTP edge answered for (too slow for Slack) commits nothing afterwards, and
one that committed before is reported as saved: the apology never says "nothing was changed"
about something stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.db import UnitOfWork
from bot.people.models import Workspace


def test_an_abandoned_unit_of_work_rolls_back_even_when_asked_to_commit(
        database_url: str, session_factory: sessionmaker[Session]) -> None:
    schema.upgrade(database_url)
    late = UnitOfWork(session_factory)
    late.session.add(Workspace(slack_team_id="T0LATE"))
    assert late.abandon() is True  # the edge answered first
    late.finish(commit=True)
    assert (late.committed, late.abandoned) == (False, True)

    early = UnitOfWork(session_factory)
    early.session.add(Workspace(slack_team_id="T0EARLY"))
    early.finish(commit=True)
    assert early.abandon() is False  # committed before the edge gave up: it says so
    with session_factory() as session:
        assert list(session.scalars(select(Workspace.slack_team_id))) == ["T0EARLY"]
