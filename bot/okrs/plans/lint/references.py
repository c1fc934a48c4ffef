"""Keys, references and people: every key unique, every reference naming something of the right
kind, one North Star, each person once in a real time zone."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from zoneinfo import available_timezones

from bot.okrs.plans.lint.index import METRIC_KINDS, PlanIndex, metrics
from bot.okrs.plans.lint.rules import Finding, a, finding
from bot.okrs.plans.plan import Plan

TEAM, GOAL, OBJECTIVE, ACTIVITY = (frozenset({k}) for k in ("team", "goal", "objective",
                                                            "activity"))


def keys_and_people(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    if plan.north_star is None:
        yield finding("north-star-count", "north_star", "the plan has no North Star; name the "
                      "one metric of delivered value that goals feed")
    first: dict[str, tuple[str, str]] = {}
    for key, kind, path in ix.entries:
        if key in first:
            yield finding("duplicate-key", path, f"key '{key}' is already used by the "
                          f"{first[key][0]} at {first[key][1]}; keys must be unique across the "
                          "whole plan")
        first.setdefault(key, (kind, path))
    seen: set[str] = set()
    zones = _zones()  # empty without tzdata: then we cannot judge, so we don't
    for i, person in enumerate(plan.people):
        if person.slack_user_id in seen:
            yield finding("duplicate-person", f"people[{i}]", f"{person.slack_user_id} is "
                          "listed twice; list each person once")
        seen.add(person.slack_user_id)
        if zones and person.time_zone and person.time_zone not in zones:
            yield finding("unknown-time-zone", f"people[{i}].time_zone", f"'{person.time_zone}' "
                          "is not an IANA time zone; expected a name like Europe/Berlin")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # walks the tz database: once per process


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


def references(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    for path, key, kinds in _references(plan):
        expected = " or ".join(sorted(kinds))
        if key not in ix.kind:
            yield finding("unknown-reference", path, f"no {expected} has key '{key}'")
        elif kinds is METRIC_KINDS and key not in ix.measured:
            yield finding("unknown-reference", path, f"'{key}' is {a(ix.kind[key])} with no "
                          "metric; expected the North Star, a goal with a metric, a key result "
                          "or a KPI")
        elif kinds is not METRIC_KINDS and ix.kind[key] not in kinds:
            yield finding("unknown-reference", path, f"'{key}' is {a(ix.kind[key])}, expected "
                          f"{a(expected)}")
    for path, _kind, metric in metrics(plan):
        for k, key in enumerate(getattr(metric, "counter_metrics", [])):
            if key == getattr(metric, "key", None):
                yield finding("counter-metric-self", f"{path}.counter_metrics[{k}]", f"'{key}' "
                              "lists itself as counter-metric; name the metric that would "
                              "suffer if it won")
