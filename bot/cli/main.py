"""The `okr-bot` command line: serve, worker, migrate, plan, measure, jobs, outbox, version."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from sqlalchemy.exc import OperationalError

from bot import __version__
from bot.config import Settings, SettingsError, StartupError, load_settings
from bot.errors import DomainError
from bot.logs import configure_logging

EXIT_CONFIG = 2


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level, settings.secrets(), settings.log_format)
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.process.roles import Role
    from bot.serve import serve

    settings = _settings()
    # By default only SQLite (one host, a small install) is migrated at start; PostgreSQL is
    # migrated as its own step, `okr-bot migrate` (docs/deploy.md).
    migrate = (args.migrate if args.migrate is not None
               else settings.database_url.startswith("sqlite"))
    serve(settings, role=Role(args.role), migrate=migrate)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot import schema
    from bot.db import make_engine

    settings = _settings()
    if args.revision == "base" or args.downgrade:
        schema.downgrade(settings.database_url, args.revision)
    else:
        schema.upgrade(settings.database_url, args.revision)
    # What the database is at, read back from it: `migrate <rev>` may name a relative target.
    engine = make_engine(settings.database_url)
    try:
        now_at = schema.current_revision(engine) or "base (empty)"
    finally:
        engine.dispose()
    print(f"database at revision {now_at} ({schema.head_revision()} is head)")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from bot.cli import jobs as jobs_cli

    return jobs_cli.cmd_jobs(args, _settings)


def cmd_plan(args: argparse.Namespace) -> int:
    from bot.cli import plan as plan_cli

    if args.plan_command == "lint":
        return plan_cli.cmd_lint(args)
    if args.plan_command == "schema":
        return plan_cli.cmd_schema(args)
    database_url = _settings().database_url
    if args.plan_command == "import":
        # The file is checked before anything (the schema included) is written.
        return plan_cli.cmd_import(args, database_url, prepare=_quiet_upgrade)
    if args.plan_command == "chain":
        return plan_cli.cmd_chain(args, database_url)
    if args.plan_command == "why":
        return plan_cli.cmd_why(args, database_url)
    if args.plan_command == "propose":
        return plan_cli.cmd_propose(args, database_url)
    return plan_cli.cmd_export(args, database_url)


def cmd_measure(args: argparse.Namespace) -> int:
    from bot.cli import plan as plan_cli

    database_url = _settings().database_url
    _quiet_upgrade(database_url)
    return plan_cli.cmd_measure(args, database_url)


def _quiet_upgrade(database_url: str) -> None:
    """Migrate before a command that needs the schema, without Alembic's chatter."""
    import logging

    from bot import schema

    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(logging.WARNING)
    try:
        schema.upgrade(database_url)
    finally:
        alembic.setLevel(level)


def _on_database(module: str) -> Callable[[argparse.Namespace], int]:
    """A command of `bot.cli.<module>`: its `run(args, database_url)`, once the settings are
    read and the schema brought up quietly."""

    def command(args: argparse.Namespace) -> int:
        database_url = _settings().database_url
        _quiet_upgrade(database_url)
        return import_module(f"bot.cli.{module}").run(args, database_url)

    return command


def cmd_workspace(args: argparse.Namespace) -> int:
    settings = _settings()
    _quiet_upgrade(settings.database_url)
    return args.workspace_run(args, settings.database_url)


def cmd_keys(args: argparse.Namespace) -> int:
    from bot.cli import keys

    if args.keys_command == "new":
        return keys.cmd_new()
    settings = _settings()
    _quiet_upgrade(settings.database_url)
    return keys.cmd_rotate(settings)


def cmd_version(_args: argparse.Namespace) -> int:
    print(f"okr-bot {__version__}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="okr-bot", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve Slack (HTTP, or Socket Mode when "
                           "SLACK_APP_TOKEN is set) and, with --role all, run the worker too")
    serve.add_argument("--role", choices=("all", "web", "worker"), default="all",
                       help="all (default): Slack, the scheduler and the outbox sender in one "
                       "process; web: Slack only (run `okr-bot worker` beside it); worker: "
                       "the scheduler and the sender only")
    worker = sub.add_parser("worker", help="run the scheduler and the outbox sender, without "
                            "Slack's endpoint (health and metrics are still served on PORT)")
    worker.set_defaults(role="worker")
    for command in (serve, worker):
        command.add_argument("--migrate", action=argparse.BooleanOptionalAction, default=None,
                             help="bring a schema that is behind up to date before starting "
                             "(default: on SQLite only; on PostgreSQL run `okr-bot migrate`)")
        command.set_defaults(run=cmd_serve)
    migrate = sub.add_parser("migrate", help="bring the database schema to the newest revision")
    migrate.add_argument("revision", nargs="?", default="head",
                         help="target revision (default: head; 'base' removes every table)")
    migrate.add_argument("--downgrade", action="store_true",
                         help="move down to REVISION instead of up")
    migrate.set_defaults(run=cmd_migrate)
    from bot.cli import jobs as jobs_cli
    from bot.cli import plan as plan_cli

    jobs_cli.add_parser(sub).set_defaults(run=cmd_jobs)

    plan_cli.add_parser(sub).set_defaults(run=cmd_plan)
    plan_cli.add_measure_parser(sub).set_defaults(run=cmd_measure)
    from bot.cli import outbox

    outbox.add_parser(sub).set_defaults(run=_on_database("outbox"))
    from bot.cli import summary

    summary.add_parser(sub).set_defaults(run=_on_database("summary"))
    from bot.cli import audit

    audit.add_parser(sub).set_defaults(run=_on_database("audit"))
    from bot.cli import workspace

    workspace.add_parser(sub).set_defaults(run=cmd_workspace)
    from bot.cli import keys

    keys.add_parser(sub).set_defaults(run=cmd_keys)
    from bot.cli import api_tokens, measurements

    api_tokens.add_parser(sub).set_defaults(run=_on_database("api_tokens"))
    measurements.add_parser(sub).set_defaults(run=_on_database("measurements"))
    sub.add_parser("version", help="print the version").set_defaults(run=cmd_version)
    return top


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else "no detail"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:
        print(f"okr-bot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except DomainError as error:  # what a flow refused: the person can put it right
        print(f"okr-bot: {error.message}", file=sys.stderr)
        return error.exit_code
    except StartupError as error:
        print(f"okr-bot: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        print(f"okr-bot: cannot use the database ({_first_line(error.orig)}); check DATABASE_URL "
              "and that the server is running", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `okr-bot plan chain | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
