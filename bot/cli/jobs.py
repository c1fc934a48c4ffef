"""`okr-bot jobs …`: list the periodic jobs with their next run, show when one fires, run one
once as of an instant (to catch up after an outage, or to test)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from itertools import islice
from typing import Any

from bot import clock

EXIT_USAGE = 2
MAX_COUNT = 1000
EXAMPLE_AT = "2026-03-29T00:30:00+00:00"


class UsageError(Exception):
    """The command line names no job or no instant; the message is one line for a person."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    jobs = sub.add_parser("jobs", help="list the periodic jobs, show when one fires, or run one "
                          "once", description=__doc__)
    jobs.add_argument("action", choices=["list", "next", "run"],
                      help="list: every job and its next run; next: NAME's next fire times; "
                      "run: NAME once")
    jobs.add_argument("name", nargs="?", help="the job (see `okr-bot jobs list`)")
    jobs.add_argument("--at", metavar="ISO-TIME",
                      help=f"the instant to read the clock at, with its offset (e.g. {EXAMPLE_AT}"
                      "); default: now")
    jobs.add_argument("--count", default="5", metavar="N",
                      help=f"how many fire times `next` prints (1 to {MAX_COUNT}; default 5)")
    return jobs


def parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or at.utcoffset() is None:
        raise UsageError(f"--at must be an ISO 8601 instant with its offset, e.g. {EXAMPLE_AT} "
                         f"(got {text!r})")
    return at


def parse_count(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise UsageError(f"--count must be a whole number from 1 to {MAX_COUNT} (got {text!r})")
    return int(text)


def cmd_jobs(args: argparse.Namespace, settings: Callable[[], Any]) -> int:
    """Run `okr-bot jobs`; `settings` is called only by `run`, which needs the database."""
    try:
        return _jobs(args, settings)
    except UsageError as error:
        print(f"okr-bot: {error}", file=sys.stderr)
        return EXIT_USAGE


def _jobs(args: argparse.Namespace, settings: Callable[[], Any]) -> int:
    from bot.scheduler import JOBS, fire_times, run_once

    at = parse_at(args.at)
    count = parse_count(args.count)
    if args.action == "list":
        now = at or clock.now()
        for job in JOBS.values():
            fires = next(fire_times(job.trigger(), now), None)
            print(f"{job.name}\tnext {shown(fires)}\t{job.trigger()}\t{job.summary}")
        return 0
    if args.name is None:
        raise UsageError(f"`okr-bot jobs {args.action}` needs a job's name; "
                         "`okr-bot jobs list` shows them")
    if args.name not in JOBS:
        raise UsageError(f"no job named {args.name!r}; `okr-bot jobs list` shows them")
    if args.action == "next":
        for fires in islice(fire_times(JOBS[args.name].trigger(), at or clock.now()), count):
            print(shown(fires))
        return 0
    print(run_once(settings(), args.name, at=at))
    return 0


def shown(instant: datetime | None) -> str:
    # In the trigger's own zone, so a zoned cron trigger shows its offset move across a DST
    # change.
    return instant.isoformat() if instant is not None else "never"
