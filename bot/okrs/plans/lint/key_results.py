"""What each metric carries: key results, KPIs and the North Star with the numbers and cadences
the method asks of them, a counter-metric where a win could be bought cheaply, and key results
that measure a change rather than a task shipped."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.okrs.method.enums import Direction, Indicator
from bot.okrs.plans.lint.index import PlanIndex, metrics
from bot.okrs.plans.lint.rules import Finding, finding, listed
from bot.okrs.plans.plan import MetricFields, Plan

OUTPUT_VERBS = re.compile(r"\b(launch|ship|implement|build|release|deliver|complet)\w*", re.I)
MEASURE_WORDS = re.compile(
    r"\d|%|\b(rate|ratio|share|score|percent\w*|number|count|time|revenue|arr|mrr|nps|csat|ces|"
    r"conversion|retention|churn|adoption|activation|engagement|users?|customers?|per|average|"
    r"median)\b", re.I)
REQUIRED = {"north star": ("baseline", "target", "due", "frequency", "review"),
            "goal metric": ("baseline", "target"),
            "key result": ("baseline", "target", "due"),
            "kpi": ("baseline", "target", "frequency", "review", "indicator")}


def _counter_rule(ix: PlanIndex, kind: str, metric: MetricFields) -> str | None:
    """Which counter-metric rule a metric answers to, if it has no counter-metric yet."""
    key = getattr(metric, "key", "")
    if ix.pairs.get(key) or kind not in ("key result", "kpi"):
        return None
    if kind == "key result" or getattr(metric, "indicator", None) is Indicator.LEADING:
        return "counter-metric-missing"
    # A tree part is judged with its tree: the root carries the guard.
    return None if ix.parents.get(key) else "kpi-counter-metric-missing"


def key_results(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    for path, kind, metric in metrics(plan):
        missing = [name for name in REQUIRED[kind] if getattr(metric, name) is None]
        if missing:
            yield finding("metric-incomplete", path, f"{kind} '{metric.name}' has no "
                          f"{listed(missing, 'or')}; expected {listed(REQUIRED[kind], 'and')}")
        # Without a target nobody is pushing the number yet; that finding comes first.
        rule = _counter_rule(ix, kind, metric) if metric.target is not None else None
        if rule and metric.direction is Direction.HIGHER_IS_BETTER:
            yield finding(rule, path, f"'{metric.name}' is higher-is-better with no "
                          "counter-metric; pair it with one that would suffer if the win were "
                          "bought cheaply")
    for i, objective in enumerate(plan.objectives):
        for j, kr in enumerate(objective.key_results):
            checkbox = (kr.baseline, kr.target) == (0, 1) and not kr.unit
            if OUTPUT_VERBS.search(kr.name) and not MEASURE_WORDS.search(kr.name) and (
                    kr.baseline is None or kr.target is None or checkbox):
                yield finding("output-not-outcome", f"objectives[{i}].key_results[{j}]",
                              f"'{kr.name}' is an output, not an outcome; name the change it "
                              "should cause, with a baseline and target")
