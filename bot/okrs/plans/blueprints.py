"""From a plan to the causal chain's blueprints: which node sits below which, with its metric."""

from __future__ import annotations

from datetime import date

from bot.okrs.method.chain import Blueprint, NodeId, NodeKind
from bot.okrs.method.health import Bands, Measurement, MetricSpec
from bot.okrs.method.kpi_tree import TreeInput
from bot.okrs.plans import plan as p


def metric_spec(key: str, fields: p.MetricFields, *, start: date | None = None) -> MetricSpec:
    """`start` stands in when the metric gives none (a key result runs from its objective's)."""
    bands = None
    if fields.thresholds is not None:
        t = fields.thresholds
        bands = Bands(mode=t.mode, green=t.green, yellow=t.yellow, pace=t.pace,
                      green_range=t.green_range, yellow_range=t.yellow_range)
    return MetricSpec(key=key, name=fields.name, direction=fields.direction,
                      baseline=fields.baseline, target=fields.target, unit=fields.unit,
                      start=fields.start or start, due=fields.due,
                      frequency=fields.frequency, bands=bands)


def measurements(fields: p.MetricFields) -> tuple[Measurement, ...]:
    return tuple(Measurement(value=m.value, measured_at=m.at) for m in fields.measurements)


def blueprints(plan: p.Plan) -> list[Blueprint]:
    """Every node of the plan, each with its children down the chain."""
    metric_nodes: dict[str, NodeId] = {kpi.key: (NodeKind.KPI, kpi.key) for kpi in plan.kpis}
    metric_nodes |= {kr.key: (NodeKind.KEY_RESULT, kr.key)
                     for o in plan.objectives for kr in o.key_results}
    metric_nodes |= {g.key: (NodeKind.GOAL, g.key) for g in plan.goals if g.metric}
    if plan.north_star:
        metric_nodes[plan.north_star.key] = (NodeKind.NORTH_STAR, plan.north_star.key)
    # A counter-metric pair declared on either side guards both sides.
    pairs: dict[str, set[str]] = {}
    declared = [(kr.key, kr.counter_metrics) for o in plan.objectives for kr in o.key_results]
    declared += [(kpi.key, kpi.counter_metrics) for kpi in plan.kpis]
    for key, counters in declared:
        for counter in counters:
            if counter in metric_nodes and counter != key:
                pairs.setdefault(key, set()).add(counter)
                pairs.setdefault(counter, set()).add(key)

    def counters_of(key: str) -> tuple[NodeId, ...]:
        return tuple(metric_nodes[c] for c in sorted(pairs.get(key, ())))

    measured_by: dict[NodeId, list[NodeId]] = {}
    for kpi in plan.kpis:
        for key in kpi.measures.activities:
            measured_by.setdefault((NodeKind.ACTIVITY, key), []).append((NodeKind.KPI, kpi.key))
        for key in kpi.measures.objectives:
            measured_by.setdefault((NodeKind.OBJECTIVE, key), []).append((NodeKind.KPI, kpi.key))
    driven_by: dict[NodeId, list[NodeId]] = {}
    for activity in plan.activities:
        for key in activity.objectives:
            driven_by.setdefault((NodeKind.OBJECTIVE, key), []).append(
                (NodeKind.ACTIVITY, activity.key))
        for key in activity.goals:  # a skipped level: still shown where it hangs
            driven_by.setdefault((NodeKind.GOAL, key), []).append(
                (NodeKind.ACTIVITY, activity.key))

    out: list[Blueprint] = []
    star = plan.north_star
    if star is not None:
        out.append(Blueprint(
            NodeKind.NORTH_STAR, star.key, star.name, star.owner, metric_spec(star.key, star),
            measurements(star), children=tuple((NodeKind.GOAL, g.key) for g in plan.goals),
            counter_metrics=counters_of(star.key)))
    for goal in plan.goals:
        objectives = [(NodeKind.OBJECTIVE, o.key) for o in plan.objectives if o.goal == goal.key]
        out.append(Blueprint(
            NodeKind.GOAL, goal.key, goal.name, goal.owner,
            metric_spec(goal.key, goal.metric) if goal.metric else None,
            measurements(goal.metric) if goal.metric else (),
            children=(*objectives, *driven_by.get((NodeKind.GOAL, goal.key), [])),
            counter_metrics=counters_of(goal.key) if goal.metric else ()))
    for objective in plan.objectives:
        node: NodeId = (NodeKind.OBJECTIVE, objective.key)
        results = [(NodeKind.KEY_RESULT, kr.key) for kr in objective.key_results]
        out.append(Blueprint(
            NodeKind.OBJECTIVE, objective.key, objective.name, objective.owner,
            children=(*results, *driven_by.get(node, []), *measured_by.get(node, [])),
            rollup=objective.rollup, timeframe=(objective.start, objective.end)))
        for kr in objective.key_results:
            out.append(Blueprint(
                NodeKind.KEY_RESULT, kr.key, kr.name, kr.owner or objective.owner,
                metric_spec(kr.key, kr, start=objective.start), measurements(kr),
                counter_metrics=counters_of(kr.key)))
    for activity in plan.activities:
        node = (NodeKind.ACTIVITY, activity.key)
        out.append(Blueprint(NodeKind.ACTIVITY, activity.key, activity.name, activity.owner,
                             children=tuple(measured_by.get(node, [])),
                             activity_status=activity.status))
    for kpi in plan.kpis:
        inputs = kpi.formula.inputs if kpi.formula else []
        out.append(Blueprint(
            NodeKind.KPI, kpi.key, kpi.name, kpi.owner, metric_spec(kpi.key, kpi),
            measurements(kpi),
            children=tuple((NodeKind.KPI, i.metric) for i in inputs
                           if metric_nodes.get(i.metric, (None,))[0] is NodeKind.KPI),
            counter_metrics=counters_of(kpi.key),
            formula=tuple(TreeInput(key=i.metric, value=None, target=None, weight=i.weight,
                                    transform=i.transform) for i in inputs),
            formula_operator=kpi.formula.operator if kpi.formula else None,
            indicator=kpi.indicator))
    return out
