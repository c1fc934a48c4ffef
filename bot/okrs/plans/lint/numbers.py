"""The numbers: dates in order, targets that ask for a change in the metric's direction,
thresholds that can be told apart, and KPI-tree formulas of the right shape with no cycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bot.okrs.method.enums import BandMode, Direction, Operator
from bot.okrs.plans.lint.index import PlanIndex, metrics
from bot.okrs.plans.lint.rules import Finding, finding
from bot.okrs.plans.plan import MetricFields, Plan


def _dates(plan: Plan) -> Iterator[tuple[str, date | None, date | None]]:
    for path, _kind, metric in metrics(plan):
        yield path, metric.start, metric.due
    if plan.north_star:
        for k, record in enumerate(plan.north_star.history):
            yield f"north_star.history[{k}]", record.active_from, record.active_until
    for name, items in (("goals", plan.goals), ("objectives", plan.objectives),
                        ("activities", plan.activities)):
        for i, item in enumerate(items):
            yield f"{name}[{i}]", item.start, item.end


def numbers(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    for path, start, end in _dates(plan):
        if start and end and end < start:
            yield finding("end-before-start", path, f"ends {end} before it starts {start}")
    for path, _kind, m in metrics(plan):
        problem = _band_problem(m)
        if problem:
            yield finding("thresholds-invalid", f"{path}.thresholds", problem)
        if m.baseline is None or m.target is None or m.direction is Direction.WITHIN_RANGE:
            continue
        span = f"{m.baseline:g} → {m.target:g}{m.unit and ' ' + m.unit}"
        if m.target == m.baseline:
            yield finding("target-equals-baseline", path, f"target equals baseline ({span}); "
                          "set the value this should reach, or use within_range to hold it "
                          "steady")
        elif (m.target < m.baseline) == (m.direction is Direction.HIGHER_IS_BETTER):
            better = "lower" if m.target < m.baseline else "higher"
            yield finding("direction-contradicts-target", path, f"{span} goes {better} but the "
                          f"direction is {m.direction.value}; fix the direction or the numbers")
    for i, kpi in enumerate(plan.kpis):
        formula, path = kpi.formula, f"kpis[{i}].formula"
        if formula and formula.operator is Operator.RATIO and len(formula.inputs) != 2:
            yield finding("formula-shape", path, f"a ratio needs exactly 2 inputs (numerator, "
                          f"denominator), not {len(formula.inputs)}")
        if formula and formula.operator is Operator.WEIGHTED_SUM and any(
                item.weight is None for item in formula.inputs):
            yield finding("formula-shape", path, "a weighted sum needs a weight on every input")
    yield from _cycles(plan, ix)


def _band_problem(m: MetricFields) -> str | None:
    bands = m.thresholds
    if m.direction is Direction.WITHIN_RANGE:
        return None if bands and bands.green_range else (
            "a within_range metric needs thresholds.green_range, or it is never judged")
    if bands is None or bands.green is None or bands.yellow is None:
        return None
    # Absolute bands of a lower-is-better metric are upper bounds; every other band is a floor.
    ceiling = bands.mode is BandMode.ABSOLUTE and m.direction is Direction.LOWER_IS_BETTER
    if (bands.yellow < bands.green) if ceiling else (bands.yellow > bands.green):
        return (f"yellow ({bands.yellow:g}) is stricter than green ({bands.green:g}), so nothing "
                "can be yellow; swap them")
    return None


def _cycles(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    done: set[str] = set()
    reported: set[frozenset[str]] = set()
    order = {kpi.key: i for i, kpi in enumerate(plan.kpis)}

    def visit(key: str, stack: list[str]) -> Iterator[Finding]:
        if key in stack:
            cycle = stack[stack.index(key):]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                start = min(cycle, key=order.__getitem__)
                at = cycle.index(start)
                loop = [*cycle[at:], *cycle[:at], start]
                yield finding("formula-cycle", f"kpis[{order[start]}].formula", "KPI-tree cycle "
                              f"{' → '.join(loop)}; a tree must bottom out in measured metrics")
            return
        if key in done or key not in ix.kpis:
            return
        kpi = ix.kpis[key]
        for item in kpi.formula.inputs if kpi.formula else []:
            yield from visit(item.metric, [*stack, key])
        done.add(key)

    for kpi in plan.kpis:
        yield from visit(kpi.key, [])
