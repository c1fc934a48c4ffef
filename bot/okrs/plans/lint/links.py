"""The chain's links: every KPI tied to the work it measures, every lagging KPI with a leading
driver, and no goal that merely restates a KPI."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from difflib import SequenceMatcher

from bot.okrs.method.enums import Indicator
from bot.okrs.plans.lint.index import PlanIndex
from bot.okrs.plans.lint.rules import Finding, finding
from bot.okrs.plans.plan import Kpi, Plan

# Words a goal adds to a metric's name without changing what is measured.
FILLER = frozenset({"increase", "improve", "grow", "raise", "boost", "reduce", "decrease", "lower",
                    "cut", "the", "a", "an", "our", "of", "for", "in", "to", "and"})


def links(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    linked = {kpi.key for kpi in plan.kpis if kpi.measures.activities or kpi.measures.objectives}
    anchors = linked | ix.kr_keys | ({plan.north_star.key} if plan.north_star else set())
    grew = True
    while grew:  # a KPI joins the chain through a linked tree parent or counter-metric partner
        grew = False
        for key in ix.kpis.keys() - anchors:
            if ix.parents[key] & anchors or ix.pairs[key] & anchors:
                anchors.add(key)
                grew = True
    drives: dict[str, set[str]] = defaultdict(set)  # objective → activities driving it
    for activity in plan.activities:
        for key in activity.objectives:
            drives[key].add(activity.key)
    for i, kpi in enumerate(plan.kpis):
        if kpi.key not in anchors:
            yield finding("kpi-disconnected", f"kpis[{i}]", f"KPI '{kpi.key}' measures no "
                          "activity or objective and sits in no KPI tree whose root does; link "
                          "it or drop it")
        if kpi.indicator is not Indicator.LAGGING:
            continue
        # The work it reports on: what it and its tree's parts measure, and the activities
        # that drive those objectives — a leading KPI on any of it warns first.
        inputs = ix.inputs(kpi.key)
        work = {w for part in [kpi, *map(ix.kpis.get, inputs)] if part for w in _work(part)}
        work |= {a for o in work for a in drives[o]}
        if not any(other.indicator is Indicator.LEADING and (
                other.key in inputs or work & _work(other)) for other in plan.kpis):
            yield finding("lagging-without-leading", f"kpis[{i}]", f"lagging KPI '{kpi.key}' "
                          "has no leading driver; add a leading KPI among its inputs or on the "
                          "same work")
    yield from _circular(plan)


def _work(kpi: Kpi) -> set[str]:
    return {*kpi.measures.activities, *kpi.measures.objectives}


def _words(name: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in FILLER)


def _circular(plan: Plan) -> Iterator[Finding]:
    for i, goal in enumerate(plan.goals):
        for kpi in plan.kpis:
            words = _words(goal.name), _words(kpi.name)
            same_name = all(words) and SequenceMatcher(None, *words).ratio() >= 0.9
            m = goal.metric
            same_numbers = m is not None and m.baseline is not None and m.target is not None and (
                m.baseline, m.target, m.unit) == (kpi.baseline, kpi.target, kpi.unit)
            if same_name or same_numbers:
                what = "name" if same_name else "baseline, target and unit"
                yield finding("circular-goal", f"goals[{i}]", f"goal '{goal.key}' restates KPI "
                              f"'{kpi.key}' (same {what}); say what moving the KPI achieves")
                break
