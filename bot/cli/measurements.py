"""`okr-bot measurements import TEAM_ID FILE.csv`: a file of measurements (metric,value,at,note
with a header row) recorded all or nothing, once per file (docs/api.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Enough to fix a file in one go without scrolling past the top of the terminal.
ERRORS_SHOWN = 50


def run(args: argparse.Namespace, database_url: str) -> int:
    from bot import clock
    from bot.api.imports import import_csv
    from bot.db import make_engine, make_session_factory
    from bot.errors import InvalidFields

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as error:
        print(f"okr-bot: cannot read {path} ({error.strerror or error})", file=sys.stderr)
        return 1
    engine = make_engine(database_url)
    try:
        imported = import_csv(make_session_factory(engine), args.team_id, content,
                              now=clock.now())
    except InvalidFields as error:
        lines = [f"okr-bot: {path} has {len(error.errors)} problem"
                 f"{'s' if len(error.errors) != 1 else ''}; nothing was imported:"]
        lines += [f"  {where}: {what}" for where, what in
                  list(error.errors.items())[:ERRORS_SHOWN]]
        if len(error.errors) > ERRORS_SHOWN:
            lines.append(f"  … and {len(error.errors) - ERRORS_SHOWN} more")
        print("\n".join(lines), file=sys.stderr)
        return error.exit_code
    finally:
        engine.dispose()
    if imported.first_imported_at is not None:
        print(f"{path} was imported already on {imported.first_imported_at:%Y-%m-%d %H:%M} "
              f"UTC ({imported.rows} measurements); nothing changed.")
        return 0
    lines = [f"Imported {imported.rows} measurements from {path}:"]
    lines += [f"  {m['key']}: {m['count']} value{'s' if m['count'] != 1 else ''}, now "
              f"{m['value']:g} ({m['reason']})" for m in imported.answer["metrics"]]
    print("\n".join(lines))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    measurements = sub.add_parser("measurements", help="import measurements from a CSV file")
    commands = measurements.add_subparsers(dest="measurements_command", required=True,
                                           metavar="COMMAND")
    imports = commands.add_parser("import", help="record a CSV file's rows (metric,value,at,"
                                  "note), all or nothing; the same file twice changes nothing")
    imports.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id")
    imports.add_argument("file", metavar="FILE.csv")
    return measurements
