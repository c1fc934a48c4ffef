"""Blockers (on an objective, key result, KPI or activity, or general) with a number per
workspace, and confidence reports for key results and KPIs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)
SOURCES = ("checkin", "slack", "plan", "api")


def source(name: str) -> sa.Enum:
    return sa.Enum(*SOURCES, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "blockers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("metric_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("source", source("blocker_source"), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("resolved_at", INSTANT, nullable=True),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.CheckConstraint("number > 0", name=op.f("ck_blockers_number_positive")),
        sa.CheckConstraint(
            "(objective_id IS NULL OR (metric_id IS NULL AND activity_id IS NULL))"
            " AND (metric_id IS NULL OR activity_id IS NULL)",
            name=op.f("ck_blockers_blocks_at_most_one_item"),
        ),
        sa.CheckConstraint(
            "(resolved_at IS NULL) = (resolved_by IS NULL)",
            name=op.f("ck_blockers_resolved_with_resolver"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_blockers_workspace_id_workspaces"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objectives.id"],
            name=op.f("fk_blockers_objective_id_objectives"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"], ["metrics.id"],
            name=op.f("fk_blockers_metric_id_metrics"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"],
            name=op.f("fk_blockers_activity_id_activities"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blockers")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_blockers_workspace_id_number")),
    )
    with op.batch_alter_table("blockers") as batch:
        batch.create_index("ix_blockers_open_per_workspace", ["workspace_id", "created_at"],
                           postgresql_where=sa.text("resolved_at IS NULL"),
                           sqlite_where=sa.text("resolved_at IS NULL"))
        batch.create_index(batch.f("ix_blockers_objective_id"), ["objective_id"])
        batch.create_index(batch.f("ix_blockers_metric_id"), ["metric_id"])
        batch.create_index(batch.f("ix_blockers_activity_id"), ["activity_id"])

    op.create_table(
        "confidence_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.String(length=32), nullable=False),
        sa.Column("reported_at", INSTANT, nullable=False),
        sa.Column("source", source("confidence_source"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "confidence BETWEEN 1 AND 10", name=op.f("ck_confidence_reports_confidence_on_scale")
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"], ["metrics.id"],
            name=op.f("fk_confidence_reports_metric_id_metrics"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confidence_reports")),
    )
    with op.batch_alter_table("confidence_reports") as batch:
        batch.create_index("ix_confidence_reports_metric_id_reported_at",
                           ["metric_id", "reported_at"])


def downgrade() -> None:
    with op.batch_alter_table("confidence_reports") as batch:
        batch.drop_index("ix_confidence_reports_metric_id_reported_at")
    op.drop_table("confidence_reports")
    with op.batch_alter_table("blockers") as batch:
        batch.drop_index(batch.f("ix_blockers_activity_id"))
        batch.drop_index(batch.f("ix_blockers_metric_id"))
        batch.drop_index(batch.f("ix_blockers_objective_id"))
        batch.drop_index("ix_blockers_open_per_workspace")
    op.drop_table("blockers")
