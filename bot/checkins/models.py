"""Tables for what check-ins collect: blockers, and confidence in key results and KPIs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.checkins.confidence import HIGHEST, LOWEST
from bot.db import Base, utc_now
from bot.okrs.method.enums import Source
from bot.okrs.store.models import SLACK_ID, enum_column


class Blocker(Base):
    """Something in someone's way: on one objective, key result, KPI or activity, or (none of
    them) on nothing in particular. Open until resolved; never deleted by okr-bot."""

    __tablename__ = "blockers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("(objective_id IS NULL OR (metric_id IS NULL AND activity_id IS NULL))"
                        " AND (metric_id IS NULL OR activity_id IS NULL)",
                        name="blocks_at_most_one_item"),
        CheckConstraint("(resolved_at IS NULL) = (resolved_by IS NULL)",
                        name="resolved_with_resolver"),
        # "The open blockers of a workspace", what every listing asks, reads only open rows.
        Index("ix_blockers_open_per_workspace", "workspace_id", "created_at",
              postgresql_where=text("resolved_at IS NULL"),
              sqlite_where=text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[int]  # per workspace, shown as B-12
    author: Mapped[str] = mapped_column(SLACK_ID)
    text: Mapped[str] = mapped_column(Text)
    # What it blocks: at most one of these (a blocker goes when its item goes).
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True)
    metric_id: Mapped[int | None] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    source: Mapped[Source] = mapped_column(enum_column(Source, "blocker_source"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(SLACK_ID)
    resolution: Mapped[str | None] = mapped_column(Text)
    # Last time someone answered "Still blocked" from their check-in DM.
    still_blocked_at: Mapped[datetime | None]


class ConfidenceReport(Base):
    """How sure someone was, at one instant, that a key result or KPI reaches its target."""

    __tablename__ = "confidence_reports"
    __table_args__ = (
        CheckConstraint(f"confidence BETWEEN {LOWEST} AND {HIGHEST}", name="confidence_on_scale"),
        Index("ix_confidence_reports_metric_id_reported_at", "metric_id", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    confidence: Mapped[int]
    reported_by: Mapped[str] = mapped_column(SLACK_ID)
    reported_at: Mapped[datetime]
    source: Mapped[Source] = mapped_column(enum_column(Source, "confidence_source"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
