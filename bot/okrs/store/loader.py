"""A workspace's causal chain from the database, in a fixed number of queries.

Reading it costs one query per table (twelve, however large the plan) plus one for the last
few measurements of each metric. bot/okrs/store/cache.py keeps the built chains.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, aliased

from bot.okrs.method.chain import Blueprint, NodeId, NodeKind
from bot.okrs.method.enums import MetricKind
from bot.okrs.method.health import Measurement, MetricSpec
from bot.okrs.method.kpi_tree import TreeInput
from bot.okrs.store.measurements import bands_of
from bot.okrs.store.models import (
    Activity,
    ActivityGoal,
    ActivityObjective,
    CounterMetric,
    Goal,
    Metric,
    MetricActivity,
    MetricEdge,
    MetricObjective,
    MetricThresholds,
    NorthStar,
    Objective,
)
from bot.okrs.store.models import Measurement as MeasurementRow
from bot.okrs.store.rows import grouped

RECENT = 12  # measurements per metric: enough for a sparkline and a trend


def load_blueprints(db_session: Session, workspace_id: int, *,
                    metric_nodes: dict[int, NodeId] | None = None) -> list[Blueprint]:
    """Every node of the workspace's plan with its latest measurements. `metric_nodes`, when
    given, is filled with the node each measured metric became (metric id → node id): what
    the chain cache needs to refresh one metric's measurements in place."""
    ws = workspace_id
    metric_rows = db_session.execute(
        select(Metric, MetricThresholds)
        .outerjoin(MetricThresholds, MetricThresholds.metric_id == Metric.id)
        .where(Metric.workspace_id == ws).order_by(Metric.position, Metric.id)).all()
    metrics = {m.id: m for m, _ in metric_rows}
    bands = {m.id: bands_of(t) for m, t in metric_rows}

    def in_workspace(model, column):
        return select(model).join(Metric, column == Metric.id).where(Metric.workspace_id == ws)

    edges = grouped(db_session.scalars(in_workspace(MetricEdge, MetricEdge.parent_id)
                                        .order_by(MetricEdge.position)).all(),
                     lambda e: e.parent_id)
    counters = db_session.scalars(in_workspace(CounterMetric, CounterMetric.metric_id)).all()
    measures_activities = grouped(db_session.scalars(
        in_workspace(MetricActivity, MetricActivity.metric_id)).all(), lambda r: r.activity_id)
    measures_objectives = grouped(db_session.scalars(
        in_workspace(MetricObjective, MetricObjective.metric_id)).all(), lambda r: r.objective_id)
    star = db_session.scalar(select(NorthStar).where(NorthStar.workspace_id == ws,
                                                     NorthStar.active))
    goals = db_session.scalars(select(Goal).where(Goal.workspace_id == ws)
                               .order_by(Goal.position)).all()
    objectives = db_session.scalars(select(Objective).where(Objective.workspace_id == ws)
                                    .order_by(Objective.position)).all()
    activities = db_session.scalars(select(Activity).where(Activity.workspace_id == ws)
                                    .order_by(Activity.position)).all()
    activity_ids = select(Activity.id).where(Activity.workspace_id == ws)
    drives = grouped(db_session.scalars(select(ActivityObjective).where(
        ActivityObjective.activity_id.in_(activity_ids))).all(), lambda r: r.objective_id)
    drives_goal = grouped(db_session.scalars(select(ActivityGoal).where(
        ActivityGoal.activity_id.in_(activity_ids))).all(), lambda r: r.goal_id)
    recent = _recent_measurements(db_session, Metric.workspace_id == ws)

    objective_start = {o.id: o.starts_on for o in objectives}
    activity_keys = {a.id: a.key for a in activities}
    # Links come back in no particular order (PostgreSQL makes that plain): lay them out in the
    # plan's order of the nodes they point to.
    activity_rank = {a.id: a.position for a in activities}
    for links in (*drives.values(), *drives_goal.values()):
        links.sort(key=lambda r: (activity_rank[r.activity_id], r.activity_id))
    for links in (*measures_objectives.values(), *measures_activities.values()):
        links.sort(key=lambda r: (metrics[r.metric_id].position, r.metric_id))
    kind_of = {MetricKind.KPI: NodeKind.KPI, MetricKind.KEY_RESULT: NodeKind.KEY_RESULT,
               MetricKind.GOAL: NodeKind.GOAL, MetricKind.NORTH_STAR: NodeKind.NORTH_STAR}
    node_of = {m.id: (kind_of[m.kind], m.key) for m in metrics.values()}
    pairs: dict[int, set[int]] = defaultdict(set)
    for pair in counters:  # either side of a pair guards the other
        pairs[pair.metric_id].add(pair.counter_metric_id)
        pairs[pair.counter_metric_id].add(pair.metric_id)

    def spec(metric: Metric) -> MetricSpec:
        start = metric.starts_on or objective_start.get(metric.objective_id)
        return MetricSpec(key=metric.key, name=metric.name, direction=metric.direction,
                          baseline=metric.baseline, target=metric.target, unit=metric.unit,
                          start=start, due=metric.due_on, frequency=metric.frequency,
                          bands=bands[metric.id])

    def metric_blueprint(metric: Metric, kind: NodeKind, children: tuple[NodeId, ...] = (),
                         **fields) -> Blueprint:
        if metric_nodes is not None:
            metric_nodes[metric.id] = (kind, metric.key)
        return Blueprint(kind, metric.key, fields.pop("name", metric.name),
                         fields.pop("owner", metric.owner), spec(metric),
                         tuple(recent.get(metric.id, ())), children=children,
                         counter_metrics=tuple(sorted(node_of[c] for c in pairs[metric.id])),
                         indicator=metric.indicator, **fields)

    by_kind = grouped(list(metrics.values()), lambda m: m.kind)
    out: list[Blueprint] = []
    goal_metric = {m.goal_id: m for m in by_kind[MetricKind.GOAL]}
    if star is not None:
        children = tuple((NodeKind.GOAL, g.key) for g in goals)
        star_metric = next((m for m in by_kind[MetricKind.NORTH_STAR]
                            if m.north_star_id == star.id), None)
        if star_metric is not None:
            out.append(metric_blueprint(star_metric, NodeKind.NORTH_STAR, children,
                                        name=star.name))
        else:
            out.append(Blueprint(NodeKind.NORTH_STAR, star.key, star.name, children=children))
    objectives_of = grouped(list(objectives), lambda o: o.goal_id)
    for goal in goals:
        children = tuple((NodeKind.OBJECTIVE, o.key) for o in objectives_of[goal.id])
        children += tuple((NodeKind.ACTIVITY, activity_keys[link.activity_id])
                          for link in drives_goal[goal.id])
        metric = goal_metric.get(goal.id)
        if metric is not None:
            out.append(metric_blueprint(metric, NodeKind.GOAL, children, name=goal.name,
                                        owner=goal.owner))
        else:
            out.append(Blueprint(NodeKind.GOAL, goal.key, goal.name, goal.owner,
                                 children=children))
    results_of = grouped(by_kind[MetricKind.KEY_RESULT], lambda m: m.objective_id)
    for objective in objectives:
        children = tuple((NodeKind.KEY_RESULT, m.key) for m in results_of[objective.id])
        children += tuple((NodeKind.ACTIVITY, activity_keys[link.activity_id])
                          for link in drives[objective.id])
        children += tuple((NodeKind.KPI, metrics[link.metric_id].key)
                          for link in measures_objectives[objective.id])
        out.append(Blueprint(NodeKind.OBJECTIVE, objective.key, objective.name,
                             objective.owner, children=children, rollup=objective.rollup,
                             timeframe=(objective.starts_on, objective.ends_on)))
    for metric in by_kind[MetricKind.KEY_RESULT]:
        out.append(metric_blueprint(metric, NodeKind.KEY_RESULT))
    for activity in activities:
        out.append(Blueprint(NodeKind.ACTIVITY, activity.key, activity.name, activity.owner,
                             children=tuple((NodeKind.KPI, metrics[link.metric_id].key)
                                            for link in measures_activities[activity.id]),
                             activity_status=activity.status))
    for metric in by_kind[MetricKind.KPI]:
        inputs = edges[metric.id]
        out.append(metric_blueprint(
            metric, NodeKind.KPI,
            tuple(node_of[e.child_id] for e in inputs
                  if node_of[e.child_id][0] is NodeKind.KPI),
            formula=tuple(TreeInput(key=metrics[e.child_id].key, value=None, target=None,
                                    weight=e.weight, transform=e.transform) for e in inputs),
            formula_operator=metric.formula_operator if inputs else None))
    return out


def recent_measurements(db_session: Session,
                        metric_ids: Collection[int]) -> dict[int, list[Measurement]]:
    """The last RECENT measurements of these metrics, oldest first, as `load_blueprints`
    reads them: for refreshing a few metrics of a loaded plan."""
    return _recent_measurements(db_session, Metric.id.in_(sorted(metric_ids)))


def _recent_measurements(db_session: Session,
                         which: ColumnElement[bool]) -> dict[int, list[Measurement]]:
    """The last RECENT measurements in force of every metric `which` selects, oldest first.

    One statement that walks the (metric_id, measured_at) index backwards RECENT rows per
    metric, instead of ranking every measurement the workspace ever had: LATERAL on
    PostgreSQL, a correlated `IN (… LIMIT n)` on SQLite (which has no LATERAL). On the
    benchmark's SQLite workspace (250,000 measurements) the query alone went from 1.2–1.5 s to
    0.2–0.3 s in one profiling run, the whole read from 1.6 s to 0.6 s."""
    newest_first = (MeasurementRow.measured_at.desc(), MeasurementRow.id.desc())
    in_force = MeasurementRow.undone_at.is_(None)  # one taken back is kept, never read
    if db_session.get_bind().dialect.name == "postgresql":
        latest = (select(MeasurementRow.value, MeasurementRow.measured_at,
                         MeasurementRow.decimals)
                  .where(MeasurementRow.metric_id == Metric.id, in_force)
                  .order_by(*newest_first).limit(RECENT).lateral("latest"))
        statement = (select(Metric.id, latest.c.value, latest.c.measured_at,
                            latest.c.decimals)
                     .select_from(Metric).join(latest, true())
                     .where(which)
                     .order_by(Metric.id, latest.c.measured_at))
    else:
        inner = aliased(MeasurementRow)
        latest_ids = (select(inner.id).where(inner.metric_id == Metric.id,
                                             inner.undone_at.is_(None))
                      .order_by(inner.measured_at.desc(), inner.id.desc())
                      .limit(RECENT).correlate(Metric))
        statement = (select(MeasurementRow.metric_id, MeasurementRow.value,
                            MeasurementRow.measured_at, MeasurementRow.decimals)
                     .select_from(Metric)
                     .join(MeasurementRow, MeasurementRow.id.in_(latest_ids.scalar_subquery()))
                     .where(which)
                     .order_by(MeasurementRow.metric_id, MeasurementRow.measured_at))
    recent: dict[int, list[Measurement]] = defaultdict(list)
    for metric_id, value, measured_at, decimals in db_session.execute(statement):
        recent[metric_id].append(Measurement(value=value, measured_at=measured_at,
                                             decimals=decimals))
    return recent
