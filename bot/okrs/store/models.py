"""Tables for the method: North Star, goals, objectives, metrics (key results and KPIs alike),
activities, the links between them, measurements, thresholds and action triggers.

Every measured number is a row in `metrics`, whatever its place in the chain (its `kind`), so
measurements, thresholds, triggers, KPI-tree edges and counter-metrics attach to one table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, Timestamped, utc_now
from bot.okrs.method.enums import (
    ActivityStatus,
    BandMode,
    Direction,
    Frequency,
    Indicator,
    MetricKind,
    Operator,
    Priority,
    Rollup,
    Source,
    Transform,
    TriggerKind,
)

SLACK_ID = String(32)
KEY = String(63)


def enum_column(enum: type, name: str) -> Enum:
    """A VARCHAR with a CHECK constraint: portable, and new members need no ALTER TYPE."""
    return Enum(enum, name=name, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True)


class NorthStar(Timestamped, Base):
    """The one measure of delivered value; earlier ones stay as history (active = false)."""

    __tablename__ = "north_stars"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        # One active North Star per workspace; both PostgreSQL and SQLite take partial indexes.
        Index("uq_north_stars_active_per_workspace", "workspace_id", unique=True,
              postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KEY)
    name: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    active_from: Mapped[date | None]
    active_until: Mapped[date | None]

    metric: Mapped[Metric | None] = relationship(back_populates="north_star", uselist=False)


class Goal(Timestamped, Base):
    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),
                      CheckConstraint(
                          "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                          name="ends_after_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    north_star_id: Mapped[int | None] = mapped_column(
        ForeignKey("north_stars.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(KEY)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(SLACK_ID)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    success_criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    metric: Mapped[Metric | None] = relationship(back_populates="goal", uselist=False)
    objectives: Mapped[list[Objective]] = relationship(back_populates="goal",
                                                       order_by="Objective.position")


class Objective(Timestamped, Base):
    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),
                      CheckConstraint("ends_on >= starts_on", name="ends_after_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(KEY)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(SLACK_ID, index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    rollup: Mapped[Rollup] = mapped_column(enum_column(Rollup, "rollup"))
    position: Mapped[int] = mapped_column(default=0)

    goal: Mapped[Goal] = relationship(back_populates="objectives")
    key_results: Mapped[list[Metric]] = relationship(
        back_populates="objective", order_by="Metric.position",
        primaryjoin="and_(Metric.objective_id == Objective.id)")


class Metric(Timestamped, Base):
    """A measured number: the North Star's, a goal's, a key result or a KPI."""

    __tablename__ = "metrics"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        CheckConstraint("target IS NULL OR baseline IS NULL OR target <> baseline",
                        name="target_differs_from_baseline"),
        CheckConstraint("kind <> 'key_result' OR objective_id IS NOT NULL",
                        name="key_result_has_objective"),
        CheckConstraint("kind <> 'goal' OR goal_id IS NOT NULL", name="goal_metric_has_goal"),
        CheckConstraint("kind <> 'north_star' OR north_star_id IS NOT NULL",
                        name="north_star_metric_has_north_star"),
        CheckConstraint("kind NOT IN ('key_result', 'kpi') OR owner IS NOT NULL",
                        name="key_result_and_kpi_have_owner"),
        CheckConstraint("due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on",
                        name="due_after_start"),
        Index("ix_metrics_workspace_id_kind", "workspace_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KEY)
    kind: Mapped[MetricKind] = mapped_column(enum_column(MetricKind, "metric_kind"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20), default="")
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    starts_on: Mapped[date | None]
    due_on: Mapped[date | None]
    frequency: Mapped[Frequency | None] = mapped_column(enum_column(Frequency, "frequency"))
    review: Mapped[Frequency | None] = mapped_column(enum_column(Frequency, "review"))
    indicator: Mapped[Indicator | None] = mapped_column(enum_column(Indicator, "indicator"))
    owner: Mapped[str | None] = mapped_column(SLACK_ID, index=True)
    # The node a metric belongs to, by kind; the links point up the chain, never down, so
    # the tables form no cycle.
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("goals.id", ondelete="CASCADE"), unique=True)
    north_star_id: Mapped[int | None] = mapped_column(
        ForeignKey("north_stars.id", ondelete="CASCADE"), unique=True)
    formula_operator: Mapped[Operator | None] = mapped_column(enum_column(Operator, "operator"))
    # The plan's `range: [min, max]` (either end null); NULL: the unit's default applies
    # (bot/okrs/method/plausibility.py), which [null, null] would not say.
    value_range: Mapped[list[float | None] | None] = mapped_column(JSON(none_as_null=True))
    position: Mapped[int] = mapped_column(default=0)

    objective: Mapped[Objective | None] = relationship(back_populates="key_results")
    goal: Mapped[Goal | None] = relationship(back_populates="metric")
    north_star: Mapped[NorthStar | None] = relationship(back_populates="metric")
    thresholds: Mapped[MetricThresholds | None] = relationship(
        cascade="all, delete-orphan", uselist=False)
    triggers: Mapped[list[ActionTrigger]] = relationship(
        cascade="all, delete-orphan", order_by="ActionTrigger.position")
    inputs: Mapped[list[MetricEdge]] = relationship(
        foreign_keys="MetricEdge.parent_id", cascade="all, delete-orphan",
        order_by="MetricEdge.position")
    counter_metrics: Mapped[list[CounterMetric]] = relationship(
        foreign_keys="CounterMetric.metric_id", cascade="all, delete-orphan",
        order_by="CounterMetric.position")


class MetricThresholds(Base):
    """Green/yellow/red bands, direction-aware through the metric's direction."""

    __tablename__ = "metric_thresholds"

    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[BandMode] = mapped_column(enum_column(BandMode, "band_mode"))
    green: Mapped[float | None] = mapped_column(Float)
    yellow: Mapped[float | None] = mapped_column(Float)
    pace: Mapped[bool] = mapped_column(default=False)
    green_low: Mapped[float | None] = mapped_column(Float)
    green_high: Mapped[float | None] = mapped_column(Float)
    yellow_low: Mapped[float | None] = mapped_column(Float)
    yellow_high: Mapped[float | None] = mapped_column(Float)


class ActionTrigger(Base):
    """What to do when a metric goes below or above a value, or stays flat for N periods."""

    __tablename__ = "action_triggers"
    __table_args__ = (
        CheckConstraint("kind = 'plateau' OR value IS NOT NULL", name="value_for_bounds"),
        CheckConstraint("kind <> 'plateau' OR periods IS NOT NULL", name="periods_for_plateau"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[TriggerKind] = mapped_column(enum_column(TriggerKind, "trigger_kind"))
    value: Mapped[float | None] = mapped_column(Float)
    periods: Mapped[int | None]
    period: Mapped[Frequency | None] = mapped_column(enum_column(Frequency, "period"))
    action: Mapped[str] = mapped_column(String(300))


class MetricEdge(Base):
    """A KPI-tree edge: the parent is computed from its inputs by its formula operator."""

    __tablename__ = "metric_edges"
    __table_args__ = (CheckConstraint("parent_id <> child_id", name="not_own_input"),)

    parent_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    weight: Mapped[float | None] = mapped_column(Float)
    transform: Mapped[Transform] = mapped_column(enum_column(Transform, "transform"))

    child: Mapped[Metric] = relationship(foreign_keys=[child_id])


class CounterMetric(Base):
    """`counter_metric` guards `metric`: a win on one cannot hide a loss on the other."""

    __tablename__ = "counter_metrics"
    __table_args__ = (CheckConstraint("metric_id <> counter_metric_id", name="not_own_counter"),)

    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    counter_metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    counter_metric: Mapped[Metric] = relationship(foreign_keys=[counter_metric_id])


class Activity(Timestamped, Base):
    """The work that moves objectives."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KEY)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(SLACK_ID, index=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"))
    status: Mapped[ActivityStatus] = mapped_column(enum_column(ActivityStatus, "activity_status"))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    resources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class ActivityObjective(Base):
    __tablename__ = "activity_objectives"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class ActivityGoal(Base):
    """An activity linked straight to a goal: a skipped level the plan lint flags."""

    __tablename__ = "activity_goals"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class MetricActivity(Base):
    """A KPI measures an activity."""

    __tablename__ = "metric_activities"

    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class MetricObjective(Base):
    """A KPI measures an objective."""

    __tablename__ = "metric_objectives"

    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class Measurement(Base):
    """One value of a metric at an instant, with where it came from and who gave it.

    A measurement taken back is kept, marked with who undid it and when (`undone_at`), and
    every reader skips it: the history shows the slip and its correction."""

    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_metric_id_measured_at", "metric_id", "measured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime]
    source: Mapped[Source] = mapped_column(enum_column(Source, "measurement_source"))
    author: Mapped[str | None] = mapped_column(SLACK_ID)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Decimals as typed, to show it back that way; NULL: format_value's own rounding.
    decimals: Mapped[int | None]
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(SLACK_ID)


class MetricChange(Base):
    """One line of an append-only log: a metric of the workspace got a new measurement.

    Writers only insert here, so concurrent `/okr update`s never wait on one shared row; the
    chain cache reads the lines past the last one it applied and recomputes those metrics and
    what they feed (bot/okrs/store/cache.py). `changed_at` is the database's own clock: on
    PostgreSQL a line may commit after a later-numbered one, and the cache re-reads recent
    lines by this time to catch it."""

    __tablename__ = "metric_changes"
    __table_args__ = (Index("ix_metric_changes_workspace_id_id", "workspace_id", "id"),
                      Index("ix_metric_changes_workspace_id_changed_at", "workspace_id",
                            "changed_at"),
                      {"sqlite_autoincrement": True})  # numbers never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
