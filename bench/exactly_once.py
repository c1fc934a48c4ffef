"""Exactly once across real `okr-bot serve` processes on PostgreSQL: many people due in one
minute, the fake Slack enforcing a message rate; one process killed with SIGKILL part way and
started again, or two processes side by side. Prints delivery time, duplicates and losses
(both must be 0), 429s, and the serve processes' CPU time per DM.

    python -m bench.exactly_once [--people 2000] [--rate 100] [--speed 20]
                                 [--kill-at 0.25] [--serves 1]

`--kill-at F` kills the (single) process once F of the DMs are in Slack (0: no kill);
`--serves 2` runs two processes and kills none. The processes run on a driven clock
(`--speed` times real time) so the check-in job and a dead worker's lease take seconds; the
pacing figures are therefore not Slack's (bench/outbox.py measures pacing on the real clock).
The harness is tests/checkins/serving.py, the one the acceptance test uses.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.logs import configure_logging
from tests.checkins.serving import (
    DUE,
    Bots,
    checkin_posts,
    outbox_statuses,
    people,
    prepare,
    sent_by,
)
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakes import FakeSlack
from tests.support.postgres import PostgresServer, find_bin_dir


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    prepare(database_url, args.people)
    start = DUE - timedelta(seconds=20)
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
        slack.rate_limits.limit("chat.postMessage", args.rate)
        bots = Bots(folder, database_url, slack, speed=args.speed)
        total = lambda: sum(checkin_posts(slack).values())  # noqa: E731
        cpu, began = children_cpu(), time.monotonic()
        try:
            first = [bots.start(start) for _ in range(args.serves)]
            for serving in first:
                serving.url(timeout=60)
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
            bots.wait_until(lambda: total() >= args.people, within=1800, what="every DM")
            wall = time.monotonic() - began
            time.sleep(2)  # a duplicate would show by now: another run, a lease running out
        finally:
            bots.stop_all()
        cpu = children_cpu() - cpu
        posts = checkin_posts(slack)
        counts = [posts.get(slack.dm_channel(user), 0) for user in people(args.people)]
        posts_ok = [c.received_at for c in slack.calls_to("chat.postMessage") if c.ok]
        print(f"{args.people} people, fake Slack at {args.rate:g}/s, clock ×{args.speed:g}, "
              f"{args.serves} serve process(es)"
              f"{f', killed at {args.kill_at:g}' if args.serves == 1 and args.kill_at else ''}")
        print(f"  all delivered {wall:.1f} s after the first start; posts from first to last "
              f"{max(posts_ok) - min(posts_ok):.1f} s (at the fake's rate: "
              f"{args.people / args.rate:.1f} s)")
        print(f"  duplicates {sum(n - 1 for n in counts if n > 1)}, losses "
              f"{sum(1 for n in counts if n == 0)}, 429s "
              f"{slack.rate_limits.refused['chat.postMessage']}, history checks "
              f"{len(slack.calls_to('conversations.history'))}, sent by each process (runs "
              "that finished) "
              f"{[sent_by(s) for s in bots.running]}")
        print(f"  serve CPU {cpu * 1000 / args.people:.2f} ms per DM ({cpu:.1f} s in all, "
              "start-up and the check-in job included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="the fake's messages a second")
    parser.add_argument("--speed", type=float, default=20.0, help="the driven clock's factor")
    parser.add_argument("--kill-at", type=float, default=0.25)
    parser.add_argument("--serves", type=int, choices=[1, 2], default=1)
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
