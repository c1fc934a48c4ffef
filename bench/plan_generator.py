"""The benchmark's workspace as a plan: one North Star, goals, objectives with key results,
activities, KPIs (some computed by formulas, in small trees) and people in teams, the same for
the same seed, scale and day; and how its measurements are laid out over the last year
(bench/dataset.py inserts them)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

from bot.okrs.method.enums import (
    ActivityStatus,
    BandMode,
    Direction,
    Frequency,
    Indicator,
    Operator,
    Priority,
    Rollup,
    Transform,
    TriggerKind,
)
from bot.okrs.method.kpi_tree import combine
from bot.okrs.plans import plan as p

SEED = 20261122
TEAM_ID = "T0BENCH"
GOALS = 5
KEY_RESULTS_PER_OBJECTIVE = 5
QUARTER_DAYS = 91
YEAR = timedelta(days=365)
CHUNK = 20_000  # measurements per executemany / progress line

Say = Callable[[str], None]

AREAS = ("onboarding", "billing", "search", "mobile", "reporting", "integrations", "support",
         "security", "pricing", "activation", "retention", "performance", "docs", "sales",
         "partners", "data quality", "hiring", "marketing site", "api", "localization")
VERBS = ("Improve", "Grow", "Simplify", "Speed up", "Stabilize", "Expand", "Rebuild", "Launch",
         "Harden", "Automate")
MEASURES = ("conversion", "activation rate", "weekly active users", "tickets per account",
            "p95 latency", "NPS", "churn", "revenue", "time to value", "error rate",
            "adoption", "cycle time", "coverage", "pipeline", "signups")
UNITS = ("%", "users", "s", "$", "tickets", "points", "accounts", "")
FIRST_NAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ines", "Jon",
               "Kofi", "Lena", "Mateo", "Nia", "Omar", "Pia", "Quinn", "Ravi", "Sofia", "Tariq")
ZONES = ("America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London",
         "Europe/Berlin", "Africa/Lagos", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "UTC")


@dataclass(frozen=True)
class Size:
    scale: float
    objectives: int
    kpis: int
    activities: int
    people: int
    teams: int
    measurements: int

    @property
    def key_results(self) -> int:
        return self.objectives * KEY_RESULTS_PER_OBJECTIVE

    def describe(self) -> str:
        return (f"{self.scale:g}×: 1 North Star, {GOALS} goals, {self.objectives:,} objectives, "
                f"{self.key_results:,} key results, {self.kpis:,} KPIs, "
                f"{self.activities:,} activities, {self.people:,} people, "
                f"{self.measurements:,} measurements")


def size(scale: float) -> Size:
    if scale <= 0:
        raise ValueError("scale must be positive")
    return Size(scale=scale, objectives=max(4, round(1000 * scale)),
                kpis=max(20, round(500 * scale)), activities=max(2, round(200 * scale)),
                people=max(10, round(100 * scale)), teams=max(1, round(10 * scale)),
                measurements=round(250_000 * scale))


def _width(count: int) -> int:
    return len(str(max(count - 1, 1)))


def quarter(index: int, today: date) -> tuple[date, date]:
    """Quarter 0 is the current one (today in its middle); 1, 2, 3 are the ones before it."""
    start = today - timedelta(days=45 + QUARTER_DAYS * index)
    return start, start + timedelta(days=QUARTER_DAYS - 1)


@dataclass
class _Series:
    """How one metric's measurements are laid out in time."""

    key: str
    count: int
    start: datetime
    end: datetime
    baseline: float
    target: float
    owner: str


@dataclass
class Generated:
    plan: p.Plan
    objective_keys: list[str]
    series: list[_Series] = field(default_factory=list)


class _Generator:
    def __init__(self, size: Size, today: date, seed: int) -> None:
        self.size = size
        self.today = today
        self.rng = random.Random(f"{seed}:{size.scale}")
        self.series: list[_Series] = []

    # -- helpers ---------------------------------------------------------------------------
    def pick(self, items: tuple | list):
        return items[self.rng.randrange(len(items))]

    def numbers(self, lower_is_better: bool) -> tuple[float, float]:
        baseline = round(self.rng.uniform(10, 1000), 1)
        if lower_is_better:
            return baseline, round(baseline * self.rng.uniform(0.5, 0.9), 1)
        return baseline, round(baseline * self.rng.uniform(1.1, 2.0), 1)

    # -- people ----------------------------------------------------------------------------
    def people(self) -> tuple[list[p.Person], list[p.Team], list[str], list[str]]:
        ids = [f"U0B{n:05d}" for n in range(self.size.people)]
        manager_count = max(1, len(ids) // 10)
        managers = ids[:manager_count]
        people = []
        for n, uid in enumerate(ids):
            boss = None if n == 0 else (ids[0] if n < manager_count else self.pick(managers))
            people.append(p.Person(slack_user_id=uid, name=f"{self.pick(FIRST_NAMES)} {n}",
                                   time_zone=self.pick(ZONES), manager=boss))
        teams = []
        for t in range(self.size.teams):
            members = ids[manager_count:][t::self.size.teams]
            teams.append(p.Team(key=f"team-{t:0{_width(self.size.teams)}d}",
                                name=f"Team {self.pick(AREAS).title()} {t}",
                                channel=f"C0TEAM{t:04d}", members=members,
                                managers=[managers[t % len(managers)]]))
        return people, teams, ids, managers

    # -- the chain -------------------------------------------------------------------------
    def north_star(self, owner: str) -> p.NorthStar:
        baseline, target = 10_000.0, 18_000.0
        start, due = self.today - YEAR, self.today + timedelta(days=90)
        self.add_series("north-star", 8, start, due, baseline, target, owner)
        return p.NorthStar(key="north-star", name="Weekly active teams", owner=owner,
                           unit="teams", baseline=baseline, target=target, start=start, due=due,
                           frequency=Frequency.WEEKLY, review=Frequency.BIWEEKLY,
                           thresholds=p.Thresholds(green=0.95, yellow=0.8, pace=True))

    def goals(self, managers: list[str], teams: list[p.Team]) -> list[p.Goal]:
        goals = []
        start, end = self.today - YEAR, self.today + timedelta(days=90)
        for g in range(GOALS):
            key = f"goal-{g + 1}"
            owner = managers[g % len(managers)]
            baseline, target = self.numbers(lower_is_better=False)
            self.add_series(key, 4, start, end, baseline, target, owner)
            goals.append(p.Goal(
                key=key, name=f"{self.pick(VERBS)} {AREAS[g]} for every customer",
                owner=owner, priority=(Priority.HIGH, Priority.MEDIUM, Priority.LOW)[g % 3],
                start=start, end=end, team=teams[g % len(teams)].key,
                success_criteria=[f"{AREAS[g].title()} reaches its target by the end of the year"],
                metric=p.GoalMetric(name=f"{AREAS[g].title()} {self.pick(MEASURES)}",
                                    unit=self.pick(UNITS), baseline=baseline, target=target,
                                    start=start, due=end, frequency=Frequency.WEEKLY)))
        return goals

    def objectives(self, goals: list[p.Goal], ids: list[str],
                   teams: list[p.Team]) -> list[p.Objective]:
        objectives = []
        width = _width(self.size.objectives)
        for i in range(self.size.objectives):
            key = f"obj-{i:0{width}d}"
            owner = self.pick(ids)
            start, end = quarter(i % 4, self.today)
            results = []
            for j in range(KEY_RESULTS_PER_OBJECTIVE):
                lower = self.rng.random() < 0.2
                baseline, target = self.numbers(lower)
                kr_key = f"kr-{i:0{width}d}-{j + 1}"
                thresholds = (p.Thresholds(mode=BandMode.SHARE_OF_TARGET, green=0.9, yellow=0.7,
                                           pace=True) if self.rng.random() < 0.3 else None)
                measured = self.rng.random() >= 0.1  # one in ten is not measured yet
                if measured:
                    self.add_series(kr_key, 1, datetime.combine(start, day_time(), UTC),
                                    datetime.combine(end, day_time(), UTC), baseline, target,
                                    owner)
                results.append(p.KeyResult(
                    key=kr_key, name=f"{self.pick(MEASURES).capitalize()} {i}.{j + 1}",
                    unit=self.pick(UNITS),
                    direction=Direction.LOWER_IS_BETTER if lower else Direction.HIGHER_IS_BETTER,
                    baseline=baseline, target=target, due=end, frequency=Frequency.WEEKLY,
                    thresholds=thresholds))
            if self.rng.random() < 0.15:  # the last key result guards the second
                results[1] = results[1].model_copy(update={"counter_metrics": [results[4].key]})
            objectives.append(p.Objective(
                key=key, name=f"{self.pick(VERBS)} {self.pick(AREAS)} ({i})",
                goal=goals[i % GOALS].key, owner=owner, start=start, end=end,
                team=self.pick(teams).key,
                rollup=Rollup.AVERAGE if self.rng.random() < 0.1 else Rollup.WORST,
                key_results=results))
        return objectives

    def activities(self, objectives: list[p.Objective], ids: list[str]) -> list[p.Activity]:
        current = [o.key for i, o in enumerate(objectives) if i % 4 == 0]
        everything = [o.key for o in objectives]
        width = _width(self.size.activities)
        statuses = (ActivityStatus.PLANNED, ActivityStatus.IN_PROGRESS, ActivityStatus.IN_PROGRESS,
                    ActivityStatus.IN_PROGRESS, ActivityStatus.DONE, ActivityStatus.BLOCKED)
        out = []
        for a in range(self.size.activities):
            pool = current if self.rng.random() < 0.8 else everything
            drives = sorted(set(self.rng.sample(pool, k=min(len(pool), self.rng.randint(1, 3)))))
            start = self.today - timedelta(days=self.rng.randint(0, 120))
            out.append(p.Activity(
                key=f"act-{a:0{width}d}",
                name=f"{self.pick(VERBS)} the {self.pick(AREAS)} work ({a})",
                owner=self.pick(ids), objectives=drives, status=self.pick(statuses),
                priority=self.pick((Priority.HIGH, Priority.MEDIUM, Priority.LOW)),
                start=start, end=start + timedelta(days=self.rng.randint(14, 90)),
                resources=[p.Resource(kind="person", description="Engineer", weeks=4,
                                      allocation=0.5)] if a % 3 == 0 else []))
        return out

    def kpis(self, objectives: list[p.Objective], activities: list[p.Activity],
             ids: list[str]) -> list[p.Kpi]:
        """Leaves first, then formulas over them: 10 % of KPIs are computed, one in five of
        those from two other computed KPIs (trees two deep)."""
        count = self.size.kpis
        width = _width(count)
        keys = [f"kpi-{k:0{width}d}" for k in range(count)]
        parents = max(5, count // 10)
        tops = max(1, parents // 5)
        # Who feeds whom: top parents take two middle parents; middle parents take 2–3 leaves.
        inputs: dict[int, list[int]] = {}
        for t in range(tops):
            inputs[t] = [tops + 2 * t, tops + 2 * t + 1]
        next_leaf = parents
        for m in range(tops, parents):
            take = self.rng.randint(2, 3)
            inputs[m] = list(range(next_leaf, min(count, next_leaf + take)))
            next_leaf += take
        fed = {child for children in inputs.values() for child in children}
        start, due = self.today - YEAR, self.today + timedelta(days=90)
        made: dict[int, p.Kpi] = {}
        for k in sorted(range(count), key=lambda k: -k):  # children before their parents
            owner = self.pick(ids)
            lower = k not in inputs and self.rng.random() < 0.2
            direction = Direction.LOWER_IS_BETTER if lower else Direction.HIGHER_IS_BETTER
            formula = None
            if k in inputs and all(c in made for c in inputs[k]) and len(inputs[k]) >= 2:
                children = [made[c] for c in inputs[k]]
                operators = ([Operator.SUM, Operator.PRODUCT, Operator.RATIO, Operator.WEIGHTED_SUM]
                             if len(children) == 2 else
                             [Operator.SUM, Operator.PRODUCT, Operator.WEIGHTED_SUM])
                operator = self.pick(operators)
                weights = ([round(1 / len(children), 3)] * len(children)
                           if operator is Operator.WEIGHTED_SUM else [None] * len(children))
                formula = p.Formula(operator=operator, inputs=[
                    p.FormulaInput(metric=c.key, weight=w) for c, w in zip(children, weights,
                                                                          strict=True)])
                baseline = combine(operator, [c.baseline for c in children], weights,
                                   [Transform.IDENTITY] * len(children))
                target = combine(operator, [c.target for c in children], weights,
                                 [Transform.IDENTITY] * len(children))
                baseline, target = round(baseline, 4), round(target, 4)
                if target == baseline:
                    target = baseline + 1
            else:
                baseline, target = self.numbers(lower)
                self.add_series(keys[k], 3, datetime.combine(start, day_time(), UTC),
                                datetime.combine(due, day_time(), UTC), baseline, target, owner)
            measures = p.Measures()
            if k not in fed:  # what hangs under a formula is reached through its parent
                if self.rng.random() < 0.6:
                    measures = p.Measures(activities=[self.pick(activities).key])
                else:
                    measures = p.Measures(objectives=[self.pick(objectives).key])
            triggers = []
            roll = self.rng.random()
            if roll < 0.15:
                triggers = [p.Trigger(when=TriggerKind.ABOVE if lower else TriggerKind.BELOW,
                                      value=baseline, action="Review the funnel with the team")]
            elif roll < 0.2:
                triggers = [p.Trigger(when=TriggerKind.PLATEAU, periods=3,
                                      action="Escalate in the weekly review")]
            made[k] = p.Kpi(
                key=keys[k], name=f"{self.pick(AREAS).capitalize()} {self.pick(MEASURES)} (#{k})",
                owner=owner, unit=self.pick(UNITS), direction=direction, baseline=baseline,
                target=target, start=start, due=due,
                frequency=Frequency.DAILY if self.rng.random() < 0.3 else Frequency.WEEKLY,
                indicator=self.pick((Indicator.LEADING, Indicator.LAGGING)),
                review=Frequency.WEEKLY, measures=measures, formula=formula, triggers=triggers,
                thresholds=(p.Thresholds(mode=BandMode.SHARE_OF_TARGET, green=0.95, yellow=0.8)
                            if self.rng.random() < 0.3 else None))
        standalone = [k for k in range(parents, count) if k not in fed]
        for k in standalone[: len(standalone) // 10]:  # a few counter-metric pairs
            other = standalone[-1 - standalone.index(k)]
            if other != k:
                made[k] = made[k].model_copy(update={"counter_metrics": [keys[other]]})
        return [made[k] for k in range(count)]

    def add_series(self, key: str, weight: int, start: date | datetime, end: date | datetime,
                   baseline: float, target: float, owner: str) -> None:
        def instant(value: date | datetime) -> datetime:
            if isinstance(value, datetime):
                return value
            return datetime.combine(value, day_time(), UTC)

        # `count` holds the weight until measurements are dealt out in `deal`.
        self.series.append(_Series(key, weight, instant(start), instant(end), baseline, target,
                                   owner))

    def deal(self, total: int) -> None:
        """Share `total` measurements among the series by weight, exactly."""
        weights = sum(s.count for s in self.series)
        shares = [s.count * total / weights for s in self.series]
        counts = [math.floor(share) for share in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
        for i in by_remainder[: total - sum(counts)]:
            counts[i] += 1
        for series, count in zip(self.series, counts, strict=True):
            series.count = count

    def run(self) -> Generated:
        people, teams, ids, managers = self.people()
        star = self.north_star(ids[0])
        goals = self.goals(managers, teams)
        objectives = self.objectives(goals, ids, teams)
        activities = self.activities(objectives, ids)
        kpis = self.kpis(objectives, activities, ids)
        self.deal(self.size.measurements)
        plan = p.Plan(workspace=TEAM_ID, people=people, teams=teams, north_star=star,
                      goals=goals, objectives=objectives, activities=activities, kpis=kpis)
        return Generated(plan, [o.key for o in objectives], self.series)


def generate(size: Size, *, today: date, seed: int = SEED) -> Generated:
    """The plan (structure only, no measurements in it) and how its measurements are laid out."""
    return _Generator(size, today, seed).run()

