"""What the Slack edge must remember: which event deliveries and which requests it has
already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utc_now


class SlackEventReceipt(Base):
    """An Events API delivery we handled; Slack delivers at least once, so we de-duplicate."""

    __tablename__ = "slack_event_receipts"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slack_team_id: Mapped[str | None] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class SlackRequestReceipt(Base):
    """A command, click or submission whose work was committed, keyed by Slack's trigger_id,
    with the reply it got: a replay of the same signed request gets that reply again and
    writes nothing. Written in the same transaction as the work."""

    __tablename__ = "slack_request_receipts"

    trigger_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    slack_team_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # command, action, view
    reply: Mapped[str] = mapped_column(Text)  # the HTTP body we answered with ("" for none)
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
