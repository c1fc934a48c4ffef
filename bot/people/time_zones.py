"""The daily refresh of people's time zones from Slack (`users.info` `tz`), so a check-in
follows someone who moved even when no `user_change` event reached us (the app was down,
the event was lost)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.db import transaction
from bot.people.models import Person, Workspace
from bot.people.service import apply_slack_user

# users.info is Tier 4 (100+ a minute per workspace): one call every 0.6 s stays under it
# with room for the listeners' own calls.
SECONDS_BETWEEN_CALLS = 0.6
# At that pace a day's refresh of this many people takes under an hour; a bigger workspace is
# refreshed in part each day, those asked longest ago first, so everyone's turn comes.
MOST_PEOPLE_PER_RUN = 5000
# Errors that say the workspace's token no longer works: asking about more people is useless.
TOKEN_GONE = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
              "token_expired", "team_access_not_granted"}
NOT_FOUND = {"user_not_found", "user_not_visible"}


@dataclass
class ZoneRefresh:
    asked: int = 0
    moved: int = 0  # people whose zone changed
    not_found: int = 0  # left as they were
    failed: int = 0
    workspaces_without_token: int = 0

    def line(self) -> str:
        return (f"asked Slack about {self.asked} people: {self.moved} changed zone, "
                f"{self.not_found} not found (kept), {self.failed} failed, "
                f"{self.workspaces_without_token} workspace(s) whose token no longer works")


def _people(session: Session, slack_team_id: str, limit: int) -> list[str]:
    return list(session.scalars(
        select(Person.slack_user_id).join(Workspace, Person.workspace_id == Workspace.id)
        .where(Workspace.slack_team_id == slack_team_id, Person.is_bot.is_(False),
               Person.deactivated.is_(False))
        .order_by(Person.time_zone_checked_at.asc().nulls_first(), Person.id).limit(limit)))


def refresh_time_zones(*, session_factory: sessionmaker[Session], slack_team_ids: Iterable[str],
                       client: Callable[[str], WebClient],
                       pause: Callable[[float], None] = time.sleep,
                       spacing: float = SECONDS_BETWEEN_CALLS,
                       limit: int = MOST_PEOPLE_PER_RUN,
                       now: Callable[[], datetime] = clock.now) -> ZoneRefresh:
    """Ask Slack about every known person of the given workspaces, at most `limit` in all,
    `spacing` seconds apart; store what it says. No transaction is held open while Slack is
    asked: each workspace's answers are written together afterwards."""
    report = ZoneRefresh()
    budget = limit
    for team_id in slack_team_ids:
        with transaction(session_factory) as session:
            people = _people(session, team_id, budget)
        answers: dict[str, dict[str, Any] | None] = {}
        for user_id in people:
            if report.asked:
                pause(spacing)
            report.asked += 1
            budget -= 1
            try:
                answers[user_id] = client(team_id).users_info(user=user_id)["user"]
            except SlackApiError as error:
                code = error.response.get("error") if error.response is not None else None
                if code in NOT_FOUND:  # kept as they are, and asked again in their turn
                    report.not_found += 1
                    answers[user_id] = None
                    continue
                report.failed += 1
                if code in TOKEN_GONE:
                    report.workspaces_without_token += 1
                    break
            except OSError:  # Slack unreachable, after the client's own retries: keep what
                report.failed += 1  # was answered, and leave the rest for tomorrow
                break
        _store(session_factory, team_id, answers, report, now())
        if budget <= 0:
            break
    return report


def _store(session_factory: sessionmaker[Session], team_id: str,
           answers: dict[str, dict[str, Any] | None], report: ZoneRefresh,
           at: datetime) -> None:
    if not answers:
        return
    with transaction(session_factory) as session:
        rows = session.scalars(
            select(Person).join(Workspace, Person.workspace_id == Workspace.id)
            .where(Workspace.slack_team_id == team_id,
                   Person.slack_user_id.in_(list(answers))))
        for person in rows:
            answer = answers[person.slack_user_id]
            if answer is None:
                person.time_zone_checked_at = at
                continue
            before = person.time_zone
            apply_slack_user(person, answer, at=at)
            report.moved += person.time_zone != before
