"""`okr-bot plan …`: import, export, lint a plan file, and print its JSON Schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.okrs.plans.files import LoadedPlan, dump_plan, json_schema, load_plan
from bot.okrs.plans.lint import Finding, Severity

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def print_findings(findings: Iterable[Finding], *, out=sys.stdout) -> None:
    findings = list(findings)
    for severity in SEVERITY_ORDER:
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        print(f"{severity.value}s ({len(group)}):", file=out)
        for finding in group:
            print(f"  {finding.path}: {finding.message} [{finding.rule}]", file=out)


def _report_invalid(path: str, loaded: LoadedPlan) -> int:
    """Print why a plan cannot be used, to stderr; 1 if it cannot, else 0."""
    if loaded.errors:
        print(f"{path}: {len(loaded.errors)} error(s); nothing was written", file=sys.stderr)
        for error in loaded.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    if not loaded.ok:
        print(f"{path}: the plan has lint errors; nothing was written", file=sys.stderr)
        print_findings([f for f in loaded.findings if f.severity is Severity.ERROR],
                       out=sys.stderr)
        return 1
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    if args.rules:
        from bot.okrs.plans.lint import RULES

        for rule_id, rule in RULES.items():
            print(f"{rule_id:28} {rule.severity.value:8} {rule.description}")
        return 0
    if args.file is None:
        print("okr-bot: plan lint needs a FILE (or --rules)", file=sys.stderr)
        return 2
    loaded = load_plan(args.file)
    if loaded.errors:
        return _report_invalid(args.file, loaded)
    print_findings(loaded.findings)
    errors = sum(f.severity is Severity.ERROR for f in loaded.findings)
    warnings = sum(f.severity is Severity.WARNING for f in loaded.findings)
    print(f"{args.file}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_import(args: argparse.Namespace, database_url: str,
               prepare: Callable[[str], None] | None = None) -> int:
    from bot.db import make_engine, make_session_factory
    from bot.okrs.store.importer import import_plan

    loaded = load_plan(args.file)
    if _report_invalid(args.file, loaded) or loaded.plan is None:
        return 1
    if prepare is not None:
        prepare(database_url)  # migrate: a first import on a fresh database just works
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:  # closing rolls back on error
            report = import_plan(db_session=session, plan=loaded.plan)
            if args.dry_run:
                session.rollback()  # the same code path as a real import, then undone
            else:
                session.commit()
    finally:
        engine.dispose()
    for line in report.lines():
        print(line)
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def cmd_export(args: argparse.Namespace, database_url: str) -> int:
    from bot.db import make_engine, read_only_session_factory
    from bot.okrs.store.exporter import export_plan

    engine = make_engine(database_url)
    try:
        # Read-only: on SQLite a long export never holds the running server's writes up.
        # An unknown workspace (NoSuchWorkspace) is reported by cli.cmd_plan.
        with read_only_session_factory(engine)() as session:
            plan = export_plan(db_session=session, slack_team_id=args.workspace)
    finally:
        engine.dispose()
    text = dump_plan(plan)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


@contextmanager
def reading(database_url: str, workspace: str | None) -> Iterator[Any]:
    """What the OKR flows read (bot.okrs.flows.Reading) for one CLI command, read-only: on
    SQLite a long read never holds the running server's writes up."""
    from bot import clock
    from bot.db import make_engine, read_only_session_factory
    from bot.okrs import flows
    from bot.okrs.store.cache import ChainCache

    engine = make_engine(database_url)
    try:
        with read_only_session_factory(engine)() as session:
            yield flows.Reading(session, ChainCache(), flows.workspace(session, workspace),
                                clock.now())
    finally:
        engine.dispose()


def cmd_chain(args: argparse.Namespace, database_url: str) -> int:
    from bot.cli.text import tree_lines, upward_lines
    from bot.okrs import flows

    with reading(database_url, args.workspace) as read:
        view = flows.chain_from(read, args.node or "")
        lines = upward_lines(read.chain, view.subtree) + tree_lines(view.subtree, view.broken)
    print("\n".join(lines))
    return 0


def cmd_why(args: argparse.Namespace, database_url: str) -> int:
    from bot.cli.text import diagnosis_lines
    from bot.okrs import flows

    with reading(database_url, args.workspace) as read:
        diagnosis = flows.why(read, args.node or "")
        lines = diagnosis_lines(diagnosis.steps, diagnosis.warnings)
    print("\n".join(lines))
    return 0


def cmd_propose(args: argparse.Namespace, database_url: str) -> int:
    """The objectives the method calls for (a KPI in yellow or red that no current objective
    works on), each with a plan-file snippet to edit and import."""
    from bot.okrs import flows
    from bot.okrs.plans.proposals import snippet

    with reading(database_url, args.workspace) as read:
        called_for = flows.objectives_called_for(read)
    if not called_for:
        print("No KPI in yellow or red is without an objective working on it: nothing to "
              "propose.")
        return 0
    for proposal in called_for:
        print(proposal.summary)
        text = snippet(proposal)
        print(text if text else "  (the plan has no goal to put an objective under: add one "
              "first)\n")
    return 0


def cmd_measure(args: argparse.Namespace, database_url: str) -> int:
    """Record one measurement of a key result or KPI (source: api), e.g. from a script: the
    flow `/okr update` uses, as an operator (who may update anything)."""
    from datetime import datetime

    from bot import clock
    from bot.db import make_engine, make_session_factory
    from bot.okrs import flows, value_flows
    from bot.okrs.method.enums import Source

    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            print(f"okr-bot: --at {args.at!r} needs a date, time and zone, "
                  "e.g. 2026-05-04T09:00:00+00:00", file=sys.stderr)
            return 1
    now = clock.now()
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            recorded = value_flows.update_metric(
                session, flows.workspace(session, args.workspace), flows.Actor.operator(),
                typed=args.key, value_text=args.value, now=now, at=at,
                note=args.note, source=Source.API)
    finally:
        engine.dispose()
    lines = [f"{recorded.metric.key} = {recorded.new_value:g} at {(at or now).isoformat()}",
             f"  {recorded.health.reason}"]
    lines += [f"  trigger: {f.rule.action} ({f.reason})" for f in recorded.fired]
    print("\n".join(lines))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json_schema())
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    plan = sub.add_parser("plan", help="import, export or lint a plan file (YAML)")
    actions = plan.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    do_import = actions.add_parser("import", help="upsert a plan file into the database by key")
    do_import.add_argument("file")
    do_import.add_argument("--dry-run", action="store_true",
                           help="print what would change, write nothing")
    do_export = actions.add_parser("export", help="print the plan in the database as YAML")
    do_export.add_argument("--workspace", help="Slack team id (default: the only workspace)")
    do_export.add_argument("-o", "--output", help="write to this file instead of stdout")
    do_lint = actions.add_parser("lint", help="check a plan file against the method")
    do_lint.add_argument("file", nargs="?")
    do_lint.add_argument("--rules", action="store_true", help="list every rule and stop")
    actions.add_parser("schema", help="print the plan format's JSON Schema")
    chain = actions.add_parser("chain", help="the causal chain with health at every node")
    chain.add_argument("node", nargs="?", help="start at this key (default: the North Star)")
    chain.add_argument("--workspace", help="Slack team id (default: the only workspace)")
    why = actions.add_parser("why", help="diagnose top-down: which goal, objective, activity "
                             "or KPI explains the North Star")
    why.add_argument("node", nargs="?", help="start at this key (default: the North Star)")
    why.add_argument("--workspace", help="Slack team id (default: the only workspace)")
    propose = actions.add_parser("propose", help="the objectives the method calls for: one "
                                 "for each yellow or red KPI no current objective works on")
    propose.add_argument("--workspace", help="Slack team id (default: the only workspace)")
    return plan


def add_measure_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    measure = sub.add_parser("measure", help="record a value for a key result or KPI")
    measure.add_argument("key", help="the key result's or KPI's key")
    measure.add_argument("value", help="the new value, e.g. 12.5")
    measure.add_argument("--at", help="when it was measured (ISO 8601 with zone; default now)")
    measure.add_argument("--note")
    measure.add_argument("--workspace", help="Slack team id, when there are several")
    return measure
