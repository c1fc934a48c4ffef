"""The `check-alerts` job: every few minutes, each workspace's key results and KPIs as its
chain stands now (statuses move with time too: a pace falls behind, a due date passes), each
crossing into yellow or red claimed and told to its owner once (bot/alerts/service.py). A
trigger met by a new value is told when the value is recorded, not here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.service import check_statuses
from bot.db import transaction
from bot.okrs.flows import teams_with_plans
from bot.okrs.store.cache import ChainCache
from bot.people.models import Workspace


@dataclass
class AlertTally:
    told: int = 0
    muted: int = 0
    recovered: int = 0

    def __str__(self) -> str:
        return (f"crossings told to their owners: {self.told}, snoozed: {self.muted}; "
                f"back to green: {self.recovered}")


def check_alerts(session_factory: sessionmaker[Session], chains: ChainCache,
                 now: datetime) -> AlertTally:
    """One pass as of `now`, one transaction per workspace."""
    tally = AlertTally()
    with session_factory() as session:
        teams = teams_with_plans(session)
    for team_id in teams:
        with transaction(session_factory) as session:
            workspace = session.scalar(select(Workspace).where(
                Workspace.slack_team_id == team_id, Workspace.reachable()))
            if workspace is None:
                continue
            checked = check_statuses(session, workspace,
                                     chains.chain(session, workspace, now), now)
        tally.told += checked.told
        tally.muted += checked.muted
        tally.recovered += checked.recovered
    return tally
