"""The plan's shape: how many goals, objectives and key results, how long an objective lasts,
activities linked at the right level, and someone who answers for the North Star and each team."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from bot.okrs.plans.lint.index import PlanIndex
from bot.okrs.plans.lint.rules import Finding, finding
from bot.okrs.plans.plan import Plan


def counts(plan: Plan, ix: PlanIndex) -> Iterator[Finding]:
    if len(plan.goals) < 3:
        yield finding("goal-count", "goals", f"the plan has {len(plan.goals)} goal(s); expected "
                      "3 to 5 directional outcomes")
    by_team: dict[str | None, int] = defaultdict(int)
    for goal in plan.goals:
        by_team[goal.team] += 1
    for team, count in by_team.items():
        if count > 5:
            whose = f"team '{team}'" if team else "the plan"
            yield finding("goal-count", "goals", f"{whose} has {count} goals; expected at most "
                          "5 — more is not a focus")
    per_goal: dict[str, int] = defaultdict(int)
    for objective in plan.objectives:
        per_goal[objective.goal] += 1
    for i, goal in enumerate(plan.goals):
        if per_goal[goal.key] == 0:
            yield finding("goal-without-objectives", f"goals[{i}]", f"no objective drives goal "
                          f"'{goal.key}'; add one, or drop the goal")
        elif per_goal[goal.key] > 5:
            yield finding("objective-count", f"goals[{i}]", f"goal '{goal.key}' has "
                          f"{per_goal[goal.key]} objectives; expected at most 5")
    yield from _objectives(plan)
    yield from _activities_and_owners(plan)


def _objectives(plan: Plan) -> Iterator[Finding]:
    driven = {key for activity in plan.activities for key in activity.objectives}
    for i, objective in enumerate(plan.objectives):
        count = len(objective.key_results)
        if not 2 <= count <= 5:
            yield finding("key-result-count", f"objectives[{i}].key_results", f"objective "
                          f"'{objective.key}' has {count} key result(s); expected 2 to 5")
        days = (objective.end - objective.start).days + 1
        if objective.end >= objective.start and not 30 <= days <= 92:
            yield finding("objective-duration", f"objectives[{i}]", f"objective "
                          f"'{objective.key}' lasts {days} days; time-box it to 30–90 days")
        if objective.key not in driven:
            yield finding("objective-without-activities", f"objectives[{i}]", f"no activity "
                          f"drives objective '{objective.key}'; link the work behind it")


def _activities_and_owners(plan: Plan) -> Iterator[Finding]:
    for i, activity in enumerate(plan.activities):
        if activity.goals:
            yield finding("skipped-level", f"activities[{i}].goals", f"activity "
                          f"'{activity.key}' links straight to goal(s) "
                          f"{', '.join(activity.goals)}; link it to the objective it drives "
                          "instead")
        elif not activity.objectives:
            yield finding("activity-without-objective", f"activities[{i}]", f"activity "
                          f"'{activity.key}' drives no objective; link it under objectives")
    if plan.north_star and plan.north_star.owner is None:
        yield finding("owner-missing", "north_star", "the North Star has no owner; name the one "
                      "person who answers for it")
    for i, team in enumerate(plan.teams):
        if not team.managers:
            yield finding("owner-missing", f"teams[{i}]", f"team '{team.key}' has no manager; "
                          "name who follows up for it")
