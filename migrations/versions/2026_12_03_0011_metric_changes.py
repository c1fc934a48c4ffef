"""Metric changes: an append-only log of which metric got a measurement, read by the chain
cache to recompute only what changed, in place of bumping one `workspaces` row per write
(concurrent writes all queued on that row).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metric_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", INSTANT, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["metric_id"], ["metrics.id"],
                                name=op.f("fk_metric_changes_metric_id_metrics"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_metric_changes_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_metric_changes_workspace_id_id", "metric_changes",
                    ["workspace_id", "id"])
    op.create_index("ix_metric_changes_workspace_id_changed_at", "metric_changes",
                    ["workspace_id", "changed_at"])


def downgrade() -> None:
    op.drop_index("ix_metric_changes_workspace_id_changed_at", table_name="metric_changes")
    op.drop_index("ix_metric_changes_workspace_id_id", table_name="metric_changes")
    op.drop_table("metric_changes")
