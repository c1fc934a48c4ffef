"""What the checks look up: every key with its kind and path, and the links between metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from bot.okrs.plans.plan import MetricFields, Plan

METRIC_KINDS = frozenset({"metric"})  # a North Star, a goal with a metric, a key result, a KPI


class PlanIndex:
    """Every key with its kind and path, and the links the checks walk."""

    def __init__(self, plan: Plan) -> None:
        self.kind: dict[str, str] = {}  # key → kind of its first use
        self.entries: list[tuple[str, str, str]] = []  # (key, kind, path), duplicates included
        self.kpis = {kpi.key: kpi for kpi in plan.kpis}
        self.kr_keys: set[str] = set()
        # Keys that name a number: what formula inputs and counter-metrics may point at.
        self.measured = {kpi.key for kpi in plan.kpis} | {g.key for g in plan.goals if g.metric}
        add = self.entries.append
        for i, team in enumerate(plan.teams):
            add((team.key, "team", f"teams[{i}]"))
        if plan.north_star:
            add((plan.north_star.key, "north star", "north_star"))
        for i, goal in enumerate(plan.goals):
            add((goal.key, "goal", f"goals[{i}]"))
        for i, objective in enumerate(plan.objectives):
            add((objective.key, "objective", f"objectives[{i}]"))
            for j, kr in enumerate(objective.key_results):
                add((kr.key, "key result", f"objectives[{i}].key_results[{j}]"))
                self.kr_keys.add(kr.key)
        self.measured |= self.kr_keys | ({plan.north_star.key} if plan.north_star else set())
        for i, activity in enumerate(plan.activities):
            add((activity.key, "activity", f"activities[{i}]"))
        for i, kpi in enumerate(plan.kpis):
            add((kpi.key, "kpi", f"kpis[{i}]"))
        for key, kind, _path in self.entries:
            self.kind.setdefault(key, kind)
        # A counter-metric pair guards both sides, so declaring it on either one counts.
        self.pairs: dict[str, set[str]] = defaultdict(set)
        guarded = [*(kr for o in plan.objectives for kr in o.key_results), *plan.kpis]
        for metric in guarded:
            for counter in metric.counter_metrics:
                self.pairs[metric.key].add(counter)
                self.pairs[counter].add(metric.key)
        self.parents: dict[str, set[str]] = defaultdict(set)  # formula input → KPIs using it
        for kpi in plan.kpis:
            for item in kpi.formula.inputs if kpi.formula else []:
                self.parents[item.metric].add(kpi.key)

    def inputs(self, key: str) -> set[str]:
        """All metrics below a KPI in its tree, however deep."""
        seen: set[str] = set()
        stack = [key]
        while stack:
            kpi = self.kpis.get(stack.pop())
            for item in kpi.formula.inputs if kpi and kpi.formula else []:
                if item.metric not in seen:
                    seen.add(item.metric)
                    stack.append(item.metric)
        return seen


def metrics(plan: Plan) -> Iterator[tuple[str, str, MetricFields]]:
    """Every metric of the plan with its path and kind: North Star, goal metric, key result, KPI."""
    if plan.north_star:
        yield "north_star", "north star", plan.north_star
    for i, goal in enumerate(plan.goals):
        if goal.metric:
            yield f"goals[{i}].metric", "goal metric", goal.metric
    for i, objective in enumerate(plan.objectives):
        for j, kr in enumerate(objective.key_results):
            yield f"objectives[{i}].key_results[{j}]", "key result", kr
    for i, kpi in enumerate(plan.kpis):
        yield f"kpis[{i}]", "kpi", kpi
