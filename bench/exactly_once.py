"""Exactly once across real `okr-bot serve` processes on PostgreSQL: many people due in one
minute, the fake Slack enforcing a message rate; one process killed with SIGKILL part way and
started again, or two processes side by side. Prints delivery time, duplicates and losses
(both must be 0), 429s, and the serve processes' CPU time per DM.

    python -m bench.exactly_once [--people 2000] [--rate 100] [--speed 20]
                                 [--kill-at 0.25] [--serves 1] [--budget F] [--preopen]

`--kill-at F` kills the (single) process once F of the DMs are in Slack (0: no kill);
`--serves 2` runs two processes and kills none. The processes run on a driven clock
(`--speed` times real time) so the check-in job and a dead worker's lease take seconds; the
pacing figures are then not Slack's. For pacing, `--speed 1 --budget 0.95` gives the
processes a budget (OUTBOX_MESSAGES_PER_MINUTE) of 0.95 × the fake's rate on the real clock,
and `--preopen` stores every DM channel first (every week after the first, or a first week
after `open-dm-channels`), so the figures are the sender's at that rate:

    python -m bench.exactly_once --people 10000 --rate 100 --speed 1 --serves 2 \
                                 --budget 0.95 --preopen --kill-at 0

The harness is tests/checkins/serving.py, the one the acceptance test uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from bot.db import make_engine, make_session_factory
from bot.logs import configure_logging
from bot.outbox.models import DirectMessageChannel
from tests.checkins.serving import (
    CHECKIN_TEXT,
    DUE,
    Bots,
    checkin_posts,
    outbox_statuses,
    people,
    prepare,
    sent_by,
)
from tests.cli.test_main import Serving
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack
from tests.support.postgres import PostgresServer, find_bin_dir


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


class PacedBots(Bots):
    """The harness's processes, with a budget of their own when given one instead of the
    harness's (above Slack's rate, so that 429s are in play)."""

    def __init__(self, *args: Any, messages_per_minute: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages_per_minute = messages_per_minute

    def start(self, clock_start: datetime) -> Serving:
        if self.messages_per_minute is None:
            return super().start(clock_start)
        serving = Serving(self.cwd, {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.base_url, "DATABASE_URL": self.database_url,
            "PORT": "0", "OKR_BOT_ENV": "test", "OKR_BOT_CLOCK_START": clock_start.isoformat(),
            "OKR_BOT_CLOCK_SPEED": str(self.speed),
            "OUTBOX_MESSAGES_PER_MINUTE": str(self.messages_per_minute)})
        self.running.append(serving)
        return serving


def preopen(database_url: str, count: int, slack: FakeSlack) -> None:
    """Every person's DM channel stored, as conversations.open gave it."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            session.add_all(DirectMessageChannel(team_id=TEAM_ID, user_id=user,
                                                 channel_id=slack.dm_channel(user),
                                                 opened_at=DUE - timedelta(days=1))
                            for user in people(count))
    finally:
        engine.dispose()


def real_instant_of(instant: datetime, url: str, speed: float) -> float:
    """The real time (time.time()) at which a serve process's app clock shows `instant`."""
    asked = time.time()
    with urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310 (a local process)
        app_now = datetime.fromisoformat(json.loads(answer.read())["now"])
    return (asked + time.time()) / 2 + (instant - app_now).total_seconds() / speed


def process_cpu(serving: Serving) -> float:
    """CPU seconds a running process has used so far (user and system), from /proc."""
    fields = Path(f"/proc/{serving.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def given_back(serving: Serving) -> int:
    """Slots this process's sender runs gave back, late (each is budget unused)."""
    return sum(int(m.group(1)) for line in serving.lines
               if (m := re.search(r"(\d+) slots given back", line)))


def landed(slack: FakeSlack) -> int:
    """Check-in DMs in Slack: cheap enough to ask once a second beside 10,000 calls."""
    return sum(1 for c in slack.calls_to("chat.postMessage")
               if c.ok and CHECKIN_TEXT in str(c.params.get("text")))


def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    prepare(database_url, args.people)
    start = DUE - timedelta(seconds=20)
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
        slack.rate_limits.limit("chat.postMessage", args.rate)
        if args.preopen:
            preopen(database_url, args.people, slack)
        budget = (round(args.budget * args.rate * 60 / args.speed) if args.budget else None)
        bots = PacedBots(folder, database_url, slack, speed=args.speed,
                         messages_per_minute=budget)
        total = lambda: landed(slack)  # noqa: E731
        cpu, began = children_cpu(), time.monotonic()
        try:
            first = [bots.start(start) for _ in range(args.serves)]
            for serving in first:
                serving.url(timeout=60)
            due_wall = real_instant_of(DUE, first[0].url(), args.speed)
            started_up = sum(process_cpu(s) for s in first)  # idle from here until DUE
            if args.serves == 1 and args.kill_at > 0:
                bots.wait_until(lambda: total() >= args.people * args.kill_at
                                and outbox_statuses(database_url)["sending"] > 0,
                                within=600, what="the DMs before the kill")
                killed_at = time.monotonic()
                bots.kill(first[0])
                before, rows = total(), outbox_statuses(database_url)
                print(f"killed with {before} DMs in Slack, {before - rows['sent']} of them not "
                      f"yet recorded, {rows['sending']} claimed")
                bots.start(start + timedelta(seconds=(killed_at - began) * args.speed)).url()
            while total() < args.people:  # polled gently: the machine has two cores
                if not any(s.process.poll() is None for s in bots.running):
                    raise AssertionError("every serve process exited:\n" + "\n".join(
                        s.log[-3000:] for s in bots.running))
                if time.monotonic() - began > 3600:
                    raise AssertionError(f"{total()} of {args.people} DMs after an hour")
                time.sleep(1)
            wall = time.monotonic() - began
            time.sleep(2)  # a duplicate would show by now: another run, a lease running out
            working = (sum(process_cpu(s) for s in first) - started_up
                       if all(s.process.poll() is None for s in first) else None)
        finally:
            bots.stop_all()
        cpu = children_cpu() - cpu
        posts = checkin_posts(slack)
        counts = [posts.get(slack.dm_channel(user), 0) for user in people(args.people)]
        posts_ok = [c.received_at for c in slack.calls_to("chat.postMessage") if c.ok]
        print(f"{args.people} people, fake Slack at {args.rate:g}/s, clock ×{args.speed:g}, "
              f"{args.serves} serve process(es)"
              f"{f', killed at {args.kill_at:g}' if args.serves == 1 and args.kill_at else ''}")
        span, least = max(posts_ok) - min(posts_ok), args.people / args.rate
        print(f"  all delivered {wall:.1f} s after the first start; posts from first to last "
              f"{span:.1f} s (at the fake's rate: {least:.1f} s; pacing efficiency "
              f"{least / span:.2f}); from the due minute to the last post "
              f"{max(posts_ok) - due_wall:.1f} s (efficiency "
              f"{least / (max(posts_ok) - due_wall):.2f}), first post "
              f"{min(posts_ok) - due_wall:.1f} s after it")
        print(f"  duplicates {sum(n - 1 for n in counts if n > 1)}, losses "
              f"{sum(1 for n in counts if n == 0)}, 429s "
              f"{slack.rate_limits.refused['chat.postMessage']}, history checks "
              f"{len(slack.calls_to('conversations.history'))}, sent by each process (runs "
              "that finished) "
              f"{[sent_by(s) for s in bots.running]}, slots given back (late) "
              f"{[given_back(s) for s in bots.running]}")
        print(f"  serve CPU {cpu * 1000 / args.people:.2f} ms per DM ({cpu:.1f} s in all, "
              "start-up and the check-in job included)")
        if working is not None:
            print(f"  serve CPU from the due minute on (the check-in job and the sender) "
                  f"{working * 1000 / args.people:.2f} ms per DM ({working:.1f} s; start-up "
                  f"{started_up:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="the fake's messages a second")
    parser.add_argument("--speed", type=float, default=20.0, help="the driven clock's factor")
    parser.add_argument("--kill-at", type=float, default=0.25)
    parser.add_argument("--serves", type=int, choices=[1, 2], default=1)
    parser.add_argument("--budget", type=float, default=0.0,
                        help="the processes' budget, × the rate (0: above it, the harness's)")
    parser.add_argument("--preopen", action="store_true", help="every DM channel stored first")
    args = parser.parse_args()
    configure_logging("WARNING", [])
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL binaries on this machine")
    server = PostgresServer(bin_dir)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(args, server.create_database(), Path(folder))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
