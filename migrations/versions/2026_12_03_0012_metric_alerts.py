"""Metric alerts: each crossing into yellow or red, and each trigger met, told to the metric's
owner once (a row before the DM).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)
OPEN_STATUS = "kind = 'status' AND recovered_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "metric_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("trigger_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("measured_at", INSTANT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(32), nullable=True),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.Column("recovered_at", INSTANT, nullable=True),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", INSTANT, nullable=True),
        sa.Column("acknowledged_by", sa.String(32), nullable=True),
        sa.Column("snoozed_until", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_metric_alerts_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["metric_id"], ["metrics.id"],
                                name=op.f("fk_metric_alerts_metric_id_metrics"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["trigger_id"], ["action_triggers.id"],
                                name=op.f("fk_metric_alerts_trigger_id_action_triggers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_alerts")),
        sa.UniqueConstraint("metric_id", "trigger_id", "measured_at",
                            name="uq_metric_alerts_trigger_crossing"),
    )
    op.create_index("uq_metric_alerts_open_status", "metric_alerts", ["metric_id", "level"],
                    unique=True, postgresql_where=sa.text(OPEN_STATUS),
                    sqlite_where=sa.text(OPEN_STATUS))
    op.create_index("ix_metric_alerts_workspace_id_opened_at", "metric_alerts",
                    ["workspace_id", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_metric_alerts_workspace_id_opened_at", table_name="metric_alerts")
    op.drop_index("uq_metric_alerts_open_status", table_name="metric_alerts")
    op.drop_table("metric_alerts")
