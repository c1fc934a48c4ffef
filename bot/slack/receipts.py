"""Event de-duplication: Slack delivers events at least once; we act on each once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.slack.models import SlackEventReceipt

# Slack retries for about five minutes; a day leaves room for clocks and outages.
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
