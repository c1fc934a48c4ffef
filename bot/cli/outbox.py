"""`okr-bot outbox list` and `okr-bot outbox retry`: see and resend what Slack refused."""

from __future__ import annotations

import argparse

from bot import clock
from bot.db import make_engine, make_session_factory
from bot.outbox.admin import STATUSES, MessageLine, list_messages, retry


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    outbox = sub.add_parser("outbox", help="list the messages waiting for Slack, sent or "
                            "failed, and queue failed ones again")
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the newest messages first, with their state")
    listing.add_argument("--status", choices=STATUSES, help="only messages in this state")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    again = actions.add_parser("retry", help="queue a failed message (or all) to send again")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the message's id, from `outbox list`")
    which.add_argument("--all-failed", action="store_true", help="every failed message")
    return outbox


def run(args: argparse.Namespace, database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        session_factory = make_session_factory(engine)
        if args.outbox_command == "list":
            lines = list_messages(session_factory, status=args.status, limit=args.limit)
            for line in lines:
                print(_line(line))
            if not lines:
                print("no messages" + (f" {args.status}" if args.status else ""))
            return 0
        queued = retry(session_factory, message_id=args.id, all_failed=args.all_failed,
                       now=clock.now())
        print(f"queued {len(queued)} message(s) again" +
              (f": {', '.join(map(str, queued))}" if queued else "") +
              ("; `okr-bot jobs run send-outbox` sends them now" if queued else ""))
        return 0
    finally:
        engine.dispose()


def _line(line: MessageLine) -> str:
    when = f"next {line.next_attempt_at.isoformat(timespec='seconds')}"
    if line.sent_at is not None:
        when = f"sent {line.sent_at.isoformat(timespec='seconds')} ts {line.ts}"
    elif line.status == "failed":
        when = "kept until retried"
    error = f"\t{line.last_error}" if line.last_error else ""
    return (f"{line.id}\t{line.status}\t{line.team_id}\t{line.kind}\t{line.recipient}\t"
            f"attempts {line.attempts}\t{when}{error}")
