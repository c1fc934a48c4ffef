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
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select, text

from bench.plan_generator import CHUNK, SEED, TEAM_ID, Generated, Say, Size, generate, size
from bot import clock, schema
from bot.db import make_engine, make_session_factory
from bot.okrs.method.enums import Source
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Activity, Measurement, Metric, Objective
from bot.people.models import Workspace
from bot.people.service import bump_data_version

__all__ = ["SEED", "TEAM_ID", "Built", "build", "generate", "size"]


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
            # The app's statement timeout (bot/db.py) is for requests; 2.5 M rows at 10× take
            # longer than it in one COPY.
            driver.execute("SET LOCAL statement_timeout = 0")
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
