"""What `okr-bot outbox list` and `okr-bot outbox retry` ask of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.errors import InvalidInput, NotFound
from bot.outbox.models import OutboxMessage, OutboxStatus

STATUSES = tuple(str(s) for s in OutboxStatus)


@dataclass(frozen=True)
class MessageLine:
    id: int
    team_id: str
    kind: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    ts: str | None
    last_error: str | None


def list_messages(session_factory: sessionmaker[Session], *, status: str | None = None,
                  limit: int = 100) -> list[MessageLine]:
    """The newest messages first, of one status if given."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"there is no outbox status {status!r}", field="status",
                           expected=" or ".join(STATUSES))
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    with session_factory() as db_session:
        return [MessageLine(m.id, m.team_id, m.kind, m.recipient, m.status, m.attempts,
                            m.next_attempt_at, m.sent_at, m.ts, m.last_error)
                for m in db_session.scalars(query)]


def retry(session_factory: sessionmaker[Session], *, message_id: int | None = None,
          all_failed: bool = False, now: datetime) -> list[int]:
    """Queue failed messages again, due now, with their attempts counted afresh. A message
    whose earlier attempt may have reached Slack is still looked for before it is posted.
    Returns the ids queued; one transaction."""
    with transaction(session_factory) as db_session:
        if all_failed:
            rows = list(db_session.scalars(select(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.FAILED).with_for_update()))
        else:
            row = db_session.get(OutboxMessage, message_id, with_for_update=True)
            if row is None:
                raise NotFound(f"there is no outbox message {message_id}", kind="message",
                               typed=str(message_id))
            if row.status != OutboxStatus.FAILED:
                raise InvalidInput(f"outbox message {row.id} is {row.status}, not failed",
                                   field="id", expected="the id of a failed message")
            rows = [row]
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = OutboxStatus.QUEUED, 0, now
        return [row.id for row in rows]
