"""Workspaces, people, teams and memberships; Slack event receipts.

People carry their Slack ids, IANA time zones and managers; receipts de-duplicate
Slack's at-least-once event deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)
TEAM_ROLE = sa.Enum("member", "manager", name="team_role")


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_event_receipts",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_event_receipts")),
    )
    op.create_index(
        op.f("ix_slack_event_receipts_received_at"), "slack_event_receipts", ["received_at"]
    )

    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("uninstalled_at", INSTANT, nullable=True),
        sa.Column("tokens_revoked_at", INSTANT, nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("slack_team_id", name=op.f("uq_workspaces_slack_team_id")),
    )

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("real_name", sa.String(255), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("deactivated", sa.Boolean(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        *timestamps(),
        sa.CheckConstraint("length(time_zone) > 0", name=op.f("ck_people_time_zone_not_empty")),
        sa.CheckConstraint(
            "manager_id IS NULL OR manager_id <> id", name=op.f("ck_people_not_own_manager")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["people.id"],
            name=op.f("fk_people_manager_id_people"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_people_workspace_id_workspaces"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint(
            "workspace_id", "slack_user_id", name=op.f("uq_people_workspace_id_slack_user_id")
        ),
    )
    op.create_index(op.f("ix_people_manager_id"), "people", ["manager_id"])

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("slack_channel_id", sa.String(32), nullable=True),
        *timestamps(),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name=op.f("fk_teams_workspace_id_workspaces"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )

    op.create_table(
        "team_memberships",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", TEAM_ROLE, nullable=False),
        sa.Column("joined_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_team_memberships_person_id_people"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"],
            name=op.f("fk_team_memberships_team_id_teams"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "person_id", name=op.f("pk_team_memberships")),
    )
    op.create_index(op.f("ix_team_memberships_person_id"), "team_memberships", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_team_memberships_person_id"), table_name="team_memberships")
    op.drop_table("team_memberships")
    op.drop_table("teams")
    op.drop_index(op.f("ix_people_manager_id"), table_name="people")
    op.drop_table("people")
    op.drop_table("workspaces")
    op.drop_index(op.f("ix_slack_event_receipts_received_at"), table_name="slack_event_receipts")
    op.drop_table("slack_event_receipts")
    # PostgreSQL keeps enum types after their table is gone; SQLite has none to drop.
    TEAM_ROLE.drop(op.get_bind(), checkfirst=True)
