"""The outbox in the database: enqueue a message, claim what is due (bot/outbox/answers.py
records what Slack answered).

Claiming is one short transaction. The workspace's pacing row is locked (FOR UPDATE on
PostgreSQL; on SQLite the transaction holds the single writer's lock from BEGIN IMMEDIATE),
so every process draws slots from one budget, and the messages are locked with SKIP LOCKED,
so two workers never claim the same one. A claim is a lease: a worker that dies holding a
message leaves it to be taken up again when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, update
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
# A message of this kind posts nothing: it opens a person's DM channel ahead of their first
# check-in and stores it (bot/outbox/ahead.py).
OPEN_DM = "open-dm"
_MESSAGES = OutboxMessage.__table__
_BY_ID = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id"))


def enqueue(db_session: Session, *, team_id: str, kind: str, dedupe_key: str, text: str,
            blocks: list[dict[str, Any]] | None = None, user_id: str | None = None,
            channel: str | None = None, thread_ts: str | None = None,
            now: datetime | None = None) -> OutboxMessage:
    """Queue a message to a person (`user_id`, sent to their DM) or a `channel`, inside the
    caller's transaction, so it goes if and only if the caller's work commits. Idempotent:
    the same `dedupe_key` in a workspace returns the message already queued (whatever its
    state) and queues nothing. `text` is what notifications show beside the blocks;
    `thread_ts`, a message of `channel` to reply to in its thread."""
    _check(user_id=user_id, channel=channel, text=text, blocks=blocks)
    found = _by_key(db_session, team_id, dedupe_key)
    if found is not None:
        return found
    message = OutboxMessage(
        team_id=team_id, kind=kind, channel=channel, user_id=user_id, dedupe_key=dedupe_key,
        payload={"text": text} | ({"blocks": blocks} if blocks is not None else {})
        | ({"thread_ts": thread_ts} if thread_ts else {}),
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


def _check(*, user_id: str | None, channel: str | None, text: str,
           blocks: list[dict[str, Any]] | None) -> None:
    if (user_id is None) == (channel is None):
        raise InvalidInput("a message goes to a person or to a channel",
                           field="recipient", expected="exactly one of user_id or channel")
    if not text.strip():
        raise InvalidInput("a message needs text for notifications", field="text",
                           expected="non-empty text")
    if blocks is not None and len(blocks) > MAX_BLOCKS:
        raise InvalidInput(f"a message has {len(blocks)} blocks", field="blocks",
                           expected=f"at most {MAX_BLOCKS} blocks")


@dataclass(frozen=True)
class Outgoing:
    """A message for enqueue_many: what enqueue takes, as one value."""

    team_id: str
    kind: str
    dedupe_key: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    user_id: str | None = None
    channel: str | None = None


def enqueue_many(db_session: Session, messages: Sequence[Outgoing], *, now: datetime) -> None:
    """enqueue for many messages in one go, inside the caller's transaction (a row and
    a flush per message was most of the check-in job's CPU per DM). A key already queued in
    its workspace is left as it is, whatever its state: the database's unique key decides,
    so two transactions queueing one key at once still make one message."""
    if not messages:
        return
    for m in messages:
        _check(user_id=m.user_id, channel=m.channel, text=m.text, blocks=m.blocks)
    dialect = db_session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db_session.connection().execute(insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=["team_id", "dedupe_key"]), [{
        "team_id": m.team_id, "kind": m.kind, "channel": m.channel, "user_id": m.user_id,
        "dedupe_key": m.dedupe_key,
        "payload": {"text": m.text} | ({"blocks": m.blocks} if m.blocks is not None else {}),
        "status": OutboxStatus.QUEUED, "attempts": 0, "next_attempt_at": now,
        "created_at": now} for m in messages])


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
              limits: OutboxLimits, booked: dict[str, datetime] | None = None
              ) -> list[Claim]:
    """Claim the messages due now that fit each workspace's budget within the horizon.

    `booked` is a run's memory of where its own claims left each workspace's budget
    (updated here). A worker that booked the budget ahead itself goes on without a margin;
    one that finds it booked ahead by another worker leaves that workspace to it, so two
    processes do not take turns, each turn costing a margin (docs/outbox.md)."""
    claims: list[Claim] = []
    with transaction(session_factory) as db_session:
        teams = db_session.scalars(select(OutboxMessage.team_id).where(_due(now)).distinct()
                                   .order_by(OutboxMessage.team_id)
                                   .limit(MAX_TEAMS_PER_CLAIM)).all()
        for team_id in teams:
            claims += _claim_team(db_session, team_id, worker=worker, now=now, limits=limits,
                                  booked={} if booked is None else booked)
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
                limits: OutboxLimits, booked: dict[str, datetime]) -> list[Claim]:
    pacing = _pacing(db_session, team_id, now)
    if pacing.held_until is not None and now < pacing.held_until <= now + limits.longest_hold:
        return []
    ours = booked.get(team_id) == pacing.next_post_at
    if not ours and limits.late < pacing.next_post_at - now <= limits.horizon + 2 * limits.late:
        return []  # another worker is sending them, with slots booked ahead: left to it
    seconds = limits.horizon.total_seconds()
    most = max(1, int(limits.messages_per_minute * seconds / 60) + 1)
    # Messages due now first; channels to open ahead take what the open budget leaves.
    rows = _due_rows(db_session, team_id, now, OutboxMessage.kind != OPEN_DM, most)
    ahead = _due_rows(db_session, team_id, now, OutboxMessage.kind == OPEN_DM,
                      max(1, int(limits.opens_per_minute * seconds / 60) + 1))
    if not rows and not ahead:
        return []
    opened = dm_channels(db_session, team_id,
                         [r.user_id for r in (*rows, *ahead) if r.user_id])
    # A channel opened since (by a DM that needed it) needs no call to Slack.
    done = [(row, channel) for row in ahead
            if (channel := opened.get(row.user_id or "")) is not None]
    if done:
        db_session.connection().execute(_BY_ID.values(
            status=OutboxStatus.SENT, sent_channel=bindparam("opened_to"), sent_at=now,
            unconfirmed_since=None, claimed_by=None, claimed_until=None, last_error=None),
            [{"message_id": row.id, "opened_to": channel} for row, channel in done])
        ahead = [row for row in ahead if row.user_id not in opened]
    channels = [r.channel or opened.get(r.user_id or "") for r in rows]
    booking = book([(c or f"@{r.user_id}", c is None) for r, c in zip(rows, channels,
                                                                       strict=True)],
                   now=now, next_post_at=pacing.next_post_at,
                   next_open_at=pacing.next_open_at, limits=limits, opens_ahead=len(ahead),
                   ours=ours)
    pacing.next_post_at, pacing.next_open_at = booking.next_post_at, booking.next_open_at
    if any(slot is not None for slot in booking.slots):
        booked[team_id] = booking.next_post_at
    claims, leases = [], []
    for row, channel, at in zip(rows, channels, booking.slots, strict=True):
        if at is None:
            continue
        # From here until an answer says otherwise, this attempt may have reached Slack.
        leases.append({"message_id": row.id, "until": at + limits.lease,
                       "since": row.unconfirmed_since or now})
        claims.append(Claim(row.id, team_id, row.kind, channel, row.user_id, row.payload,
                            at, row.attempts + 1, row.unconfirmed_since))
    for row, at in zip(ahead, booking.open_slots, strict=False):
        # Opening a DM twice gives the same channel: nothing to look for before a retry.
        leases.append({"message_id": row.id, "until": at + limits.lease,
                       "since": row.unconfirmed_since})
        claims.append(Claim(row.id, team_id, row.kind, None, row.user_id, row.payload, at,
                            row.attempts + 1, None))
    if leases:
        # One statement for the claim's rows (an ORM flush of each was most of claiming).
        db_session.connection().execute(_BY_ID.values(
            status=OutboxStatus.SENDING, claimed_by=worker, claimed_until=bindparam("until"),
            attempts=_MESSAGES.c.attempts + 1, unconfirmed_since=bindparam("since")), leases)
    return claims


def _due_rows(db_session: Session, team_id: str, now: datetime, kind: Any,
              most: int) -> list[Row[Any]]:
    """The due messages' columns a claim needs, locked (rows, not ORM objects: cheaper)."""
    return list(db_session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.channel,
               OutboxMessage.user_id, OutboxMessage.payload, OutboxMessage.attempts,
               OutboxMessage.unconfirmed_since)
        .where(OutboxMessage.team_id == team_id, _due(now), kind)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(most)
        .with_for_update(skip_locked=True)))


def dm_channels(db_session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    found = db_session.execute(select(DirectMessageChannel.user_id,
                                      DirectMessageChannel.channel_id).where(
        DirectMessageChannel.team_id == team_id, DirectMessageChannel.user_id.in_(user_ids)))
    return {user_id: channel_id for user_id, channel_id in found}


def count_waiting(session_factory: sessionmaker[Session]) -> tuple[int, datetime | None]:
    """Messages not yet sent nor failed, and the earliest instant one of them is due."""
    with session_factory() as db_session:
        waiting = (OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        count, first = db_session.execute(select(func.count(), func.min(
            OutboxMessage.next_attempt_at)).where(waiting)).one()
    return count, first


def next_queued_at(session_factory: sessionmaker[Session]) -> datetime | None:
    """When the first queued message is due (a hold moves a workspace's messages to its end)."""
    with session_factory() as db_session:
        return db_session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.QUEUED))
