"""One row per crossing told (or to be told) to a metric's owner: written before its DM is
queued, in the same transaction, so a crossing is told once however many checks or replicas
see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utc_now
from bot.okrs.store.models import SLACK_ID

STATUS = "status"  # kind: the metric turned yellow or red
TRIGGER = "trigger"  # kind: one of the plan's triggers for it was met


class MetricAlert(Base):
    __tablename__ = "metric_alerts"
    __table_args__ = (
        # One open status alert per metric and level: a second check, or a second replica,
        # finds it instead of telling the owner again. It closes when the metric is green.
        Index("uq_metric_alerts_open_status", "metric_id", "level", unique=True,
              postgresql_where=text("kind = 'status' AND recovered_at IS NULL"),
              sqlite_where=text("kind = 'status' AND recovered_at IS NULL")),
        # A trigger fires at the measurement that met it, once.
        UniqueConstraint("metric_id", "trigger_id", "measured_at",
                         name="uq_metric_alerts_trigger_crossing"),
        Index("ix_metric_alerts_workspace_id_opened_at", "workspace_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # STATUS or TRIGGER
    level: Mapped[str] = mapped_column(String(16))  # yellow or red (for a trigger: its status)
    trigger_id: Mapped[int | None] = mapped_column(
        # A plan import that replaces the trigger keeps the alert (history): unlinked.
        ForeignKey("action_triggers.id", ondelete="SET NULL"))
    value: Mapped[float | None] = mapped_column(Float)
    measured_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)  # as the owner read it
    action: Mapped[str | None] = mapped_column(Text)  # the trigger's action text
    owner: Mapped[str | None] = mapped_column(SLACK_ID)
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
    recovered_at: Mapped[datetime | None]  # status alerts: the metric was green again
    # Told no one: the owner had snoozed this metric's alerts.
    muted: Mapped[bool] = mapped_column(default=False)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(SLACK_ID)
    snoozed_until: Mapped[datetime | None]  # the owner asked for quiet on this metric
