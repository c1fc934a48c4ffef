"""One row per team and check-in cycle whose digest was posted: claimed before the headline is
queued, so two replicas or two ticks post it once; then when its thread was queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utc_now


class TeamDigest(Base):
    __tablename__ = "team_digests"
    __table_args__ = (UniqueConstraint("team_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    cycle: Mapped[str] = mapped_column(String(32))
    window_closed_at: Mapped[datetime]
    headline_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    threaded_at: Mapped[datetime | None]  # the detail queued as replies to the headline
    # The newest check-in answer when the thread was queued: any answer after it is late and
    # goes into the thread on its own (ids, not times: an answer's time is the app's clock).
    answers_through: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
