"""`okr-bot api-token create|list|revoke TEAM_ID ...`: a workspace's measurements API tokens.
A new token is printed once; only its hash is kept."""

from __future__ import annotations

import argparse
from datetime import datetime


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}Z" if at else "never"


def run(args: argparse.Namespace, database_url: str) -> int:
    from bot import clock
    from bot.access.policy import Actor
    from bot.api import tokens
    from bot.db import make_engine, make_session_factory
    from bot.okrs import flows

    now = clock.now()
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            workspace = flows.workspace(session, args.team_id)
            if args.api_command == "create":
                made = tokens.create(session, workspace, Actor.operator(), args.name, now=now)
                lines = [f"API token {made.row.id} “{made.row.name}” for {args.team_id}:",
                         f"  {made.secret}",
                         "Keep it now: it is shown this once and cannot be read back."]
            elif args.api_command == "revoke":
                row = tokens.revoke(session, workspace, Actor.operator(), args.token_id,
                                    now=now)
                lines = [f"API token {row.id} “{row.name}” revoked at {_when(row.revoked_at)}; "
                         "requests with it are refused from now on."]
            else:
                rows = tokens.of_workspace(session, workspace)
                lines = [f"{r.id:>4}  {r.prefix}…  {r.name:<24}  created {_when(r.created_at)}"
                         f"  last used {_when(r.last_used_at)}"
                         + (f"  revoked {_when(r.revoked_at)}" if r.revoked_at else "")
                         for r in rows] or [f"No API tokens for {args.team_id}."]
    finally:
        engine.dispose()
    print("\n".join(lines))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    token = sub.add_parser("api-token", help="create, list or revoke a workspace's "
                           "measurements API tokens")
    commands = token.add_subparsers(dest="api_command", required=True, metavar="COMMAND")
    create = commands.add_parser("create", help="make a token (printed once)")
    create.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id")
    create.add_argument("name", metavar="NAME", help="what uses it, e.g. 'warehouse sync'")
    listing = commands.add_parser("list", help="the workspace's tokens, revoked ones too")
    listing.add_argument("team_id", metavar="TEAM_ID")
    revoke = commands.add_parser("revoke", help="refuse a token from now on")
    revoke.add_argument("team_id", metavar="TEAM_ID")
    revoke.add_argument("token_id", metavar="TOKEN_ID", type=int)
    return token
