"""Slack request receipts: the trigger_id of each command, click or submission whose work
was committed, with the reply it got, so a replayed request writes nothing twice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_request_receipts",
        sa.Column("trigger_id", sa.String(255), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("trigger_id", name=op.f("pk_slack_request_receipts")),
    )
    op.create_index(op.f("ix_slack_request_receipts_received_at"), "slack_request_receipts",
                    ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_request_receipts_received_at"),
                  table_name="slack_request_receipts")
    op.drop_table("slack_request_receipts")
