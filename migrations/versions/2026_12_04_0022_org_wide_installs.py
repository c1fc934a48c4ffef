"""Org-wide (Enterprise Grid) installs: an installation may belong to an org rather than one
workspace (no team id, is_enterprise_install, one per org), and a workspace remembers the org
it belongs to, so that org's token reaches it and the org's uninstall stops it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_slack_installations_one_team_or_its_org"
ONE_TEAM_OR_ITS_ORG = ("(is_enterprise_install AND enterprise_id IS NOT NULL "
                       "AND slack_team_id IS NULL) OR (NOT is_enterprise_install "
                       "AND slack_team_id IS NOT NULL)")


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.String(32), nullable=True))
        batch.create_index("ix_workspaces_enterprise_id", ["enterprise_id"])
    with op.batch_alter_table("slack_installations") as batch:
        batch.add_column(sa.Column("is_enterprise_install", sa.Boolean(), nullable=False,
                                   server_default=sa.text("false")))
        batch.alter_column("slack_team_id", existing_type=sa.String(32), nullable=True)
        batch.create_check_constraint(op.f(CHECK), ONE_TEAM_OR_ITS_ORG)
    op.create_index("uq_slack_installations_org_wide", "slack_installations",
                    ["enterprise_id"], unique=True,
                    postgresql_where=sa.text("is_enterprise_install"),
                    sqlite_where=sa.text("is_enterprise_install"))


def downgrade() -> None:
    # An org-wide installation has no workspace to stay with: it goes (install again
    # per workspace).
    op.execute("DELETE FROM slack_installations WHERE is_enterprise_install")
    op.drop_index("uq_slack_installations_org_wide", table_name="slack_installations")
    with op.batch_alter_table("slack_installations") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.alter_column("slack_team_id", existing_type=sa.String(32), nullable=False)
        batch.drop_column("is_enterprise_install")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_index("ix_workspaces_enterprise_id")
        batch.drop_column("enterprise_id")
