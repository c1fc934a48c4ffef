"""`okr-bot workspace export TEAM_ID` and `okr-bot workspace purge TEAM_ID`: write out all a
workspace holds (its plan with every measurement as a plan file; check-ins, blockers, the audit
log and every other row as JSON; never a token), and delete it from every table.

A purge is a dry run until `--yes`: it says what it would delete. With `--yes` it first writes
the export (to --export-to, or a new directory named after the team and the time), and only
then deletes, in one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC
from pathlib import Path

from bot import clock
from bot.lifecycle.flows import Purged, WorkspaceExport


def write_export(export: WorkspaceExport, directory: Path) -> list[Path]:
    """The export's files in `directory` (made if missing, refused if not empty), each flushed
    to disk before the next: a purge never starts before its export is whole."""
    from bot.okrs.plans.files import dump_plan

    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty: name a new or empty directory")
    written = []
    contents = {"plan.yml": dump_plan(export.plan)}
    for name, tables in export.files.items():
        contents[name] = json.dumps(tables, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    for name, text in contents.items():
        path = directory / name
        with path.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        written.append(path)
    return written


def _default_directory(team_id: str) -> Path:
    return Path(f"okr-bot-export-{team_id}-{clock.now().astimezone(UTC):%Y%m%dT%H%M%SZ}")


def _counts(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(rows.items())) or "nothing"


def cmd_export(args: argparse.Namespace, database_url: str) -> int:
    from bot.access.policy import Actor
    from bot.db import make_engine, read_only_session_factory
    from bot.lifecycle.flows import export_workspace

    engine = make_engine(database_url)
    try:
        with read_only_session_factory(engine)() as session:
            export = export_workspace(session, args.team_id, Actor.operator())
    finally:
        engine.dispose()
    directory = Path(args.to) if args.to else _default_directory(args.team_id)
    try:
        files = write_export(export, directory)
    except OSError as error:  # FileExistsError among them
        print(f"okr-bot: cannot write the export: {error}", file=sys.stderr)
        return 1
    print(f"Exported workspace {args.team_id} to {directory}/ "
          f"({', '.join(p.name for p in files)}): {_counts(export.row_counts())} rows.")
    return 0


class _NotWritten(Exception):
    """The export could not be written: the purge's transaction is rolled back."""


def cmd_purge(args: argparse.Namespace, database_url: str) -> int:
    from bot.access.policy import Actor
    from bot.db import make_engine, make_session_factory, read_only_session_factory, transaction
    from bot.lifecycle.flows import export_workspace, purge_preview, purge_workspace

    engine = make_engine(database_url)
    directory = Path(args.export_to) if args.export_to else _default_directory(args.team_id)
    try:
        if not args.yes:
            with read_only_session_factory(engine)() as session:
                preview = purge_preview(session, args.team_id, Actor.operator(),
                                        installed_too=args.installed)
            print(f"Would export workspace {args.team_id} to {directory}/ and delete "
                  f"{preview.total} rows ({_counts(preview.rows)}). Nothing was deleted: add "
                  "--yes to do it.")
            return 0
        with transaction(make_session_factory(engine)) as session:
            export = export_workspace(session, args.team_id, Actor.operator())
            try:
                write_export(export, directory)
            except OSError as error:  # FileExistsError among them
                raise _NotWritten(str(error)) from None
            purged: Purged = purge_workspace(session, args.team_id, Actor.operator(),
                                             installed_too=args.installed)
    except _NotWritten as error:
        print(f"okr-bot: cannot write the export, so nothing was deleted: {error}",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Exported workspace {args.team_id} to {directory}/ and deleted it: "
          f"{purged.total} rows ({_counts(purged.rows)}).")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    workspace = sub.add_parser("workspace", help="export or delete everything a workspace holds")
    verbs = workspace.add_subparsers(dest="verb", required=True, metavar="VERB")
    export = verbs.add_parser("export", help="write the plan, its history, check-ins, blockers "
                              "and the audit log to a directory (never a token)")
    export.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id (T…)")
    export.add_argument("--to", metavar="DIR", help="a new or empty directory "
                        "(default: okr-bot-export-TEAM_ID-TIME)")
    export.set_defaults(workspace_run=cmd_export)
    purge = verbs.add_parser("purge", help="export, then delete the workspace from every table "
                             "(a dry run without --yes)")
    purge.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id (T…)")
    purge.add_argument("--yes", action="store_true", help="export and delete, for real")
    purge.add_argument("--export-to", metavar="DIR", help="where the export goes first "
                       "(default: okr-bot-export-TEAM_ID-TIME)")
    purge.add_argument("--installed", action="store_true",
                       help="purge even though okr-bot is still installed there")
    purge.set_defaults(workspace_run=cmd_purge)
    return workspace
