"""What Slack answered, stored: the messages a run sent (in one transaction per batch), a
message to try again or kept failed, and a 429's hold. Each write first checks that this
worker still holds the message: a worker whose lease ran out records nothing, and the worker
that took the message over finds the earlier post in the channel instead of posting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.outbox.models import DirectMessageChannel, OutboxMessage, OutboxPacing, OutboxStatus
from bot.outbox.queue import OPEN_DM, Claim


@dataclass(frozen=True)
class Sent:
    """A claim Slack carried out: posted (with its `ts`) or, for an open, the channel."""

    claim: Claim
    ts: str | None  # None for a channel opened ahead: it posted nothing
    channel: str
    opened: bool  # conversations.open gave `channel` during this attempt


_HELD = update(OutboxMessage.__table__).where(
    OutboxMessage.__table__.c.id == bindparam("message_id"),
    OutboxMessage.__table__.c.status == OutboxStatus.SENDING,
    OutboxMessage.__table__.c.claimed_by == bindparam("worker"))


def record_sent(session_factory: sessionmaker[Session], sent: list[Sent], *, worker: str,
                now: datetime) -> int:
    """The channels opened and the messages sent, in one transaction for the whole batch
    (one per message was most of the sender's time). Until it commits the messages stay
    claimed and marked unconfirmed, so a worker that dies first leaves them to be found in
    their channels, never posted twice. Returns how many were still this worker's."""
    if not sent:
        return 0
    with transaction(session_factory) as db_session:
        opened = [{"team_id": s.claim.team_id, "user_id": s.claim.user_id,
                   "channel_id": s.channel, "opened_at": now} for s in sent if s.opened]
        if opened:
            db_session.execute(_insert(db_session, DirectMessageChannel)
                               .on_conflict_do_nothing(index_elements=["team_id", "user_id"]),
                               opened)
        result = db_session.connection().execute(_HELD.values(
            status=OutboxStatus.SENT, ts=bindparam("sent_ts"),
            sent_channel=bindparam("sent_to"), sent_at=now, unconfirmed_since=None,
            claimed_by=None, claimed_until=None, last_error=None),
            [{"message_id": s.claim.id, "worker": worker, "sent_ts": s.ts,
              "sent_to": s.channel} for s in sent])
        return result.rowcount if result.rowcount >= 0 else len(sent)


def _insert(db_session: Session, model: type) -> object:
    dialect = db_session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def _held(db_session: Session, claim: Claim, worker: str) -> OutboxMessage | None:
    """The claimed message, locked, if this worker still holds it."""
    row = db_session.scalars(select(OutboxMessage).where(OutboxMessage.id == claim.id)
                             .with_for_update().execution_options(populate_existing=True)
                             ).one_or_none()
    if row is None or row.status != OutboxStatus.SENDING or row.claimed_by != worker:
        return None
    return row


def mark_unsent(session_factory: sessionmaker[Session], claim: Claim, *, worker: str,
                error: str, retry_at: datetime | None, uncertain: bool) -> None:
    """After a failed attempt: queued again for `retry_at`, or failed when it is None."""
    with transaction(session_factory) as db_session:
        row = _held(db_session, claim, worker)
        if row is None:
            return
        row.last_error = error[:500]
        row.claimed_by = row.claimed_until = None
        if not uncertain:
            row.unconfirmed_since = claim.check_since  # this attempt surely posted nothing
        if retry_at is None:
            row.status = OutboxStatus.FAILED
        else:
            row.status, row.next_attempt_at = OutboxStatus.QUEUED, retry_at


def hold_workspace(session_factory: sessionmaker[Session], team_id: str, *, until: datetime,
                   release: list[Claim], worker: str, error: str) -> None:
    """A 429: the workspace waits until `until`. Its queued messages move there, and the
    ones this worker holds go back as they were: a refused call posted nothing, and a rate
    limit is no fault of the message, so it costs no attempt."""
    with transaction(session_factory) as db_session:
        pacing = db_session.get(OutboxPacing, team_id, with_for_update=True)
        if pacing is not None:
            pacing.held_until = max(until, pacing.held_until or until)
            # The budget restarts at the hold's end: the slots booked past it went back
            # with the released messages, and keeping them would idle the workspace.
            pacing.next_post_at = until
        db_session.execute(update(OutboxMessage).where(
            OutboxMessage.team_id == team_id, OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.next_attempt_at < until).values(next_attempt_at=until))
        _release(db_session, release, until=until, worker=worker, error=error)


def hold_opens(session_factory: sessionmaker[Session], team_id: str, *, until: datetime,
               release: list[Claim], worker: str, error: str) -> None:
    """A 429 to a channel opened ahead: only the opens ahead wait until `until` (Slack limits
    each method on its own), so the DMs due now keep going."""
    with transaction(session_factory) as db_session:
        pacing = db_session.get(OutboxPacing, team_id, with_for_update=True)
        if pacing is not None:
            pacing.next_open_at = max(until, pacing.next_open_at)
        db_session.execute(update(OutboxMessage).where(
            OutboxMessage.team_id == team_id, OutboxMessage.kind == OPEN_DM,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.next_attempt_at < until).values(next_attempt_at=until))
        _release(db_session, release, until=until, worker=worker, error=error)


def _release(db_session: Session, release: list[Claim], *, until: datetime, worker: str,
             error: str) -> None:
    for index, claim in enumerate(release):
        row = _held(db_session, claim, worker)
        if row is None:
            continue
        row.status, row.next_attempt_at = OutboxStatus.QUEUED, until
        row.claimed_by = row.claimed_until = None
        row.attempts -= 1
        row.unconfirmed_since = claim.check_since
        if index == 0:  # the one Slack refused
            row.last_error = error[:500]


def release_late(session_factory: sessionmaker[Session], late: list[Claim], *, worker: str,
                 now: datetime) -> None:
    """Claims whose calls could not start near their slots, queued again as they were and due
    now, in one transaction: they were never sent (no attempt counted), and a later claim
    books them after whatever the budget holds by then."""
    if not late:
        return
    with transaction(session_factory) as db_session:
        db_session.connection().execute(_HELD.values(
            status=OutboxStatus.QUEUED, next_attempt_at=now,
            attempts=OutboxMessage.__table__.c.attempts - 1, claimed_by=None,
            claimed_until=None, unconfirmed_since=bindparam("check_since")),
            [{"message_id": c.id, "worker": worker, "check_since": c.check_since}
             for c in late])
