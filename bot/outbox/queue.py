"""The outbox in the database: enqueue a message, claim what is due, record what happened.

Claiming is one short transaction. The workspace's pacing row is locked (FOR UPDATE on
PostgreSQL; on SQLite the transaction holds the single writer's lock from BEGIN IMMEDIATE),
so every process draws slots from one budget, and the messages are locked with SKIP LOCKED,
so two workers never claim the same one. A claim is a lease: a worker that dies holding a
message leaves it to be taken up again when the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.db import transaction
from bot.errors import InvalidInput
from bot.outbox.models import DirectMessageChannel, OutboxMessage, OutboxPacing, OutboxStatus
from bot.outbox.pacing import OutboxLimits, book

MAX_BLOCKS = 50  # Slack refuses a message with more
MAX_TEAMS_PER_CLAIM = 20


def enqueue(db_session: Session, *, team_id: str, kind: str, dedupe_key: str, text: str,
            blocks: list[dict[str, Any]] | None = None, user_id: str | None = None,
            channel: str | None = None, now: datetime | None = None) -> OutboxMessage:
    """Queue a message to a person (`user_id`, sent to their DM) or a `channel`, inside the
    caller's transaction, so it goes if and only if the caller's work commits. Idempotent:
    the same `dedupe_key` in a workspace returns the message already queued (whatever its
    state) and queues nothing. `text` is what notifications show beside the blocks."""
    if (user_id is None) == (channel is None):
        raise InvalidInput("a message goes to a person or to a channel",
                           field="recipient", expected="exactly one of user_id or channel")
    if not text.strip():
        raise InvalidInput("a message needs text for notifications", field="text",
                           expected="non-empty text")
    if blocks is not None and len(blocks) > MAX_BLOCKS:
        raise InvalidInput(f"a message has {len(blocks)} blocks", field="blocks",
                           expected=f"at most {MAX_BLOCKS} blocks")
    found = _by_key(db_session, team_id, dedupe_key)
    if found is not None:
        return found
    message = OutboxMessage(
        team_id=team_id, kind=kind, channel=channel, user_id=user_id, dedupe_key=dedupe_key,
        payload={"text": text} | ({"blocks": blocks} if blocks is not None else {}),
        status=OutboxStatus.QUEUED, attempts=0,
        next_attempt_at=now or clock.now(), created_at=now or clock.now())
    try:
        # A concurrent transaction may be queueing the same key: its insert wins, ours
        # rolls back to here and returns its row.
        with db_session.begin_nested():
            db_session.add(message)
    except IntegrityError:
        found = _by_key(db_session, team_id, dedupe_key)
        if found is None:
            raise
        return found
    return message


def _by_key(db_session: Session, team_id: str, dedupe_key: str) -> OutboxMessage | None:
    return db_session.scalar(select(OutboxMessage).where(
        OutboxMessage.team_id == team_id, OutboxMessage.dedupe_key == dedupe_key))


@dataclass(frozen=True)
class Claim:
    """One message a worker holds, and the instant it may be posted."""

    id: int
    team_id: str
    kind: str
    channel: str | None  # where to post; None for a DM whose channel is not opened yet
    user_id: str | None
    payload: dict[str, Any]
    at: datetime
    attempts: int  # counting this one
    check_since: datetime | None  # an earlier attempt's outcome is unknown since then


def _due(now: datetime) -> Any:
    return or_(and_(OutboxMessage.status == OutboxStatus.QUEUED,
                    OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_until <= now))


def claim_due(session_factory: sessionmaker[Session], *, worker: str, now: datetime,
              limits: OutboxLimits) -> list[Claim]:
    """Claim the messages due now that fit each workspace's budget within the horizon."""
    claims: list[Claim] = []
    with transaction(session_factory) as db_session:
        teams = db_session.scalars(select(OutboxMessage.team_id).where(_due(now)).distinct()
                                   .order_by(OutboxMessage.team_id)
                                   .limit(MAX_TEAMS_PER_CLAIM)).all()
        for team_id in teams:
            claims += _claim_team(db_session, team_id, worker=worker, now=now, limits=limits)
    return sorted(claims, key=lambda c: (c.at, c.id))


def _pacing(db_session: Session, team_id: str, now: datetime) -> OutboxPacing:
    dialect = db_session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db_session.execute(insert(OutboxPacing).values(
        team_id=team_id, next_post_at=now, next_open_at=now, held_until=None)
        .on_conflict_do_nothing(index_elements=["team_id"]))
    return db_session.scalars(select(OutboxPacing).where(OutboxPacing.team_id == team_id)
                              .with_for_update().execution_options(populate_existing=True)
                              ).one()


def _claim_team(db_session: Session, team_id: str, *, worker: str, now: datetime,
                limits: OutboxLimits) -> list[Claim]:
    pacing = _pacing(db_session, team_id, now)
    if pacing.held_until is not None and now < pacing.held_until <= now + limits.longest_hold:
        return []
    most = max(1, int(limits.messages_per_minute * limits.horizon.total_seconds() / 60) + 1)
    rows = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.team_id == team_id, _due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(most)
        .with_for_update(skip_locked=True)).all()
    if not rows:
        return []
    opened = dm_channels(db_session, team_id, [r.user_id for r in rows if r.user_id])
    channels = [r.channel or opened.get(r.user_id or "") for r in rows]
    booking = book([(c or f"@{r.user_id}", c is None) for r, c in zip(rows, channels,
                                                                       strict=True)],
                   now=now, next_post_at=pacing.next_post_at,
                   next_open_at=pacing.next_open_at, limits=limits)
    pacing.next_post_at, pacing.next_open_at = booking.next_post_at, booking.next_open_at
    claims = []
    for row, channel, at in zip(rows, channels, booking.slots, strict=False):
        check_since = row.unconfirmed_since
        row.status, row.claimed_by = OutboxStatus.SENDING, worker
        row.claimed_until = at + limits.lease
        row.attempts += 1
        # From here until an answer says otherwise, this attempt may have reached Slack.
        row.unconfirmed_since = check_since or now
        claims.append(Claim(row.id, team_id, row.kind, channel, row.user_id, row.payload,
                            at, row.attempts, check_since))
    return claims


def dm_channels(db_session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    found = db_session.execute(select(DirectMessageChannel.user_id,
                                      DirectMessageChannel.channel_id).where(
        DirectMessageChannel.team_id == team_id, DirectMessageChannel.user_id.in_(user_ids)))
    return {user_id: channel_id for user_id, channel_id in found}


def remember_dm_channel(session_factory: sessionmaker[Session], *, team_id: str, user_id: str,
                        channel_id: str, now: datetime) -> None:
    with transaction(session_factory) as db_session:
        dialect = db_session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db_session.execute(insert(DirectMessageChannel).values(
            team_id=team_id, user_id=user_id, channel_id=channel_id, opened_at=now)
            .on_conflict_do_nothing(index_elements=["team_id", "user_id"]))


def _held(db_session: Session, claim: Claim, worker: str) -> OutboxMessage | None:
    """The claimed message, locked, if this worker still holds it."""
    row = db_session.scalars(select(OutboxMessage).where(OutboxMessage.id == claim.id)
                             .with_for_update().execution_options(populate_existing=True)
                             ).one_or_none()
    if row is None or row.status != OutboxStatus.SENDING or row.claimed_by != worker:
        return None
    return row


def mark_sent(session_factory: sessionmaker[Session], claim: Claim, *, worker: str, ts: str,
              channel: str | None, now: datetime) -> bool:
    with transaction(session_factory) as db_session:
        row = _held(db_session, claim, worker)
        if row is None:
            return False
        row.status, row.ts, row.sent_channel, row.sent_at = OutboxStatus.SENT, ts, channel, now
        row.unconfirmed_since = row.claimed_by = row.claimed_until = None
        row.last_error = None
        return True


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


def count_waiting(session_factory: sessionmaker[Session]) -> tuple[int, datetime | None]:
    """Messages not yet sent nor failed, and the earliest instant one of them is due."""
    with session_factory() as db_session:
        waiting = (OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        count, first = db_session.execute(select(func.count(), func.min(
            OutboxMessage.next_attempt_at)).where(waiting)).one()
    return count, first
