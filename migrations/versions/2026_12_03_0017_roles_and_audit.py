"""Roles and the audit log: the plan's `admins:` list beside Slack's admins, and one row per
change a person, the CLI or an API token made (values, undos, blockers, imports, roles).

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_admins",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_plan_admins_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "slack_user_id", name=op.f("pk_plan_admins")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject_kind", sa.String(32), nullable=False),
        sa.Column("subject_key", sa.String(255), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_audit_events_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_workspace_id_at", "audit_events", ["workspace_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_workspace_id_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("plan_admins")
