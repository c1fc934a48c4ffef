"""The `purge-uninstalled` job: a workspace uninstalled longer ago than OKR_BOT_RETENTION_DAYS
loses everything it held, one workspace per transaction. Two replicas running it at once
delete each row once; the second finds nothing left (a purge is idempotent)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.db import transaction
from bot.lifecycle import flows
from bot.logs import structured

log = logging.getLogger(__name__)


def purge_uninstalled(session_factory: sessionmaker[Session], *, now: datetime,
                      retention: timedelta) -> list[flows.Purged]:
    with session_factory() as session:
        due = flows.due_for_purge(session, now=now, retention=retention)
    purged = []
    for slack_team_id in due:
        with transaction(session_factory) as session:
            # Asked again inside the transaction: a reinstall since the list was read wins.
            if slack_team_id not in flows.due_for_purge(session, now=now, retention=retention):
                continue
            done = flows.purge_workspace(session, slack_team_id, Actor.operator())
        structured(log, logging.INFO, "workspace_purged", team=slack_team_id, rows=done.total,
                   retention_days=retention.days)
        purged.append(done)
    return purged


def line(purged: list[flows.Purged], retention: timedelta) -> str:
    if not purged:
        return f"no workspace uninstalled more than {retention.days} day(s) ago"
    teams = ", ".join(f"{p.slack_team_id} ({p.total} rows)" for p in purged)
    return f"workspaces purged after {retention.days} day(s): {teams}"
