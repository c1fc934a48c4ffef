"""`okr-bot audit TEAM_ID [--since ISO-TIME]`: who changed what in a workspace, oldest first,
one line each (values, undos, blockers, confidence, plan imports and role changes)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# A date alone (2026-12-01) is read as midnight UTC: what people type to see "since Monday".
DATE_ONLY = 10


def _shown(values: dict[str, Any] | None) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else "-"


def event_line(event: Any) -> str:
    return (f"{event.at:%Y-%m-%dT%H:%M:%SZ}  {event.actor:<12}  {event.action:<20}  "
            f"{event.subject_kind} {event.subject_key}  {_shown(event.before)} -> "
            f"{_shown(event.after)}")


def run(args: argparse.Namespace, database_url: str) -> int:
    from datetime import UTC, datetime

    from bot.audit.service import events_of_team
    from bot.cli.jobs import EXIT_USAGE, UsageError, parse_at
    from bot.db import make_engine, read_only_session_factory

    try:
        since = args.since and (
            datetime.fromisoformat(args.since).replace(tzinfo=UTC)
            if len(args.since.strip()) == DATE_ONLY else parse_at(args.since))
    except (UsageError, ValueError):
        print(f"okr-bot: --since must be a date (2026-12-01) or an ISO 8601 instant with its "
              f"offset (2026-12-01T09:00:00+00:00), not {args.since!r}", file=sys.stderr)
        return EXIT_USAGE
    engine = make_engine(database_url)
    try:
        with read_only_session_factory(engine)() as session:
            lines = [event_line(e) for e in events_of_team(session, args.team_id,
                                                           since=since or None)]
    finally:
        engine.dispose()
    print("\n".join(lines) if lines else f"No changes recorded for {args.team_id}"
          + (f" since {args.since}." if args.since else "."))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    audit = sub.add_parser("audit", help="who changed what in a workspace: values, undos, "
                           "blockers, plan imports, role changes")
    audit.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id")
    audit.add_argument("--since", help="from this date or instant on (ISO 8601)")
    return audit
