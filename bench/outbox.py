"""The outbox's sender against a fake Slack that enforces a message rate: how close to that
rate it delivers, duplicates and losses, and the bot's CPU time per DM.

    python -m bench.outbox [--backend sqlite|postgresql] [--people 1000] [--rate 50]
                           [--budget 0.95] [--senders 1] [--open] [--checkin]

`--people` DMs are queued in one transaction (as the check-in job will), each person's DM
channel already stored (every week after the first; `--open` makes the sender open them, at
the OUTBOX_OPENS_PER_MINUTE budget, Tier 3). The fake Slack runs in a child process (so the
CPU time measured here is the bot's: the sender, its SQLite or its PostgreSQL client) and
answers chat.postMessage above `--rate` a second with 429 and Retry-After. The bot's budget is
`--budget` × the rate. `--senders 2` runs two senders, each with its own engine, on one
database (threads of this process, standing for two `serve` processes). Pacing efficiency is
the theoretical minimum (people / rate) over the time from the first run to the last DM.
`--checkin` queues the DMs through the real check-in job instead: a plan of `--people` due in
one minute (tests/checkins/serving.py), the job run once as of that minute (its time and CPU
printed apart), the sender on an app clock that starts there.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot import clock, schema
from bot.checkins.job import run_checkins
from bot.config import load_settings
from bot.db import make_engine, transaction
from bot.logs import configure_logging
from bot.outbox.models import DirectMessageChannel
from bot.outbox.queue import count_waiting, enqueue
from bot.scheduler import build_job_context, run_job
from tests.checkins.serving import DUE, people, prepare
from tests.conftest import TEAM_ID
from tests.support.postgres import PostgresServer, find_bin_dir

BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 (the fake Slack's)
TEAM = "T0BENCH"
TICK = 5.0  # send-outbox's interval (bot/scheduler.py)


def _fake_slack(rate: float, pipe: Connection) -> None:
    from tests.fakes import FakeSlack

    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM) as fake:
        fake.rate_limits.limit("chat.postMessage", rate)
        pipe.send(fake.base_url)
        pipe.recv()  # "report"
        landed = Counter(c.params["metadata"]["event_payload"]["outbox_id"]
                         for c in fake.calls_to("chat.postMessage") if c.ok)
        pipe.send({"landed": dict(landed), "refused": fake.rate_limits.refused["chat.postMessage"],
                   "opens": len(fake.calls_to("conversations.open")),
                   "problems": list(fake.problems)})


def run(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(target=_fake_slack, args=(args.rate, theirs), daemon=True)
    child.start()
    base_url = ours.recv()
    settings = load_settings(env_file=None, database_url=database_url, slack_bot_token=BOT_TOKEN,
                             slack_api_url=base_url,
                             outbox_messages_per_minute=max(1, int(args.rate * 60 * args.budget)),
                             outbox_opens_per_minute=50)
    schema.upgrade(database_url)
    engines = [make_engine(database_url) for _ in range(args.senders)]
    contexts = [build_job_context(settings, engine) for engine in engines]
    job = {"wall": 0.0, "cpu": 0.0}
    if args.checkin:
        prepare(database_url, args.people)
        offset = DUE - clock.now()  # the app's clock starts at the due minute
        contexts = [replace(c, now=lambda: clock.now() + offset) for c in contexts]
        users, team = people(args.people), TEAM_ID  # the plan's workspace
    else:
        users, team = [f"U{n:07d}" for n in range(args.people)], TEAM
    with transaction(contexts[0].session_factory) as db_session:
        for n, user in enumerate(users):
            if not args.open:
                db_session.add(DirectMessageChannel(team_id=team, user_id=user,
                                                    channel_id="D" + user[1:],
                                                    opened_at=contexts[0].now()))
            if not args.checkin:
                enqueue(db_session, team_id=TEAM, kind="checkin", user_id=user,
                        dedupe_key=f"checkin:{user}:bench", text=f"Time for your check-in, {n}")
    if args.checkin:
        job["cpu"], job["wall"] = time.process_time(), time.monotonic()
        tally = run_checkins(contexts[0].session_factory, contexts[0].now())
        assert tally.opened == args.people, tally
        job["cpu"] = time.process_time() - job["cpu"]
        job["wall"] = time.monotonic() - job["wall"]
    outcomes: list[str] = []

    def sender(index: int) -> None:
        context = replace(contexts[index], outbox=replace(contexts[index].outbox,
                                                          run_seconds=3600))
        while not done.is_set():
            outcomes.append(run_job("send-outbox", context))
            if not count_waiting(context.session_factory)[0]:
                done.set()
                return
            # A run ends with messages waiting when another sender has the budget booked
            # ahead (bot/outbox/queue.py): the next run at the scheduler's next tick, as in
            # `serve` (polling every 50 ms here was most of the second sender's CPU), or
            # none once the other has delivered the last.
            done.wait(timeout=TICK - (time.monotonic() - began) % TICK)

    cpu, wall = time.process_time(), time.monotonic()
    began, done = wall, threading.Event()
    threads = [threading.Thread(target=sender, args=(i,)) for i in range(args.senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    ours.send("report")
    report = ours.recv()
    child.join(timeout=10)
    for context, engine in zip(contexts, engines, strict=True):
        context.chains.close()
        engine.dispose()
    landed: dict[int, int] = report["landed"]
    return {"wall": wall, "cpu": cpu, "theory": args.people / args.rate,
            "duplicates": sum(n - 1 for n in landed.values() if n > 1),
            "losses": args.people - len(landed), "refused": report["refused"],
            "opens": report["opens"], "runs": len(outcomes), "problems": report["problems"],
            "late": sum(int(m[1]) for o in outcomes
                        if (m := re.search(r"(\d+) slots given back", o))),
            "job": job}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="the fake's messages a second")
    parser.add_argument("--budget", type=float, default=0.95, help="the bot's, × the rate")
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--open", action="store_true", help="no DM channel stored yet")
    parser.add_argument("--checkin", action="store_true", help="queued by the check-in job")
    args = parser.parse_args()
    configure_logging("WARNING", [])
    with tempfile.TemporaryDirectory() as folder:
        server = None
        if args.backend == "postgresql":
            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries on this machine")
            server = PostgresServer(bin_dir)
            server.start()
            database_url = server.create_database()
        else:
            database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        try:
            figures = run(args, database_url)
        finally:
            if server is not None:
                server.stop()
    print(f"{args.backend}, {args.people} DMs, fake Slack at {args.rate:g}/s, budget "
          f"{args.budget:g}×, {args.senders} sender(s){', opening DMs' if args.open else ''}")
    print(f"  delivered in {figures['wall']:.1f} s; theoretical minimum {figures['theory']:.1f} s;"
          f" pacing efficiency {figures['theory'] / figures['wall']:.2f}")
    print(f"  duplicates {figures['duplicates']}, losses {figures['losses']}, "
          f"429s {figures['refused']}, conversations.open {figures['opens']}, "
          f"runs {figures['runs']}, slots given back (late) {figures['late']}")
    print(f"  bot CPU {figures['cpu'] * 1000 / args.people:.2f} ms per DM "
          f"({figures['cpu']:.1f} s in all)")
    if args.checkin:
        job = figures["job"]
        print(f"  before it, the check-in job: {job['wall']:.1f} s, CPU "
              f"{job['cpu'] * 1000 / args.people:.2f} ms per person ({job['cpu']:.1f} s)")
    if figures["problems"]:
        print("  fake Slack problems:", *figures["problems"][:5], sep="\n    ")


if __name__ == "__main__":
    main()
