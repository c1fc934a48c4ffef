"""A metric's plausible range from the plan, the decimals a measurement was typed with, and
measurements taken back (kept, marked with who undid them and when).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.add_column(sa.Column("value_range", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("decimals", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("undone_at", INSTANT, nullable=True))
        batch.add_column(sa.Column("undone_by", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("undone_by")
        batch.drop_column("undone_at")
        batch.drop_column("decimals")
    with op.batch_alter_table("metrics") as batch:
        batch.drop_column("value_range")
