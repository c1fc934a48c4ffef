"""The processes table: each running okr-bot (web, worker or both) with its last heartbeat, so
/readyz can tell whether some worker is alive and an operator can see who runs.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("last_beat_at", INSTANT, nullable=False),
        sa.CheckConstraint("role IN ('web', 'worker', 'all')", name=op.f("ck_processes_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processes")),
    )
    op.create_index("ix_processes_role_last_beat_at", "processes", ["role", "last_beat_at"])


def downgrade() -> None:
    op.drop_index("ix_processes_role_last_beat_at", table_name="processes")
    op.drop_table("processes")
