"""The outbox: messages waiting for Slack, each person's DM channel, each workspace's pacing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("unconfirmed_since", INSTANT, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("sent_channel", sa.String(32), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.CheckConstraint("(channel IS NULL) <> (user_id IS NULL)",
                           name=op.f("ck_outbox_messages_one_recipient")),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')",
                           name=op.f("ck_outbox_messages_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("team_id", "dedupe_key",
                            name=op.f("uq_outbox_messages_team_id_dedupe_key")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_table(
        "slack_dm_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_dm_channels")),
        sa.UniqueConstraint("team_id", "user_id",
                            name=op.f("uq_slack_dm_channels_team_id_user_id")),
    )
    op.create_table(
        "outbox_pacing",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("next_post_at", INSTANT, nullable=False),
        sa.Column("next_open_at", INSTANT, nullable=False),
        sa.Column("held_until", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_outbox_pacing")),
    )


def downgrade() -> None:
    op.drop_table("outbox_pacing")
    op.drop_table("slack_dm_channels")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
