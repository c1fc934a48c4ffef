"""The outbox's tables: the messages waiting for Slack, each person's DM channel, and each
workspace's pacing state (shared by every process that sends)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"  # Slack answered with a ts
    FAILED = "failed"  # kept with its last error until `okr-bot outbox retry`


class OutboxMessage(Base):
    """One message to Slack. Timestamps come from the app's clock, never the database's."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The same (person, cycle, kind) is enqueued once, however often the caller runs.
        UniqueConstraint("team_id", "dedupe_key"),
        CheckConstraint("(channel IS NULL) <> (user_id IS NULL)", name="one_recipient"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))  # a channel to post in, or
    user_id: Mapped[str | None] = mapped_column(String(32))  # a person to DM
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # text, blocks
    dedupe_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    # Set while an attempt's outcome is unknown (a timeout, a 5xx, a worker gone while holding
    # the row): the next attempt first looks in the channel for the message (docs/outbox.md).
    unconfirmed_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    ts: Mapped[str | None] = mapped_column(String(32))
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    @property
    def recipient(self) -> str:
        return self.channel or f"@{self.user_id}"


class DirectMessageChannel(Base):
    """The D… channel conversations.open gave for a person: opened once, then reused."""

    __tablename__ = "slack_dm_channels"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]


class OutboxPacing(Base):
    """A workspace's next free slots for chat.postMessage and conversations.open, and the
    instant a 429 holds it until. Locked while a worker claims, so every process sending for
    the workspace shares one budget."""

    __tablename__ = "outbox_pacing"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_post_at: Mapped[datetime]
    next_open_at: Mapped[datetime]
    held_until: Mapped[datetime | None]
