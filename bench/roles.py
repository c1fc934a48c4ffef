"""What deciding a permission costs, by the role that decides it, and what the audit row adds
to recording a value, on SQLite and PostgreSQL.

    python -m bench.roles [--backend sqlite|postgresql|both] [--calls 2000]

A fresh database per backend holds the AI example plan as the role matrix's tests have it
(tests/access/matrix.py: a CEO above Lars above Maya above Priya, a team manager, a Slack admin
and a plan admin). Then, each `--calls` times in one session, `require(update a value)` on
Priya's KPI for: its owner (no query), a direct manager, an indirect manager, an admin and a
stranger (refused); then `update_metric` by the owner, each in its own transaction with its
audit row, the audit row's insert timed apart. Prints, per backend, the median and p95
microseconds per call and the statements each sends.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from bench.backends import on_each_backend
from bench.micro import line
from bench.micro import timed as timed_calls
from bot import schema
from bot.access.policy import Action, Actor
from bot.access.roles import require
from bot.db import make_engine, make_session_factory
from bot.errors import NotAllowed
from bot.okrs import flows, value_flows
from tests.access import matrix
from tests.conftest import TEAM_ID

ROLES = {"owner": matrix.PRIYA, "direct manager": matrix.MAYA, "indirect manager": matrix.CEO,
         "slack admin": matrix.SLACK_ADMIN, "plan admin": matrix.PLAN_ADMIN,
         "stranger (refused)": matrix.STRANGER}


def run(url: str, calls: int) -> list[str]:
    schema.upgrade(url)
    engine = make_engine(url)
    counted: dict = {"n": 0, "audit": 0, "audit_us": []}

    def count(conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        counted["n"] += 1
        conn.info["bench_at"] = time.perf_counter()

    def timed(conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "audit_events" in statement:
            counted["audit"] += 1
            counted["audit_us"].append((time.perf_counter() - conn.info["bench_at"]) * 1e6)

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "after_cursor_execute", timed)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        matrix.prepare(session)
    lines = []
    with factory() as session:
        workspace = flows.workspace(session, TEAM_ID)
        item = value_flows.metric_item(value_flows.find_metric(session, workspace.id, matrix.KPI))
        for name, uid in ROLES.items():
            def decide(uid: str = uid) -> None:
                with contextlib.suppress(NotAllowed):
                    require(session, workspace.id, Action.UPDATE_VALUE, Actor(uid), item)
            counted["n"] = 0
            micros = timed_calls(calls, lambda _n: decide())
            lines.append(line(f"require: {name}", micros, counted["n"] / calls))
    start = datetime(2026, 12, 3, 9, tzinfo=UTC)
    step = iter(range(10 ** 9))

    def update() -> None:
        with factory.begin() as session:
            at = start + timedelta(seconds=next(step))
            value_flows.update_metric(session, flows.workspace(session, TEAM_ID),
                                Actor(matrix.PRIYA), typed=matrix.KPI, value_text="5.5",
                                now=at, at=at)
    counted.update(n=0, audit=0, audit_us=[])
    updates = calls // 4
    micros = timed_calls(updates, lambda _n: update())
    lines.append(line("update_metric by the owner", micros, counted["n"] / updates))
    lines.append(f"  of which the audit row: {counted['audit'] / updates:.1f} insert, median "
                 f"{statistics.median(counted['audit_us']):.1f} µs to execute")
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    on_each_backend(args.backend, "roles", lambda url: run(url, args.calls))

if __name__ == "__main__":
    main()
