"""A generated workspace for benchmarks, the same for the same seed, scale and day.

At scale 1: 1 North Star, 5 goals, 1,000 objectives with 5 key results each (5,000), 200
activities, 500 KPIs (50 of them computed by formulas, in small trees of depth 1 and 2), 100
people in 10 teams, and 250,000 measurements spread over the last year. Everything but the goals
scales with `scale`.

The structure goes in through `import_plan`, as `okr-bot plan import` does it; the measurements
are inserted in bulk afterwards (executemany on SQLite, COPY on PostgreSQL), since a plan file
carrying 250,000 measurements is not how they arrive in real life and would take minutes.

By hand: `python -m bench.dataset --url sqlite:///bench.db --scale 0.1`.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

from sqlalchemy import Engine, func, select, text

from bot import clock, schema
from bot.db import make_engine, make_session_factory
from bot.okrs.method.enums import (
    ActivityStatus,
    BandMode,
    Direction,
    Frequency,
    Indicator,
    Operator,
    Priority,
    Rollup,
    Source,
    Transform,
    TriggerKind,
)
from bot.okrs.method.kpi_tree import combine
from bot.okrs.plans import plan as p
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Activity, Measurement, Metric, Objective
from bot.people.models import Workspace
from bot.people.service import bump_data_version

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


def measurement_rows(generated: Generated, metric_ids: dict[str, int], *, now: datetime,
                     seed: int = SEED) -> Iterator[tuple]:
    """(metric_id, value, measured_at, source, author, note, created_at) for every measurement:
    evenly spaced with jitter between each series' start and now (or its end), one in ten
    series stopping a month early so it reads stale, values walking from baseline towards
    target at a pace of their own (some on track, some behind, a few going backwards)."""
    rng = random.Random(f"{seed}:measurements")
    sources = (Source.CHECKIN,) * 7 + (Source.SLACK,) * 2 + (Source.API,)
    for series in generated.series:
        if series.count == 0:
            continue
        end = min(series.end, now - timedelta(minutes=5))
        if rng.random() < 0.1:
            end -= timedelta(days=30)
        span = max((end - series.start).total_seconds(), 3600.0)
        step = span / series.count
        pace = rng.uniform(-0.2, 1.2)
        gap = series.target - series.baseline
        metric_id = metric_ids[series.key]
        for n in range(series.count):
            at = series.start + timedelta(seconds=step * (n + rng.uniform(0.05, 0.95)))
            progress = (n + 1) / series.count
            value = series.baseline + gap * progress * pace + gap * rng.gauss(0, 0.05)
            source = sources[rng.randrange(len(sources))]
            author = None if source is Source.API else series.owner
            note = f"weekly note {n}" if rng.random() < 0.05 else None
            yield (metric_id, round(value, 3), at, source, author, note, at)


COLUMNS = ("metric_id", "value", "measured_at", "source", "author", "note", "created_at")
COPY_SQL = ("COPY measurements (metric_id, value, measured_at, source, author, note, created_at) "
            "FROM STDIN")
INSERT_SQL = ("INSERT INTO measurements (metric_id, value, measured_at, source, author, note, "
              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")


def insert_measurements(engine: Engine, rows: Iterator[tuple], *, total: int, say: Say) -> int:
    """Bulk insert: COPY on PostgreSQL, driver executemany in chunks on SQLite. One transaction."""
    written = 0
    started = time.perf_counter()

    def progress() -> None:
        rate = written / max(time.perf_counter() - started, 1e-9)
        say(f"  measurements {written:,}/{total:,} ({rate:,.0f}/s)")

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            driver = connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(
                    COPY_SQL) as copy:
                for row in rows:
                    copy.write_row((*row[:3], row[3].value, *row[4:]))
                    written += 1
                    if written % (CHUNK * 10) == 0:
                        progress()
        else:
            # The dialect's own bind processors (UTC datetimes as SQLite text, enums as their
            # values), so rows are stored exactly as the ORM would store them, without building
            # a dict per row.
            table = Measurement.__table__
            dialect = engine.dialect
            instant = table.c.measured_at.type.dialect_impl(dialect).bind_processor(dialect)
            number = table.c.value.type.dialect_impl(dialect).bind_processor(dialect)
            assert instant is not None
            chunk: list[tuple] = []
            for metric_id, value, at, source, author, note, created_at in rows:
                stamp = instant(at)
                chunk.append((metric_id, number(value) if number else value, stamp, source.value,
                              author, note, stamp if created_at == at else instant(created_at)))
                if len(chunk) == CHUNK:
                    connection.exec_driver_sql(INSERT_SQL, chunk)
                    written += len(chunk)
                    chunk = []
                    if written % (CHUNK * 10) == 0:
                        progress()
            if chunk:
                connection.exec_driver_sql(INSERT_SQL, chunk)
                written += len(chunk)
    return written


@dataclass
class Built:
    url: str
    size: Size
    objective_keys: list[str]
    timings: dict[str, float]
    rows: dict[str, int]


def build(url: str, scale: float, *, today: date | None = None, seed: int = SEED,
          say: Say = print) -> Built:
    """Migrate the (empty) database at `url` and fill it with the workspace at `scale`."""
    timings: dict[str, float] = {}
    the_size = size(scale)
    now = clock.now()
    today = today or now.date()
    say(f"dataset {the_size.describe()}")

    started = time.perf_counter()
    schema.upgrade(url)
    timings["migrate"] = time.perf_counter() - started

    started = time.perf_counter()
    generated = generate(the_size, today=today, seed=seed)
    timings["generate"] = time.perf_counter() - started
    say(f"  generated the plan in {timings['generate']:.1f} s")

    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with make_session_factory(engine).begin() as session:
            report = import_plan(db_session=session, plan=generated.plan)
        timings["import"] = time.perf_counter() - started
        say(f"  imported the structure with import_plan in {timings['import']:.1f} s "
            f"({len(report.created):,} rows created)")

        with engine.connect() as connection:
            metric_ids = dict(connection.execute(
                select(Metric.key, Metric.id).join(Workspace)
                .where(Workspace.slack_team_id == TEAM_ID)).all())
        started = time.perf_counter()
        written = insert_measurements(
            engine, measurement_rows(generated, metric_ids, now=now, seed=seed),
            total=the_size.measurements, say=say)
        with make_session_factory(engine).begin() as session:
            workspace = session.scalar(select(Workspace).where(Workspace.slack_team_id == TEAM_ID))
            assert workspace is not None
            bump_data_version(db_session=session, workspace_id=workspace.id)
        timings["measurements"] = time.perf_counter() - started
        say(f"  inserted {written:,} measurements in {timings['measurements']:.1f} s")

        if engine.dialect.name == "postgresql":
            # What autovacuum would do within a minute of a bulk load; done now so the plans
            # the benchmark sees do not depend on when autovacuum wakes.
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            timings["analyze"] = time.perf_counter() - started
        with engine.connect() as connection:
            rows = {model.__tablename__: connection.execute(
                select(func.count()).select_from(model)).scalar_one()
                for model in (Objective, Metric, Activity, Measurement)}
    finally:
        engine.dispose()
    return Built(url, the_size, generated.objective_keys, timings, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="an empty database, e.g. sqlite:///b.db")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    built = build(args.url, args.scale, seed=args.seed)
    print(", ".join(f"{table} {count:,}" for table, count in built.rows.items()))


if __name__ == "__main__":
    main()
