"""Bolt middleware and hooks: a database unit of work per request, and event de-duplication."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from sqlalchemy.orm import Session, sessionmaker

from bot.db import UnitOfWork
from bot.logs import structured
from bot.slack.receipts import claim_event

log = logging.getLogger(__name__)


def attach_unit_of_work(session_factory: sessionmaker[Session]) -> Callable[..., None]:
    def attach_unit_of_work(context: BoltContext, next: Callable[[], None]) -> None:
        context["unit_of_work"] = UnitOfWork(session_factory)
        next()

    return attach_unit_of_work


def db_session(context: BoltContext) -> Session:
    """The request's session (opened on first use)."""
    return context["unit_of_work"].session


def skip_duplicate_events(body: dict, context: BoltContext,
                          next: Callable[[], None]) -> BoltResponse | None:
    """Answer a repeated delivery of an event we already took with 200, and do nothing else."""
    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not event_id:
        next()
        return None
    event_type = (body.get("event") or {}).get("type", "unknown")
    if claim_event(db_session=db_session(context), event_id=event_id, event_type=event_type,
                   slack_team_id=body.get("team_id")):
        next()
        return None
    structured(log, logging.INFO, "duplicate_event_skipped", event_id=event_id,
               event_type=event_type, team=body.get("team_id"))
    return BoltResponse(status=200, body="")


class CommitUnitOfWork(ListenerCompletionHandler):
    """After a listener: commit what it did. The error handler has rolled back if it raised."""

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        unit_of_work = request.context.get("unit_of_work")
        if unit_of_work is not None:
            unit_of_work.finish(commit=True)
