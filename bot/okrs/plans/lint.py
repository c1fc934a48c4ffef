"""The method's advice as checks over a plan: `lint(plan)` returns findings, worst first.

Errors are things the plan cannot mean (a reference to nothing, a cycle, a target that asks for
no change); warnings are the method's advice (3 to 5 goals, a leading driver for every lagging
KPI); info is worth a look but often fine. Pure: a `Plan` in, findings out — no clock, no
Slack, no database (only the system's list of time-zone names is read, once).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

from bot.okrs.method.enums import BandMode, Direction, Indicator, Operator
from bot.okrs.plans.plan import Kpi, MetricFields, Plan


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str  # where, in the plan's own terms: "objectives[2].key_results[0]"
    message: str


@dataclass(frozen=True)
class Rule:
    severity: Severity
    description: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
RULES: Mapping[str, Rule] = {
    "north-star-count": Rule(_E, "exactly one North Star: the root everything traces to"),
    "duplicate-key": Rule(_E, "every key is unique across the whole plan"),
    "unknown-reference": Rule(_E, "every key referenced exists and is of the right kind"),
    "duplicate-person": Rule(_E, "each person is listed once"),
    "unknown-time-zone": Rule(_E, "time zones are IANA names; check-ins are scheduled by them"),
    "end-before-start": Rule(_E, "nothing ends before it starts"),
    "target-equals-baseline": Rule(_E, "a target differs from its baseline"),
    "direction-contradicts-target": Rule(_E, "the target is on the better side of the baseline"),
    "thresholds-invalid": Rule(_E, "green is the stricter band; within_range has a green_range"),
    "formula-cycle": Rule(_E, "KPI-tree formulas bottom out in measured metrics"),
    "formula-shape": Rule(_E, "a ratio has two inputs; a weighted sum weighs every input"),
    "counter-metric-self": Rule(_E, "a metric is not its own counter-metric"),
    "goal-count": Rule(_W, "3 to 5 goals (at most 5 per team)"),
    "goal-without-objectives": Rule(_W, "every goal is driven by at least one objective"),
    "objective-count": Rule(_W, "at most 5 objectives per goal"),
    "key-result-count": Rule(_W, "2 to 5 key results per objective"),
    "objective-duration": Rule(_W, "objectives last 30 to 90 days (a calendar quarter counts)"),
    "metric-incomplete": Rule(_W, "key results, KPIs and the North Star carry the numbers and "
                                 "cadences the method asks of them"),
    "owner-missing": Rule(_W, "the North Star has an owner and every team a manager"),
    "skipped-level": Rule(_W, "activities drive objectives, not goals directly"),
    "activity-without-objective": Rule(_W, "every activity drives at least one objective"),
    "kpi-disconnected": Rule(_W, "every KPI measures work, or sits under or guards one that does"),
    "lagging-without-leading": Rule(_W, "every lagging KPI has a leading driver"),
    "counter-metric-missing": Rule(_W, "higher-is-better key results and leading KPIs have a "
                                      "counter-metric: people push these week to week, so a "
                                      "win there can hide a loss"),
    "output-not-outcome": Rule(_W, "key results measure a change, not a task shipped"),
    "circular-goal": Rule(_W, "a goal does not merely restate a KPI"),
    "kpi-counter-metric-missing": Rule(_I, "a standalone lagging KPI has a counter-metric; only "
                                          "info: results are hard to game directly, and tree "
                                          "parts are guarded at their root"),
    "objective-without-activities": Rule(_I, "some activity drives each objective"),
}
METRIC_KINDS = frozenset({"metric"})  # a North Star, a goal with a metric, a key result, a KPI
OUTPUT_VERBS = re.compile(r"\b(launch|ship|implement|build|release|deliver|complet)\w*", re.I)
MEASURE_WORDS = re.compile(
    r"\d|%|\b(rate|ratio|share|score|percent\w*|number|count|time|revenue|arr|mrr|nps|csat|ces|"
    r"conversion|retention|churn|adoption|activation|engagement|users?|customers?|per|average|"
    r"median)\b", re.I)
# Words a goal adds to a metric's name without changing what is measured.
FILLER = frozenset({"increase", "improve", "grow", "raise", "boost", "reduce", "decrease", "lower",
                    "cut", "the", "a", "an", "our", "of", "for", "in", "to", "and"})


def _f(rule: str, path: str, message: str) -> Finding:
    return Finding(rule, RULES[rule].severity, path, message)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _listed(words: Sequence[str], conjunction: str) -> str:
    return f" {conjunction} ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _natural(path: str) -> list[str | int]:
    # kpis[10] sorts after kpis[2]
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def lint(plan: Plan) -> list[Finding]:
    index = _Index(plan)
    findings = [finding for check in CHECKS for finding in check(plan, index)]
    return sorted(findings, key=lambda f: (_RANK[f.severity], _natural(f.path), f.rule, f.message))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.severity is Severity.ERROR for finding in findings)


class _Index:
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


def _metrics(plan: Plan) -> Iterator[tuple[str, str, MetricFields]]:
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


def _structure(plan: Plan, ix: _Index) -> Iterator[Finding]:
    if plan.north_star is None:
        yield _f("north-star-count", "north_star", "the plan has no North Star; name the one "
                 "metric of delivered value that goals feed")
    first: dict[str, tuple[str, str]] = {}
    for key, kind, path in ix.entries:
        if key in first:
            yield _f("duplicate-key", path, f"key '{key}' is already used by the {first[key][0]} "
                     f"at {first[key][1]}; keys must be unique across the whole plan")
        first.setdefault(key, (kind, path))
    seen: set[str] = set()
    zones = _zones()  # empty without tzdata: then we cannot judge, so we don't
    for i, person in enumerate(plan.people):
        if person.slack_user_id in seen:
            yield _f("duplicate-person", f"people[{i}]", f"{person.slack_user_id} is listed "
                     "twice; list each person once")
        seen.add(person.slack_user_id)
        if zones and person.time_zone and person.time_zone not in zones:
            yield _f("unknown-time-zone", f"people[{i}].time_zone", f"'{person.time_zone}' is "
                     "not an IANA time zone; expected a name like Europe/Berlin")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # walks the tz database: once per process


TEAM, GOAL, OBJECTIVE, ACTIVITY = (frozenset({k}) for k in ("team", "goal", "objective",
                                                            "activity"))


def _references(plan: Plan) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Every key the plan refers to, with where and what kind it must name."""
    for i, goal in enumerate(plan.goals):
        if goal.team:
            yield f"goals[{i}].team", goal.team, TEAM
    for i, objective in enumerate(plan.objectives):
        yield f"objectives[{i}].goal", objective.goal, GOAL
        if objective.team:
            yield f"objectives[{i}].team", objective.team, TEAM
        for j, kr in enumerate(objective.key_results):
            for k, key in enumerate(kr.counter_metrics):
                yield f"objectives[{i}].key_results[{j}].counter_metrics[{k}]", key, METRIC_KINDS
    for i, activity in enumerate(plan.activities):
        for k, key in enumerate(activity.objectives):
            yield f"activities[{i}].objectives[{k}]", key, OBJECTIVE
        for k, key in enumerate(activity.goals):
            yield f"activities[{i}].goals[{k}]", key, GOAL
    for i, kpi in enumerate(plan.kpis):
        for k, key in enumerate(kpi.measures.activities):
            yield f"kpis[{i}].measures.activities[{k}]", key, ACTIVITY
        for k, key in enumerate(kpi.measures.objectives):
            yield f"kpis[{i}].measures.objectives[{k}]", key, OBJECTIVE
        for k, item in enumerate(kpi.formula.inputs if kpi.formula else []):
            yield f"kpis[{i}].formula.inputs[{k}].metric", item.metric, METRIC_KINDS
        for k, key in enumerate(kpi.counter_metrics):
            yield f"kpis[{i}].counter_metrics[{k}]", key, METRIC_KINDS


def _reference_checks(plan: Plan, ix: _Index) -> Iterator[Finding]:
    for path, key, kinds in _references(plan):
        expected = " or ".join(sorted(kinds))
        if key not in ix.kind:
            yield _f("unknown-reference", path, f"no {expected} has key '{key}'")
        elif kinds is METRIC_KINDS and key not in ix.measured:
            yield _f("unknown-reference", path, f"'{key}' is {_a(ix.kind[key])} with no metric; "
                     "expected the North Star, a goal with a metric, a key result or a KPI")
        elif kinds is not METRIC_KINDS and ix.kind[key] not in kinds:
            yield _f("unknown-reference", path, f"'{key}' is {_a(ix.kind[key])}, expected "
                     f"{_a(expected)}")
    for path, _kind, metric in _metrics(plan):
        for k, key in enumerate(getattr(metric, "counter_metrics", [])):
            if key == getattr(metric, "key", None):
                yield _f("counter-metric-self", f"{path}.counter_metrics[{k}]", f"'{key}' lists "
                         "itself as counter-metric; name the metric that would suffer if it won")


def _dates(plan: Plan) -> Iterator[tuple[str, date | None, date | None]]:
    for path, _kind, metric in _metrics(plan):
        yield path, metric.start, metric.due
    if plan.north_star:
        for k, record in enumerate(plan.north_star.history):
            yield f"north_star.history[{k}]", record.active_from, record.active_until
    for name, items in (("goals", plan.goals), ("objectives", plan.objectives),
                        ("activities", plan.activities)):
        for i, item in enumerate(items):
            yield f"{name}[{i}]", item.start, item.end


def _numbers(plan: Plan, ix: _Index) -> Iterator[Finding]:
    for path, start, end in _dates(plan):
        if start and end and end < start:
            yield _f("end-before-start", path, f"ends {end} before it starts {start}")
    for path, _kind, m in _metrics(plan):
        problem = _band_problem(m)
        if problem:
            yield _f("thresholds-invalid", f"{path}.thresholds", problem)
        if m.baseline is None or m.target is None or m.direction is Direction.WITHIN_RANGE:
            continue
        span = f"{m.baseline:g} → {m.target:g}{m.unit and ' ' + m.unit}"
        if m.target == m.baseline:
            yield _f("target-equals-baseline", path, f"target equals baseline ({span}); set the "
                     "value this should reach, or use within_range to hold it steady")
        elif (m.target < m.baseline) == (m.direction is Direction.HIGHER_IS_BETTER):
            better = "lower" if m.target < m.baseline else "higher"
            yield _f("direction-contradicts-target", path, f"{span} goes {better} but the "
                     f"direction is {m.direction.value}; fix the direction or the numbers")
    for i, kpi in enumerate(plan.kpis):
        formula, path = kpi.formula, f"kpis[{i}].formula"
        if formula and formula.operator is Operator.RATIO and len(formula.inputs) != 2:
            yield _f("formula-shape", path, f"a ratio needs exactly 2 inputs (numerator, "
                     f"denominator), not {len(formula.inputs)}")
        if formula and formula.operator is Operator.WEIGHTED_SUM and any(
                item.weight is None for item in formula.inputs):
            yield _f("formula-shape", path, "a weighted sum needs a weight on every input")
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


def _cycles(plan: Plan, ix: _Index) -> Iterator[Finding]:
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
                yield _f("formula-cycle", f"kpis[{order[start]}].formula", "KPI-tree cycle "
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


def _shape(plan: Plan, ix: _Index) -> Iterator[Finding]:
    if len(plan.goals) < 3:
        yield _f("goal-count", "goals", f"the plan has {len(plan.goals)} goal(s); expected 3 to "
                 "5 directional outcomes")
    by_team: dict[str | None, int] = defaultdict(int)
    for goal in plan.goals:
        by_team[goal.team] += 1
    for team, count in by_team.items():
        if count > 5:
            whose = f"team '{team}'" if team else "the plan"
            yield _f("goal-count", "goals", f"{whose} has {count} goals; expected at most 5 — "
                     "more is not a focus")
    per_goal: dict[str, int] = defaultdict(int)
    for objective in plan.objectives:
        per_goal[objective.goal] += 1
    for i, goal in enumerate(plan.goals):
        if per_goal[goal.key] == 0:
            yield _f("goal-without-objectives", f"goals[{i}]", f"no objective drives goal "
                     f"'{goal.key}'; add one, or drop the goal")
        elif per_goal[goal.key] > 5:
            yield _f("objective-count", f"goals[{i}]", f"goal '{goal.key}' has "
                     f"{per_goal[goal.key]} objectives; expected at most 5")
    driven = {key for activity in plan.activities for key in activity.objectives}
    for i, objective in enumerate(plan.objectives):
        count = len(objective.key_results)
        if not 2 <= count <= 5:
            yield _f("key-result-count", f"objectives[{i}].key_results", f"objective "
                     f"'{objective.key}' has {count} key result(s); expected 2 to 5")
        days = (objective.end - objective.start).days + 1
        if objective.end >= objective.start and not 30 <= days <= 92:
            yield _f("objective-duration", f"objectives[{i}]", f"objective '{objective.key}' "
                     f"lasts {days} days; time-box it to 30–90 days")
        if objective.key not in driven:
            yield _f("objective-without-activities", f"objectives[{i}]", f"no activity drives "
                     f"objective '{objective.key}'; link the work behind it")
    for i, activity in enumerate(plan.activities):
        if activity.goals:
            yield _f("skipped-level", f"activities[{i}].goals", f"activity '{activity.key}' "
                     f"links straight to goal(s) {', '.join(activity.goals)}; link it to the "
                     "objective it drives instead")
        elif not activity.objectives:
            yield _f("activity-without-objective", f"activities[{i}]", f"activity "
                     f"'{activity.key}' drives no objective; link it under objectives")
    if plan.north_star and plan.north_star.owner is None:
        yield _f("owner-missing", "north_star", "the North Star has no owner; name the one "
                 "person who answers for it")
    for i, team in enumerate(plan.teams):
        if not team.managers:
            yield _f("owner-missing", f"teams[{i}]", f"team '{team.key}' has no manager; "
                     "name who follows up for it")


REQUIRED = {"north star": ("baseline", "target", "due", "frequency", "review"),
            "goal metric": ("baseline", "target"),
            "key result": ("baseline", "target", "due"),
            "kpi": ("baseline", "target", "frequency", "review", "indicator")}


def _counter_rule(ix: _Index, kind: str, metric: MetricFields) -> str | None:
    """Which counter-metric rule a metric answers to, if it has no counter-metric yet."""
    key = getattr(metric, "key", "")
    if ix.pairs.get(key) or kind not in ("key result", "kpi"):
        return None
    if kind == "key result" or getattr(metric, "indicator", None) is Indicator.LEADING:
        return "counter-metric-missing"
    # A tree part is judged with its tree: the root carries the guard.
    return None if ix.parents.get(key) else "kpi-counter-metric-missing"


def _advice(plan: Plan, ix: _Index) -> Iterator[Finding]:
    for path, kind, metric in _metrics(plan):
        missing = [name for name in REQUIRED[kind] if getattr(metric, name) is None]
        if missing:
            yield _f("metric-incomplete", path, f"{kind} '{metric.name}' has no "
                     f"{_listed(missing, 'or')}; expected {_listed(REQUIRED[kind], 'and')}")
        # Without a target nobody is pushing the number yet; that finding comes first.
        rule = _counter_rule(ix, kind, metric) if metric.target is not None else None
        if rule and metric.direction is Direction.HIGHER_IS_BETTER:
            yield _f(rule, path, f"'{metric.name}' is higher-is-better with no counter-metric; "
                     "pair it with one that would suffer if the win were bought cheaply")
    for i, objective in enumerate(plan.objectives):
        for j, kr in enumerate(objective.key_results):
            checkbox = (kr.baseline, kr.target) == (0, 1) and not kr.unit
            if OUTPUT_VERBS.search(kr.name) and not MEASURE_WORDS.search(kr.name) and (
                    kr.baseline is None or kr.target is None or checkbox):
                yield _f("output-not-outcome", f"objectives[{i}].key_results[{j}]",
                         f"'{kr.name}' is an output, not an outcome; name the change it should "
                         "cause, with a baseline and target")
    yield from _chain(plan, ix)
    yield from _circular(plan)


def _chain(plan: Plan, ix: _Index) -> Iterator[Finding]:
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
            yield _f("kpi-disconnected", f"kpis[{i}]", f"KPI '{kpi.key}' measures no activity "
                     "or objective and sits in no KPI tree whose root does; link it or drop it")
        if kpi.indicator is not Indicator.LAGGING:
            continue
        # The work it reports on: what it and its tree's parts measure, and the activities
        # that drive those objectives — a leading KPI on any of it warns first.
        inputs = ix.inputs(kpi.key)
        work = {w for part in [kpi, *map(ix.kpis.get, inputs)] if part for w in _work(part)}
        work |= {a for o in work for a in drives[o]}
        if not any(other.indicator is Indicator.LEADING and (
                other.key in inputs or work & _work(other)) for other in plan.kpis):
            yield _f("lagging-without-leading", f"kpis[{i}]", f"lagging KPI '{kpi.key}' has no "
                     "leading driver; add a leading KPI among its inputs or on the same work")


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
                yield _f("circular-goal", f"goals[{i}]", f"goal '{goal.key}' restates KPI "
                         f"'{kpi.key}' (same {what}); say what moving the KPI achieves")
                break


CHECKS = (_structure, _reference_checks, _numbers, _shape, _advice)
