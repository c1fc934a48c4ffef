"""Event de-duplication (Slack delivers events at least once; we act on each once) and
request receipts (a replayed command, click or submission writes nothing twice)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import one_of, run_core
from bot.slack.models import SlackEventReceipt, SlackRequestReceipt

# Slack retries for about five minutes and a signature is good for five; a day leaves room
# for clocks and outages.
KEEP_RECEIPTS_FOR = timedelta(days=1)


def claim_event(*, db_session: Session, event_id: str, event_type: str,
                slack_team_id: str | None) -> bool:
    """Record the delivery; False if another delivery of the same event got there first."""
    try:
        with db_session.begin_nested():
            db_session.add(SlackEventReceipt(event_id=event_id, event_type=event_type,
                                             slack_team_id=slack_team_id))
    except IntegrityError:
        return False
    return True


def prune_receipts(*, db_session: Session, now: datetime) -> int:
    result = db_session.execute(
        delete(SlackEventReceipt).where(SlackEventReceipt.received_at < now - KEEP_RECEIPTS_FOR)
    )
    return result.rowcount or 0


def prune_request_receipts(*, db_session: Session, now: datetime) -> int:
    result = db_session.execute(delete(SlackRequestReceipt).where(
        SlackRequestReceipt.received_at < now - KEEP_RECEIPTS_FOR))
    return result.rowcount or 0


def earlier_replies(*, db_session: Session, trigger_ids: Sequence[str]) -> dict[str, str]:
    """earlier_reply of each, by trigger_id, from one statement (those committed only)."""
    statement = _replies_of(db_session.get_bind().dialect.name)
    return dict(run_core(db_session, statement, {"trigger_ids": sorted(set(trigger_ids))}).all())


@functools.cache
def _replies_of(dialect: str) -> Select:
    return select(SlackRequestReceipt.trigger_id, SlackRequestReceipt.reply).where(
        one_of(SlackRequestReceipt.trigger_id, "trigger_ids", dialect))


def earlier_reply(*, db_session: Session, trigger_id: str) -> str | None:
    """The reply a request with this trigger_id got, if its work was committed."""
    return run_core(db_session, _reply_of(), {"trigger_id": trigger_id}).scalar()


@functools.cache
def _reply_of() -> Select:
    # Built once: every write from Slack looks its request up first.
    return select(SlackRequestReceipt.reply).where(
        SlackRequestReceipt.trigger_id == bindparam("trigger_id"))


@dataclass(frozen=True)
class Receipt:
    """What a request that wrote was answered: its reply, as Slack got it."""

    trigger_id: str
    kind: str
    slack_team_id: str | None
    reply: str


def record_request(*, db_session: Session, trigger_id: str, kind: str,
                   slack_team_id: str | None, reply: str) -> None:
    """Add the receipt to the work's own transaction; IntegrityError if the same request
    got there first (a replay racing the original)."""
    record_requests(db_session=db_session, receipts=[Receipt(trigger_id, kind, slack_team_id,
                                                             reply)])


def record_requests(*, db_session: Session, receipts: Sequence[Receipt]) -> None:
    """record_request for each, in one statement."""
    if receipts:
        run_core(db_session, insert(SlackRequestReceipt.__table__),
                 [{"trigger_id": r.trigger_id, "kind": r.kind,
                   "slack_team_id": r.slack_team_id, "reply": r.reply} for r in receipts])
