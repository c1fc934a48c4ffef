"""Plan lint: every rule fires on a plan that breaks it and stays quiet on one that keeps it."""

from __future__ import annotations

import ast
import copy
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.okrs.plans.lint import RULES, Finding, Severity, has_errors, lint
from bot.okrs.plans.plan import Plan

ROOT = Path(__file__).resolve().parents[3]

# A small plan that keeps every rule: the base each case below bends one way or the other.
CLEAN = yaml.safe_load("""
workspace: T0TEST
people:
  - {slack_user_id: U0AAA, name: Ana, time_zone: Europe/Berlin}
  - {slack_user_id: U0BBB, name: Ben, time_zone: America/Los_Angeles, manager: U0AAA}
teams:
  - {key: growth, name: Growth, members: [U0BBB], managers: [U0AAA]}
north_star:
  {key: engaged-users, name: Weekly engaged users, owner: U0AAA, baseline: 1000, target: 2000,
   start: 2026-04-01, due: 2026-09-30, frequency: weekly, review: biweekly}
goals:
  - {key: conversion, name: Convert more trials to paid, owner: U0AAA, team: growth,
     metric: {name: Trial-to-paid conversion, unit: "%", baseline: 2.3, target: 4.5}}
  - {key: retention, name: Keep customers longer, owner: U0AAA}
  - {key: reach, name: Reach the mid-market, owner: U0BBB}
objectives:
  - key: onboarding
    name: Make onboarding effortless
    goal: conversion
    owner: U0BBB
    team: growth
    start: 2026-05-01
    end: 2026-07-29
    key_results:
      - {key: activation, name: First-week activation, unit: "%", baseline: 8, target: 20,
         due: 2026-07-29, counter_metrics: [drop-off]}
      - {key: drop-off, name: Drop-off after first trial, unit: "%",
         direction: lower_is_better, baseline: 40, target: 30, due: 2026-07-29}
  - key: save-accounts
    name: Save at-risk accounts
    goal: retention
    owner: U0AAA
    start: 2026-04-01
    end: 2026-06-30
    key_results:
      - {key: renewal-rate, name: Renewal rate, unit: "%", baseline: 80, target: 88,
         due: 2026-06-30, counter_metrics: [discount-share]}
      - {key: discount-share, name: Renewals needing a discount, unit: "%",
         direction: lower_is_better, baseline: 30, target: 20, due: 2026-06-30}
  - key: mid-market
    name: Win first mid-market accounts
    goal: reach
    owner: U0BBB
    start: 2026-07-01
    end: 2026-09-30
    key_results:
      - {key: mid-market-signups, name: Mid-market signups per month, baseline: 2, target: 10,
         due: 2026-09-30, counter_metrics: [refund-rate]}
      - {key: refund-rate, name: Refund rate, unit: "%", direction: lower_is_better,
         baseline: 5, target: 3, due: 2026-09-30}
activities:
  - {key: tours, name: Build in-app onboarding tours, owner: U0BBB, objectives: [onboarding]}
  - {key: save-desk, name: Staff a save desk, owner: U0AAA, objectives: [save-accounts]}
  - {key: campaign, name: Run a mid-market campaign, owner: U0BBB, objectives: [mid-market]}
kpis:
  - {key: completion, name: Onboarding completion rate, owner: U0BBB, unit: "%", baseline: 8,
     target: 20, frequency: daily, review: biweekly, indicator: leading,
     measures: {activities: [tours], objectives: [onboarding]}, counter_metrics: [drop-off]}
  - {key: paid-conversions, name: Paid conversions per week, owner: U0AAA, baseline: 40,
     target: 80, frequency: weekly, review: biweekly, indicator: lagging,
     measures: {objectives: [onboarding]}, counter_metrics: [refund-rate]}
""")


def bend(*edits: Callable[[dict[str, Any]], Any]) -> Callable[[], Plan]:
    """A plan built from CLEAN with some edits applied, each a small function of the data."""

    def build() -> Plan:
        data = copy.deepcopy(CLEAN)
        for edit in edits:
            edit(data)
        return Plan.model_validate(data)

    return build


def kpi(key: str, **fields: Any) -> dict[str, Any]:
    """A complete KPI, so only the fields a case is about make a difference."""
    return {"key": key, "name": key.replace("-", " ").capitalize(), "owner": "U0AAA",
            "baseline": 1, "target": 2, "frequency": "weekly", "review": "biweekly",
            "indicator": "leading", "measures": {"objectives": ["onboarding"]},
            "counter_metrics": ["drop-off"], **fields}


def add_kpis(*kpis: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["kpis"].extend(kpis)


def objective_copies(count: int) -> Callable[[dict[str, Any]], None]:
    """More objectives on the first goal, each with its own keys."""

    def edit(data: dict[str, Any]) -> None:
        for n in range(count):
            extra = copy.deepcopy(data["objectives"][0])
            extra["key"] = f"onboarding-{n}"
            for kr in extra["key_results"]:
                kr["key"] = f"{kr['key']}-{n}"
                kr["counter_metrics"] = [f"{c}-{n}" for c in kr.get("counter_metrics", [])]
            data["objectives"].append(extra)
            data["activities"][0]["objectives"].append(extra["key"])

    return edit


def kr0(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["objectives"][0]["key_results"][0].update(fields)


def drop(*where: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(data: Any) -> None:
        for step in where[:-1]:
            data = data[step]
        del data[where[-1]]

    return edit


# (rule, severity, failing plan, path of the finding, phrase in its message)
FIRES = [
    ("north-star-count", "error", bend(drop("north_star")), "north_star", "no North Star"),
    ("duplicate-key", "error", bend(lambda d: d["north_star"].update(key="growth")),
     "north_star", "already used by the team at teams[0]"),
    ("unknown-reference", "error", bend(lambda d: d["objectives"][0].update(goal="nope")),
     "objectives[0].goal", "no goal has key 'nope'"),
    ("unknown-reference", "error",
     bend(lambda d: d["activities"][0].update(objectives=["conversion"])),
     "activities[0].objectives[0]", "'conversion' is a goal, expected an objective"),
    ("unknown-reference", "error", bend(kr0(counter_metrics=["reach"])),
     "objectives[0].key_results[0].counter_metrics[0]", "'reach' is a goal with no metric"),
    ("duplicate-person", "error", bend(lambda d: d["people"].append(d["people"][0])),
     "people[2]", "listed twice"),
    ("unknown-time-zone", "error",
     bend(lambda d: d["people"][0].update(time_zone="Mars/Olympus")),
     "people[0].time_zone", "not an IANA time zone"),
    ("end-before-start", "error", bend(lambda d: d["objectives"][0].update(end="2026-04-01")),
     "objectives[0]", "ends 2026-04-01 before it starts 2026-05-01"),
    ("target-equals-baseline", "error", bend(kr0(target=8)),
     "objectives[0].key_results[0]", "target equals baseline (8 → 8 %)"),
    ("direction-contradicts-target", "error",
     bend(drop("objectives", 0, "key_results", 1, "direction")),
     "objectives[0].key_results[1]", "goes lower but the direction is higher_is_better"),
    ("thresholds-invalid", "error",
     bend(lambda d: d["kpis"][0].update(thresholds={"green": 0.7, "yellow": 0.9})),
     "kpis[0].thresholds", "yellow (0.9) is stricter than green (0.7)"),
    ("thresholds-invalid", "error", bend(kr0(direction="within_range")),
     "objectives[0].key_results[0].thresholds", "needs thresholds.green_range"),
    ("formula-cycle", "error",
     bend(add_kpis(kpi("a", formula={"operator": "sum", "inputs": [{"metric": "b"}]}),
                   kpi("b", formula={"operator": "sum", "inputs": [{"metric": "a"}]}))),
     "kpis[2].formula", "KPI-tree cycle a → b → a"),
    ("formula-shape", "error",
     bend(add_kpis(kpi("r", formula={"operator": "ratio", "inputs": [{"metric": "completion"}]}))),
     "kpis[2].formula", "a ratio needs exactly 2 inputs"),
    ("counter-metric-self", "error", bend(kr0(counter_metrics=["activation"])),
     "objectives[0].key_results[0].counter_metrics[0]", "lists itself as counter-metric"),
    ("goal-count", "warning", bend(drop("goals", 2), drop("objectives", 2), drop("activities", 2)),
     "goals", "2 goal(s); expected 3 to 5"),
    ("goal-count", "warning",
     bend(lambda d: d["goals"].extend({"key": f"g{n}", "name": f"Goal {n}", "owner": "U0AAA",
                                       "team": "growth"} for n in range(5))),
     "goals", "team 'growth' has 6 goals; expected at most 5"),
    ("goal-without-objectives", "warning",
     bend(lambda d: d["goals"].append({"key": "lonely", "name": "Lonely", "owner": "U0AAA"})),
     "goals[3]", "no objective drives goal 'lonely'"),
    ("objective-count", "warning", bend(objective_copies(5)),
     "goals[0]", "goal 'conversion' has 6 objectives; expected at most 5"),
    ("key-result-count", "warning", bend(drop("objectives", 0, "key_results", 1)),
     "objectives[0].key_results", "1 key result(s); expected 2 to 5"),
    ("objective-duration", "warning", bend(lambda d: d["objectives"][0].update(end="2026-12-31")),
     "objectives[0]", "lasts 245 days; time-box it to 30–90 days"),
    ("metric-incomplete", "warning", bend(drop("kpis", 0, "baseline")),
     "kpis[0]", "has no baseline; expected baseline, target"),
    ("owner-missing", "warning", bend(drop("north_star", "owner")),
     "north_star", "the North Star has no owner"),
    ("owner-missing", "warning", bend(lambda d: d["teams"][0].update(managers=[])),
     "teams[0]", "team 'growth' has no manager"),
    ("skipped-level", "warning", bend(lambda d: d["activities"][0].update(goals=["conversion"])),
     "activities[0].goals", "links straight to goal(s) conversion"),
    ("activity-without-objective", "warning",
     bend(lambda d: d["activities"].append({"key": "chore", "name": "Chore", "owner": "U0AAA"})),
     "activities[3]", "drives no objective"),
    ("kpi-disconnected", "warning",
     bend(add_kpis(kpi("stray", measures={}, counter_metrics=[]))),
     "kpis[2]", "measures no activity or objective"),
    ("lagging-without-leading", "warning",
     bend(add_kpis(kpi("renewals", indicator="lagging",
                       measures={"objectives": ["save-accounts"]}))),
     "kpis[2]", "lagging KPI 'renewals' has no leading driver"),
    ("counter-metric-missing", "warning", bend(kr0(counter_metrics=[])),
     "objectives[0].key_results[0]", "higher-is-better with no counter-metric"),
    ("output-not-outcome", "warning",
     bend(kr0(name="Ship the tours", baseline=0, target=1, unit="")),
     "objectives[0].key_results[0]", "is an output, not an outcome"),
    ("circular-goal", "warning",
     bend(lambda d: d["goals"][0].update(name="Increase the onboarding completion rate")),
     "goals[0]", "restates KPI 'completion' (same name)"),
    ("circular-goal", "warning",
     bend(lambda d: d["goals"][0].update(metric={"name": "Completion", "unit": "%",
                                                 "baseline": 8, "target": 20})),
     "goals[0]", "restates KPI 'completion' (same baseline, target and unit)"),
    ("counter-metric-missing", "warning",
     bend(lambda d: d["kpis"][0].update(counter_metrics=[])),
     "kpis[0]", "higher-is-better with no counter-metric"),
    ("kpi-counter-metric-missing", "info",
     bend(lambda d: d["kpis"][1].update(counter_metrics=[])),
     "kpis[1]", "higher-is-better with no counter-metric"),
    ("objective-without-activities", "info", bend(drop("activities", 2)),
     "objectives[2]", "no activity drives objective 'mid-market'"),
]

# (rule, a plan that keeps it — a near miss where there is one)
QUIET = [
    ("north-star-count", bend()),
    ("duplicate-key", bend(lambda d: d["north_star"].update(key="growth-users"))),
    ("unknown-reference", bend(add_kpis(kpi("sum", counter_metrics=["conversion"], formula={
        "operator": "sum", "inputs": [{"metric": "activation"}, {"metric": "engaged-users"}]})))),
    ("duplicate-person", bend(lambda d: d["people"].append({"slack_user_id": "U0CCC"}))),
    ("unknown-time-zone", bend(lambda d: d["people"][0].update(time_zone="Asia/Kolkata"))),
    ("end-before-start", bend(lambda d: d["objectives"][0].update(end="2026-05-31"))),
    ("target-equals-baseline", bend(kr0(direction="within_range", target=8,
                                        thresholds={"green_range": [6, 10]}))),
    ("direction-contradicts-target", bend(kr0(baseline=20, target=8,
                                              direction="lower_is_better"))),
    ("thresholds-invalid", bend(lambda d: d["objectives"][0]["key_results"][1].update(
        thresholds={"mode": "absolute", "green": 32, "yellow": 36}))),
    ("thresholds-invalid", bend(kr0(direction="within_range",
                                    thresholds={"green_range": [8, 12]}))),
    ("formula-cycle",
     bend(add_kpis(kpi("a", formula={"operator": "sum", "inputs": [{"metric": "b"},
                                                                   {"metric": "c"}]}),
                   kpi("b", formula={"operator": "product", "inputs": [{"metric": "c"}]}),
                   kpi("c")))),
    ("formula-shape",
     bend(add_kpis(kpi("w", formula={"operator": "weighted_sum", "inputs": [
         {"metric": "completion", "weight": 0.7}, {"metric": "activation", "weight": 0.3}]})))),
    ("counter-metric-self", bend()),
    ("goal-count",
     bend(lambda d: d["goals"].extend({"key": f"g{n}", "name": f"Goal {n}", "owner": "U0AAA",
                                       "team": "growth"} for n in range(4)))),
    ("goal-without-objectives", bend()),
    ("objective-count", bend(objective_copies(4))),
    ("key-result-count", bend()),
    ("objective-duration", bend(lambda d: d["objectives"][0].update(start="2026-07-01",
                                                                    end="2026-09-30"))),
    ("metric-incomplete", bend()),
    ("owner-missing", bend()),
    ("skipped-level", bend()),
    ("activity-without-objective", bend()),
    ("kpi-disconnected", bend(add_kpis(  # linked by its tree root, or by what it guards
        kpi("parent", formula={"operator": "sum", "inputs": [{"metric": "child"}]}),
        kpi("child", measures={}), kpi("guard", measures={}, counter_metrics=[]),
        kpi("guarded", counter_metrics=["guard"])))),
    ("lagging-without-leading", bend(add_kpis(
        kpi("revenue", indicator="lagging", measures={"objectives": ["save-accounts"]},
            formula={"operator": "sum", "inputs": [{"metric": "new-revenue"}]}),
        kpi("new-revenue", indicator="lagging", measures={},
            formula={"operator": "product", "inputs": [{"metric": "leads"}]}),
        kpi("leads", measures={}),
        kpi("saves", indicator="lagging", measures={"objectives": ["save-accounts"]}),
        kpi("desk-calls", measures={"activities": ["save-desk"]}),  # drives saves' objective
        kpi("saved-revenue", indicator="lagging", measures={},  # driven through its part
            formula={"operator": "product", "inputs": [{"metric": "saves"}]}),
    ))),
    ("counter-metric-missing", bend(lambda d: d["objectives"][0]["key_results"][1].update(
        counter_metrics=["activation"]), kr0(counter_metrics=[]))),
    ("output-not-outcome", bend(kr0(name="Tutorial completion rate"))),
    ("circular-goal", bend(lambda d: d["goals"][0].update(name="Win more paying customers"))),
    ("kpi-counter-metric-missing", bend(add_kpis(  # a tree part is guarded at its root
        kpi("revenue", indicator="lagging", counter_metrics=["refund-rate"],
            formula={"operator": "sum", "inputs": [{"metric": "new-revenue"}]}),
        kpi("new-revenue", indicator="lagging", counter_metrics=[])))),
    ("kpi-counter-metric-missing", bend(
        lambda d: d["kpis"][1].update(counter_metrics=[], direction="within_range"))),
    ("objective-without-activities", bend()),
]


def of_rule(plan: Plan, rule: str) -> list[Finding]:
    return [finding for finding in lint(plan) if finding.rule == rule]


@pytest.mark.parametrize(("rule", "severity", "build", "path", "phrase"), FIRES,
                         ids=[case[0] for case in FIRES])
def test_rule_fires_on_a_plan_that_breaks_it(rule: str, severity: str,
                                             build: Callable[[], Plan], path: str,
                                             phrase: str) -> None:
    found = of_rule(build(), rule)
    assert [(f.path, f.severity) for f in found] == [(path, Severity(severity))]
    assert phrase in found[0].message
    assert RULES[rule].severity == severity


@pytest.mark.parametrize(("rule", "build"), QUIET, ids=[case[0] for case in QUIET])
def test_rule_is_quiet_on_a_plan_that_keeps_it(rule: str, build: Callable[[], Plan]) -> None:
    assert of_rule(build(), rule) == []


def test_every_rule_has_a_failing_and_a_passing_example() -> None:
    assert {case[0] for case in FIRES} == set(RULES) == {case[0] for case in QUIET}


def test_the_clean_plan_has_no_findings() -> None:
    assert lint(bend()()) == []


def test_findings_come_worst_first_then_by_path_in_plan_order() -> None:
    extra = [kpi(f"stray-{n}", measures={}, counter_metrics=[]) for n in range(10)]
    findings = lint(bend(add_kpis(*extra), drop("north_star"))())
    ranks = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    assert [ranks[f.severity] for f in findings] == sorted(ranks[f.severity] for f in findings)
    stray = [f.path for f in findings if f.rule == "kpi-disconnected"]
    assert stray == [f"kpis[{n}]" for n in range(2, 12)]  # kpis[10] after kpis[9]
    assert findings[0].rule == "north-star-count"


def test_has_errors_only_for_errors() -> None:
    warning = Finding("goal-count", Severity.WARNING, "goals", "…")
    error = Finding("north-star-count", Severity.ERROR, "north_star", "…")
    assert not has_errors([])
    assert not has_errors([warning])
    assert has_errors([warning, error])
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.rule = "other"  # type: ignore[misc]


def test_rules_have_a_severity_and_one_line() -> None:
    for rule_id, rule in RULES.items():
        assert rule_id == rule_id.lower() and " " not in rule_id
        assert isinstance(rule.severity, Severity)
        assert rule.description and "\n" not in rule.description


def test_lint_imports_only_the_plan_the_enums_and_the_standard_library() -> None:
    nodes = [node for path in (ROOT / "bot/okrs/plans/lint").glob("*.py")
             for node in ast.walk(ast.parse(path.read_text()))]
    modules = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    outside = {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names} - {
        f"bot.okrs.plans.lint.{p.stem}" for p in (ROOT / "bot/okrs/plans/lint").glob("*.py")}
    assert outside == {"bot.okrs.plans.plan", "bot.okrs.method.enums"}


def has_cycle(edges: dict[str, list[str]]) -> bool:
    """Kahn's algorithm: a graph has a cycle iff some node never reaches in-degree zero."""
    indegree = {node: 0 for node in edges}
    for targets in edges.values():
        for target in targets:
            indegree[target] += 1
    ready = [node for node, degree in indegree.items() if degree == 0]
    while ready:
        for target in edges[ready.pop()]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return any(indegree.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), max_size=3, unique=True), min_size=1, max_size=6))
def test_formula_cycles_are_found_exactly_when_the_tree_has_one(inputs: list[list[int]]) -> None:
    keys = [f"m{n}" for n in range(len(inputs))]
    edges = {key: [keys[i] for i in row if i < len(keys)]
             for key, row in zip(keys, inputs, strict=True)}
    kpis = [kpi(key, formula={"operator": "sum", "inputs": [{"metric": m} for m in targets]})
            if targets else kpi(key) for key, targets in edges.items()]
    findings = lint(bend(add_kpis(*kpis))())
    assert bool([f for f in findings if f.rule == "formula-cycle"]) == has_cycle(edges)
    assert findings == lint(bend(add_kpis(*kpis))())  # the same plan, the same findings


@pytest.mark.parametrize("name", ["ai-feature-launch.yml", "b2b-saas.yml"])
def test_examples_validate_and_lint_without_errors_or_warnings(name: str) -> None:
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    plan = Plan.model_validate(yaml.safe_load(text))
    findings = lint(plan)
    assert not has_errors(findings), findings
    assert [f for f in findings if f.severity is Severity.WARNING] == []
