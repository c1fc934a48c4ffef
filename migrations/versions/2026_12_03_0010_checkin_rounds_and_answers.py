"""Check-in rounds (one per person and cycle), the questions as worded (versioned), the
answers in every version, people's time off, and when a blocker was last confirmed.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)
SLACK_ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "checkin_question_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name=op.f("fk_checkin_question_sets_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_question_sets")),
        sa.UniqueConstraint("workspace_id", "version",
                            name=op.f("uq_checkin_question_sets_workspace_id_version")),
    )
    op.create_table(
        "checkin_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", SLACK_ID, nullable=False),
        sa.Column("cycle", sa.String(32), nullable=False),
        sa.Column("due_at", INSTANT, nullable=False),
        sa.Column("closes_at", INSTANT, nullable=False),
        sa.Column("reminder_at", INSTANT, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("excused_reason", sa.String(64), nullable=True),
        sa.Column("snoozed_until", INSTANT, nullable=True),
        sa.Column("reminded_at", INSTANT, nullable=True),
        sa.Column("answered_at", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name=op.f("fk_checkin_rounds_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_rounds")),
        sa.UniqueConstraint("workspace_id", "slack_user_id", "cycle",
                            name=op.f("uq_checkin_rounds_workspace_id_slack_user_id_cycle")),
    )
    op.create_index("ix_checkin_rounds_open", "checkin_rounds", ["status", "closes_at"])
    op.create_table(
        "checkin_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", SLACK_ID, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("question_set_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submission_key", sa.String(255), nullable=False),
        sa.Column("submitted_at", INSTANT, nullable=False),
        sa.Column("superseded_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name=op.f("fk_checkin_answers_workspace_id_workspaces")),
        sa.ForeignKeyConstraint(["round_id"], ["checkin_rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_checkin_answers_round_id_checkin_rounds")),
        sa.ForeignKeyConstraint(["question_set_id"], ["checkin_question_sets.id"],
                                name=op.f("fk_checkin_answers_question_set_id_checkin_question_sets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answers")),
        sa.UniqueConstraint("workspace_id", "submission_key",
                            name=op.f("uq_checkin_answers_workspace_id_submission_key")),
    )
    op.create_index("ix_checkin_answers_person", "checkin_answers",
                    ["workspace_id", "slack_user_id", "submitted_at"])
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", SLACK_ID, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("cancelled_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name=op.f("fk_time_off_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index("ix_time_off_person", "time_off", ["workspace_id", "slack_user_id", "ends_on"])
    with op.batch_alter_table("blockers") as batch:
        batch.add_column(sa.Column("still_blocked_at", INSTANT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.drop_column("still_blocked_at")
    op.drop_index("ix_time_off_person", table_name="time_off")
    op.drop_table("time_off")
    op.drop_index("ix_checkin_answers_person", table_name="checkin_answers")
    op.drop_table("checkin_answers")
    op.drop_index("ix_checkin_rounds_open", table_name="checkin_rounds")
    op.drop_table("checkin_rounds")
    op.drop_table("checkin_question_sets")
