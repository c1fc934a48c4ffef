"""The method: North Star, goals, objectives, metrics (key results and KPIs), activities,
their links, thresholds, action triggers and measurements; teams get plan keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Plain column types here (not the app's TypeDecorators) so this file never changes meaning.
INSTANT = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                "blocked",
                "dropped",
                name="activity_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_activities_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_activities_workspace_id_key")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activities_owner"), ["owner"], unique=False)

    op.create_table(
        "north_stars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_north_stars_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_north_stars")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_north_stars_workspace_id_key")),
    )
    with op.batch_alter_table("north_stars", schema=None) as batch_op:
        batch_op.create_index(
            "uq_north_stars_active_per_workspace",
            ["workspace_id"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("north_star_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("success_criteria", sa.JSON(), nullable=False),
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_goals_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["north_star_id"],
            ["north_stars.id"],
            name=op.f("fk_goals_north_star_id_north_stars"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_goals_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_goals_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_goals_workspace_id_key")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_north_star_id"), ["north_star_id"], unique=False)

    op.create_table(
        "activity_goals",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_goals_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goals.id"],
            name=op.f("fk_activity_goals_goal_id_goals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "goal_id", name=op.f("pk_activity_goals")),
    )
    with op.batch_alter_table("activity_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_goals_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "rollup",
            sa.Enum(
                "worst",
                "average",
                name="rollup",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_objectives_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_objectives_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_objectives_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_objectives_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_objectives_workspace_id_key")),
    )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objectives_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objectives_owner"), ["owner"], unique=False)

    op.create_table(
        "activity_objectives",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_objectives_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_activity_objectives_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "objective_id", name=op.f("pk_activity_objectives")),
    )
    with op.batch_alter_table("activity_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_objectives_objective_id"), ["objective_id"], unique=False
        )

    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "north_star",
                "goal",
                "key_result",
                "kpi",
                name="metric_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "higher_is_better",
                "lower_is_better",
                "within_range",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "frequency",
            sa.Enum(
                "daily",
                "weekly",
                "biweekly",
                "monthly",
                "quarterly",
                name="frequency",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "review",
            sa.Enum(
                "daily",
                "weekly",
                "biweekly",
                "monthly",
                "quarterly",
                name="review",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "indicator",
            sa.Enum(
                "leading",
                "lagging",
                name="indicator",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("north_star_id", sa.Integer(), nullable=True),
        sa.Column(
            "formula_operator",
            sa.Enum(
                "sum",
                "product",
                "ratio",
                "weighted_sum",
                name="operator",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "kind <> 'goal' OR goal_id IS NOT NULL", name=op.f("ck_metrics_goal_metric_has_goal")
        ),
        sa.CheckConstraint(
            "kind <> 'key_result' OR objective_id IS NOT NULL",
            name=op.f("ck_metrics_key_result_has_objective"),
        ),
        sa.CheckConstraint(
            "kind <> 'north_star' OR north_star_id IS NOT NULL",
            name=op.f("ck_metrics_north_star_metric_has_north_star"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('key_result', 'kpi') OR owner IS NOT NULL",
            name=op.f("ck_metrics_key_result_and_kpi_have_owner"),
        ),
        sa.CheckConstraint(
            "due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on",
            name=op.f("ck_metrics_due_after_start"),
        ),
        sa.CheckConstraint(
            "target IS NULL OR baseline IS NULL OR target <> baseline",
            name=op.f("ck_metrics_target_differs_from_baseline"),
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_metrics_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["north_star_id"],
            ["north_stars.id"],
            name=op.f("fk_metrics_north_star_id_north_stars"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_metrics_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_metrics_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        sa.UniqueConstraint("goal_id", name=op.f("uq_metrics_goal_id")),
        sa.UniqueConstraint("north_star_id", name=op.f("uq_metrics_north_star_id")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_metrics_workspace_id_key")),
    )
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metrics_objective_id"), ["objective_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_metrics_owner"), ["owner"], unique=False)
        batch_op.create_index(
            "ix_metrics_workspace_id_kind", ["workspace_id", "kind"], unique=False
        )

    op.create_table(
        "action_triggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "below",
                "above",
                "plateau",
                name="trigger_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column(
            "period",
            sa.Enum(
                "daily",
                "weekly",
                "biweekly",
                "monthly",
                "quarterly",
                name="period",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "kind <> 'plateau' OR periods IS NOT NULL",
            name=op.f("ck_action_triggers_periods_for_plateau"),
        ),
        sa.CheckConstraint(
            "kind = 'plateau' OR value IS NOT NULL",
            name=op.f("ck_action_triggers_value_for_bounds"),
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_action_triggers_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_triggers")),
    )
    with op.batch_alter_table("action_triggers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_triggers_metric_id"), ["metric_id"], unique=False
        )

    op.create_table(
        "counter_metrics",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("counter_metric_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "metric_id <> counter_metric_id", name=op.f("ck_counter_metrics_not_own_counter")
        ),
        sa.ForeignKeyConstraint(
            ["counter_metric_id"],
            ["metrics.id"],
            name=op.f("fk_counter_metrics_counter_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_counter_metrics_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("metric_id", "counter_metric_id", name=op.f("pk_counter_metrics")),
    )
    with op.batch_alter_table("counter_metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_metrics_counter_metric_id"), ["counter_metric_id"], unique=False
        )

    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("measured_at", INSTANT, nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "checkin",
                "slack",
                "plan",
                "api",
                name="measurement_source",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("author", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_measurements_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measurements_metric_id_measured_at", ["metric_id", "measured_at"], unique=False
        )

    op.create_table(
        "metric_activities",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_metric_activities_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_metric_activities_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("metric_id", "activity_id", name=op.f("pk_metric_activities")),
    )
    with op.batch_alter_table("metric_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_activities_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "metric_edges",
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column(
            "transform",
            sa.Enum(
                "identity",
                "complement",
                name="transform",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("parent_id <> child_id", name=op.f("ck_metric_edges_not_own_input")),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["metrics.id"],
            name=op.f("fk_metric_edges_child_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["metrics.id"],
            name=op.f("fk_metric_edges_parent_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("parent_id", "child_id", name=op.f("pk_metric_edges")),
    )
    with op.batch_alter_table("metric_edges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_edges_child_id"), ["child_id"], unique=False)

    op.create_table(
        "metric_objectives",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_metric_objectives_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_metric_objectives_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("metric_id", "objective_id", name=op.f("pk_metric_objectives")),
    )
    with op.batch_alter_table("metric_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_objectives_objective_id"), ["objective_id"], unique=False
        )

    op.create_table(
        "metric_thresholds",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "absolute",
                "share_of_target",
                name="band_mode",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("green", sa.Float(), nullable=True),
        sa.Column("yellow", sa.Float(), nullable=True),
        sa.Column("pace", sa.Boolean(), nullable=False),
        sa.Column("green_low", sa.Float(), nullable=True),
        sa.Column("green_high", sa.Float(), nullable=True),
        sa.Column("yellow_low", sa.Float(), nullable=True),
        sa.Column("yellow_high", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_metric_thresholds_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("metric_id", name=op.f("pk_metric_thresholds")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=63), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_teams_workspace_id_key"), ["workspace_id", "key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_teams_workspace_id_key"), type_="unique")
        batch_op.drop_column("key")

    op.drop_table("metric_thresholds")
    with op.batch_alter_table("metric_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_objectives_objective_id"))

    op.drop_table("metric_objectives")
    with op.batch_alter_table("metric_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_edges_child_id"))

    op.drop_table("metric_edges")
    with op.batch_alter_table("metric_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_activities_activity_id"))

    op.drop_table("metric_activities")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_metric_id_measured_at")

    op.drop_table("measurements")
    with op.batch_alter_table("counter_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_metrics_counter_metric_id"))

    op.drop_table("counter_metrics")
    with op.batch_alter_table("action_triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_triggers_metric_id"))

    op.drop_table("action_triggers")
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_workspace_id_kind")
        batch_op.drop_index(batch_op.f("ix_metrics_owner"))
        batch_op.drop_index(batch_op.f("ix_metrics_objective_id"))

    op.drop_table("metrics")
    with op.batch_alter_table("activity_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_objectives_objective_id"))

    op.drop_table("activity_objectives")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objectives_owner"))
        batch_op.drop_index(batch_op.f("ix_objectives_goal_id"))

    op.drop_table("objectives")
    with op.batch_alter_table("activity_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_goals_goal_id"))

    op.drop_table("activity_goals")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goals_north_star_id"))

    op.drop_table("goals")
    with op.batch_alter_table("north_stars", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_north_stars_active_per_workspace",
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.drop_table("north_stars")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_owner"))

    op.drop_table("activities")
