"""Team digests: a row per team and check-in cycle, claimed before its headline is queued, so
the digest is posted once; then when its thread was queued.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "team_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.String(32), nullable=False),
        sa.Column("window_closed_at", INSTANT, nullable=False),
        sa.Column("headline_id", sa.Integer(), nullable=True),
        sa.Column("threaded_at", INSTANT, nullable=True),
        sa.Column("answers_through", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_team_digests_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_team_digests_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["headline_id"], ["outbox_messages.id"],
                                name=op.f("fk_team_digests_headline_id_outbox_messages"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_digests")),
        sa.UniqueConstraint("team_id", "cycle", name=op.f("uq_team_digests_team_id_cycle")),
    )


def downgrade() -> None:
    op.drop_table("team_digests")
