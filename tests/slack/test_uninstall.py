"""app_uninstalled and tokens_revoked, as Slack sends them (signed HTTP): the workspace's queued
messages stop at once and its jobs skip it, another workspace's go on; a user token revoked
alone changes nothing; a reinstall brings the jobs back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.job import run_checkins
from bot.checkins.rounds import CheckinRound
from bot.db import transaction
from bot.lifecycle import flows
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from tests.conftest import TEAM_ID
from tests.slack.conftest import RunningBot

ELSEWHERE = "T0ELSEWHERE"
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


def queue_some(db: sessionmaker[Session]) -> None:
    with transaction(db) as session:
        for team, user in ((TEAM_ID, "U0AIPM001"), (TEAM_ID, "U0AIML001"), (ELSEWHERE, "U0X")):
            enqueue(session, team_id=team, kind="checkin", dedupe_key=f"k-{user}", text="Hi",
                    user_id=user)


def statuses(db: sessionmaker[Session]) -> dict[tuple[str, str], tuple[str, str | None]]:
    with db() as session:
        return {(m.team_id, m.user_id): (m.status, m.last_error)
                for m in session.scalars(select(OutboxMessage))}


def rounds(db: sessionmaker[Session]) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(CheckinRound))


def a_monday(db: sessionmaker[Session]) -> None:
    for hours in (0, 6, 12, 18):  # every zone of the example plan falls due on Monday in UTC
        run_checkins(db, MONDAY + timedelta(hours=hours))


def test_an_uninstall_stops_the_queue_and_the_jobs_of_that_workspace_only(
        planned: RunningBot) -> None:
    db = planned.session_factory
    queue_some(db)

    reply = planned.slack.event({"type": "app_uninstalled"})

    assert reply.status == 200
    assert statuses(db) == {
        (TEAM_ID, "U0AIPM001"): ("failed", flows.CANCELLED_UNINSTALLED),
        (TEAM_ID, "U0AIML001"): ("failed", flows.CANCELLED_UNINSTALLED),
        (ELSEWHERE, "U0X"): ("queued", None),
    }
    a_monday(db)
    assert rounds(db) == 0, "no check-in opens in an uninstalled workspace"
    # Installed again: the same Monday opens everyone's check-in.
    with transaction(db) as session:
        assert flows.reinstalled(session, TEAM_ID)
    a_monday(db)
    assert rounds(db) == 6


def test_a_revoked_user_token_changes_nothing_and_a_revoked_bot_token_stops_the_queue(
        planned: RunningBot) -> None:
    db = planned.session_factory
    queue_some(db)

    planned.slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0AIPM001"]}})
    assert statuses(db)[(TEAM_ID, "U0AIPM001")] == ("queued", None)

    planned.slack.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}})
    assert statuses(db)[(TEAM_ID, "U0AIPM001")] == ("failed", flows.CANCELLED_REVOKED)
    assert statuses(db)[(ELSEWHERE, "U0X")] == ("queued", None)
    a_monday(db)
    assert rounds(db) == 0
