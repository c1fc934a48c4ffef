"""How fast measurements go in: `okr-bot measurements import` of a 10,000-row CSV file, and a
1,000-measurement API batch, on SQLite and PostgreSQL.

    python -m bench.measurements_import [--backend sqlite|postgresql|both] [--rows 10000]

A fresh database per backend holds the AI example plan. The file spreads its rows over the
plan's key results and KPIs, an hour apart; the import goes through the flow the CLI runs
(bot/api/imports.py: every row checked, then one transaction). Then one API body of 1,000
measurements through the POST flow (bot/api/flows.py, without HTTP). Prints rows per second
and the statements each sent.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select

from bench.backends import on_each_backend
from bot import schema
from bot.access.policy import Actor
from bot.api import flows as api_flows
from bot.api import tokens
from bot.api.imports import import_csv
from bot.db import make_engine, make_session_factory
from bot.okrs import flows
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Metric
from tests.conftest import TEAM_ID

PLAN = Path(__file__).resolve().parents[1] / "examples" / "ai-feature-launch.yml"


def _rows(keys: list[str], rows: int, start: datetime) -> list[dict]:
    return [{"metric": keys[i % len(keys)], "value": f"{5 + i % 9}",
             "at": (start + timedelta(hours=i)).isoformat(), "note": f"row {i}"}
            for i in range(rows)]


def run(url: str, rows: int) -> list[str]:
    schema.upgrade(url)
    engine = make_engine(url)
    statements = {"n": 0}
    event.listen(engine, "before_cursor_execute",
                 lambda *_args: statements.__setitem__("n", statements["n"] + 1))
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with factory.begin() as session:
        import_plan(db_session=session,
                    plan=load_plan(PLAN).plan.model_copy(update={"workspace": TEAM_ID}))
    with factory.begin() as session:
        # Percentages and counts alike take 5 to 13: every weekly metric of the plan.
        keys = sorted(session.scalars(select(Metric.key).where(Metric.unit.in_(
            ("%", "per 100", "users", "sessions"))))) or ["onboarding-tickets"]
        workspace = flows.workspace(session, TEAM_ID)
        secret = tokens.create(session, workspace, Actor.operator(), "bench", now=now).secret
    lines = [f"  {len(keys)} metrics"]

    body = _rows(keys, rows, now - timedelta(hours=rows + 2000))
    csv = "metric,value,at,note\n" + "\n".join(
        f"{r['metric']},{r['value']},{r['at']},{r['note']}" for r in body) + "\n"
    statements["n"] = 0
    started = time.perf_counter()
    imported = import_csv(factory, TEAM_ID, csv.encode(), now=now)
    seconds = time.perf_counter() - started
    lines.append(f"  CSV import, {imported.rows:,} rows: {seconds:6.2f} s, "
                 f"{imported.rows / seconds:8,.0f} rows/s, {statements['n']:,} statements")

    statements["n"] = 0
    started = time.perf_counter()
    again = import_csv(factory, TEAM_ID, csv.encode(), now=now)
    seconds = time.perf_counter() - started
    assert again.first_imported_at is not None
    lines.append(f"  the same file again (nothing written): {seconds * 1000:6.1f} ms")

    batch = json.dumps({"measurements": _rows(keys, 1000, now - timedelta(hours=1500))})
    statements["n"] = 0
    started = time.perf_counter()
    answer = api_flows.post_measurements(factory, token=secret, raw=batch.encode(),
                                         idempotency_key="bench", now=now)
    seconds = time.perf_counter() - started
    assert answer.status_code == 201, answer.body
    lines.append(f"  API batch, 1,000 measurements: {seconds * 1000:6.0f} ms, "
                 f"{1000 / seconds:8,.0f} rows/s, {statements['n']:,} statements")
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    on_each_backend(args.backend, "import", lambda url: run(url, args.rows))

if __name__ == "__main__":
    main()
