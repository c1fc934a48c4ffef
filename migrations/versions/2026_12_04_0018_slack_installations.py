"""OAuth installs: one installation per workspace with its tokens encrypted (Fernet text),
and the states the install page hands out, consumed once.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32), nullable=True),
        sa.Column("team_name", sa.String(255), nullable=True),
        sa.Column("app_id", sa.String(32), nullable=True),
        sa.Column("bot_id", sa.String(32), nullable=True),
        sa.Column("bot_user_id", sa.String(32), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=True),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("bot_refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("bot_token_expires_at", INSTANT, nullable=True),
        sa.Column("installer_user_id", sa.String(32), nullable=True),
        sa.Column("user_scopes", sa.Text(), nullable=True),
        sa.Column("user_token_encrypted", sa.Text(), nullable=True),
        sa.Column("user_refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("user_token_expires_at", INSTANT, nullable=True),
        sa.Column("token_type", sa.String(16), nullable=True),
        sa.Column("installed_at", INSTANT, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint("slack_team_id", name=op.f("uq_slack_installations_slack_team_id")),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    op.create_index("ix_slack_oauth_states_expires_at", "slack_oauth_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_oauth_states_expires_at", table_name="slack_oauth_states")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
