"""Each team's check-in schedule from the plan's `checkin:` key (weekday, wall-clock time,
cadence, window, work days, holidays, reminder, paused), kept as the plan wrote it; and when
Slack last told us each person's time zone, so the daily refresh asks the longest unasked first.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("checkin", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("time_zone_checked_at", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("time_zone_checked_at")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("checkin")
