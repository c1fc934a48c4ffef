"""The check-in job on SQLite and PostgreSQL: each person gets one round and one queued DM per
cycle at 09:00-ish their own time (here Tuesday 10:30, the plan's), however often it ticks and
however many processes tick; time off excuses the week; one reminder; a snoozed DM comes back;
a round nobody answered is missed when its window closes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.checkins.job import run_checkins
from bot.checkins.rounds import CheckinRound, TimeOff
from bot.outbox.models import OutboxMessage
from bot.people.models import Workspace
from tests.conftest import TEAM_ID
from tests.people.plans import import_zones_plan
from tests.support.threads import side_by_side

# Tuesday 1 December 2026: 10:30 in London is 10:30 UTC, in Kolkata 05:00 UTC, and in Los
# Angeles 18:30 UTC.
LONDON_DUE = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
KOLKATA_DUE = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
LA_DUE = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    import_zones_plan(session_factory)
    return session_factory


def rounds(db: sessionmaker[Session]) -> dict[str, CheckinRound]:
    with db() as session:
        return {r.slack_user_id: r for r in session.scalars(select(CheckinRound))}


def dms(db: sessionmaker[Session], kind: str = "checkin") -> list[str]:
    with db() as session:
        return sorted(m.user_id for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_each_person_is_due_at_their_own_time_once_however_often_it_ticks(
        db: sessionmaker[Session]) -> None:
    run_checkins(db, KOLKATA_DUE - timedelta(minutes=1))
    assert dms(db) == []
    for tick in range(3):  # the minute it falls due, and two more ticks
        run_checkins(db, KOLKATA_DUE + timedelta(minutes=tick))
    assert dms(db) == ["U0BEN"]
    run_checkins(db, LONDON_DUE)
    run_checkins(db, LA_DUE)
    run_checkins(db, LA_DUE + timedelta(minutes=5))
    assert dms(db) == ["U0ANA", "U0BEN", "U0GONE"]
    found = rounds(db)
    assert found["U0ANA"].due_at == LONDON_DUE and found["U0BEN"].due_at == KOLKATA_DUE
    assert {r.cycle for r in found.values()} == {"2026-W49"}
    with db() as session:
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id == "U0ANA")).one()
        assert "Time for your weekly check-in" in message.payload["text"]


def test_two_processes_ticking_together_queue_each_dm_once(db: sessionmaker[Session]) -> None:
    side_by_side(lambda _: run_checkins(db, LA_DUE + timedelta(minutes=1)), [1, 2],
                 within=60)
    assert dms(db) == ["U0ANA", "U0BEN", "U0GONE"]
    assert len(rounds(db)) == 3


def test_time_off_excuses_the_week_and_sends_nothing(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        session.add(TimeOff(workspace_id=workspace.id, slack_user_id="U0ANA",
                            starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 4),
                            created_at=LONDON_DUE))
    run_checkins(db, LONDON_DUE + timedelta(minutes=1))
    found = rounds(db)["U0ANA"]
    assert (found.status, found.excused_reason) == ("excused", "out_of_office")
    assert "U0ANA" not in dms(db)


def test_one_reminder_a_snoozed_dm_comes_back_and_an_unanswered_week_is_missed(
        db: sessionmaker[Session]) -> None:
    run_checkins(db, LONDON_DUE)
    with db.begin() as session:  # Ben snoozed his for an hour
        ben = session.scalars(select(CheckinRound).where(
            CheckinRound.slack_user_id == "U0BEN")).one()
        ben.snoozed_until = LONDON_DUE + timedelta(hours=1)
    run_checkins(db, LONDON_DUE + timedelta(hours=1))
    assert dms(db).count("U0BEN") == 2  # the first DM and the snoozed one, once
    run_checkins(db, LONDON_DUE + timedelta(hours=1, minutes=1))
    assert dms(db).count("U0BEN") == 2

    run_checkins(db, LONDON_DUE + timedelta(hours=24))
    run_checkins(db, LONDON_DUE + timedelta(hours=25))
    assert dms(db, "checkin-reminder") == ["U0ANA", "U0BEN"]  # one each, Ana's at 24 h

    run_checkins(db, LONDON_DUE + timedelta(hours=48))
    found = rounds(db)
    assert found["U0ANA"].status == "missed" and found["U0BEN"].status == "missed"


def test_the_sender_is_told_after_each_commit_that_queued_dms_and_only_then(
        db: sessionmaker[Session]) -> None:
    """What it is told about is committed: another session (the sender's) sees the DMs."""
    seen: list[tuple[list[str], list[str]]] = []
    tell = lambda: seen.append((dms(db), dms(db, "checkin-reminder")))  # noqa: E731
    run_checkins(db, KOLKATA_DUE - timedelta(minutes=1), queued=tell)
    assert seen == []  # nothing due, nothing queued
    run_checkins(db, KOLKATA_DUE, queued=tell)
    run_checkins(db, KOLKATA_DUE + timedelta(minutes=1), queued=tell)  # nothing new
    run_checkins(db, LONDON_DUE, queued=tell)
    assert seen == [(["U0BEN"], []), (["U0ANA", "U0BEN"], [])]
    # Los Angeles' round opens (its own commit), then the reminders are queued (another).
    run_checkins(db, LONDON_DUE + timedelta(hours=24), queued=tell)
    everyone = ["U0ANA", "U0BEN", "U0GONE"]
    assert seen[2:] == [(everyone, []), (everyone, ["U0ANA", "U0BEN"])]
