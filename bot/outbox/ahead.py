"""The `open-dm-channels` job: open the DM channel of everyone due for a check-in within
OUTBOX_OPEN_AHEAD_DAYS who has none stored yet, so a first week's DMs need no
conversations.open (Tier 3, about 50 a minute: 10,000 people would take 200 minutes) in
their due minute.

APScheduler says when (hourly); the database says who. Each person gets an outbox message of
kind `open-dm`: the sender claims it like any other message, calls only conversations.open
at the open budget that the DMs due now leave, and stores the channel. One per person and
cycle (its dedupe key), none while another waits, so two processes running the job queue
each one once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.checkins.job import due_within
from bot.db import transaction
from bot.job_outcome import Outcome
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.queue import OPEN_DM, dm_channels
from bot.people.models import Workspace

if TYPE_CHECKING:
    from bot.job_context import JobContext

OPEN_TEXT = "opens the DM channel for the next check-in"  # what `outbox list` shows


def open_dm_channels(context: JobContext) -> str:
    now, within = context.now(), context.outbox.open_ahead
    with context.session_factory() as db_session:
        workspaces = list(db_session.scalars(select(Workspace.id).where(
            Workspace.reachable()).order_by(Workspace.id)))
    queued = known = 0
    for workspace_id in workspaces:
        with transaction(context.session_factory) as db_session:
            workspace = db_session.get(Workspace, workspace_id)
            if workspace is None:
                continue
            due = due_within(db_session, workspace, now=now, within=within)
            opened = dm_channels(db_session, workspace.slack_team_id, list(due))
            known += len(opened)
            waiting = _waiting(db_session, workspace.slack_team_id)
            wanted = {user: cycle for user, cycle in due.items()
                      if user not in opened and user not in waiting}
            queued += _queue(db_session, workspace.slack_team_id, wanted, now)
    return Outcome(f"queued {queued} DM channel(s) to open; {known} of the people due "
                   f"within {within.days} day(s) have one already", idle=not queued)


def _waiting(db_session: Session, team_id: str) -> set[str]:
    return set(db_session.scalars(select(OutboxMessage.user_id).where(
        OutboxMessage.team_id == team_id, OutboxMessage.kind == OPEN_DM,
        OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))))


def _queue(db_session: Session, team_id: str, wanted: dict[str, str], now: datetime) -> int:
    """One insert for them all; a key another process queued meanwhile is left as it is."""
    if not wanted:
        return 0
    dialect = db_session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"team_id": team_id, "kind": OPEN_DM, "user_id": user, "channel": None,
             "payload": {"text": OPEN_TEXT}, "dedupe_key": f"{OPEN_DM}:{user}:{cycle}",
             "status": OutboxStatus.QUEUED, "attempts": 0, "next_attempt_at": now,
             "created_at": now} for user, cycle in sorted(wanted.items())]
    inserted = db_session.execute(insert(OutboxMessage).on_conflict_do_nothing(
        index_elements=["team_id", "dedupe_key"]).returning(OutboxMessage.id), rows)
    return len(inserted.all())
