"""`/okr status` and `/okr tree` timed over signed HTTP, beside a no-op command, on SQLite and
PostgreSQL, with the SQL statements each command issues at two sizes of the same workspace.

    python -m bench.commands [--backend sqlite|postgresql|both] [--requests 200] [--scale 1]
                             [--compare-scale 0.1] [--order interleaved|blocks]

For each backend: generate the workspace (bench/dataset.py) into a fresh database, serve the
real ASGI app (`build_runtime(settings).web_app()`) under uvicorn in a thread, with the fake
Slack Web API behind it and a `/noop` slash command (a listener that only acks) added to the
same Bolt app, and send signed requests as Slack does, one at a time:

* cold: the first request after `CHAINS.clear()`, which reads the chain from the database
  (the median of 3 at `--scale`, one at `--compare-scale`);
* warm: after 10 warm-up rounds, `--requests` requests each of `/noop`, `/okr status
  <objective>` (objectives drawn at random, the same draw every run) and `/okr tree`,
  interleaved by default so the three share the machine's state, latency measured by the
  client around each whole request (signing, connecting, the server, reading the reply);
* statements: every statement the runtime's engine sends (a `before_cursor_execute` listener),
  for one cold and one warm request of each command, at `--scale` and at `--compare-scale`;
* garbage collection: the pause of every collection, since the server shares this process.

The second size defaults to 0.1× because 10× takes too long to build here: `import_plan` of
10,000 objectives took 7 minutes on SQLite alone (see docs/performance.md). `--compare-scale 10`
runs it.

Prints one table (progress goes to stderr). PostgreSQL is a throwaway server started as the
test suite starts it (tests/support/postgres.py). Not a test: nothing fails on a number.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from slack_bolt import Ack
from sqlalchemy import Engine, event

from bench import dataset
from bot.config import load_settings
from bot.logs import configure_logging
from bot.okrs.chain_loader import CACHE_SECONDS, CHAINS
from bot.serve import Runtime, build_runtime
from tests.fakes import FakeSlack, SlackReply, SlackSender
from tests.support.postgres import PostgresServer, find_bin_dir
from tests.support.server import serving

BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 (the fake Slack's)
SIGNING_SECRET = "bench-signing-secret-5d41402a"  # noqa: S105 (signs our own requests)
USER = "U0B00001"
COMMANDS = ("noop", "status", "tree")
LABELS = {"noop": "/noop (ack only)", "status": "/okr status <objective>", "tree": "/okr tree"}
WARM_UP_ROUNDS = 10
COLD_SAMPLES = 3  # cold requests per command at the base size (median reported)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# -- what we measure -------------------------------------------------------------------------
class StatementCounter:
    """Every statement the engine sends to the database: its text and how long it took."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, *_args) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, statement: str, *_args) -> None:
        seconds = time.perf_counter() - conn.info["bench_started"].pop()
        with self._lock:
            self.statements.append((statement, seconds))

    def mark(self) -> int:
        with self._lock:
            return len(self.statements)

    def since(self, mark: int) -> list[tuple[str, float]]:
        with self._lock:
            return self.statements[mark:]


class GcWatch:
    """Python's garbage collector pauses every thread; this keeps the time of each collection.

    The server runs in this process (uvicorn in a thread), so a collection it starts while a
    request is in flight is part of that request's latency."""

    def __init__(self) -> None:
        self.collections: list[tuple[int, float]] = []  # (generation, seconds)
        self._started = 0.0

    def start(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def _callback(self, phase_name: str, info: dict) -> None:
        if phase_name == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((info["generation"], time.perf_counter() - self._started))

    def mark(self) -> int:
        return len(self.collections)

    def since(self, mark: int) -> list[tuple[int, float]]:
        return self.collections[mark:]


GC = GcWatch()


@dataclass
class Sent:
    seconds: float
    statements: list[tuple[str, float]]  # (SQL, seconds)
    collections: list[tuple[int, float]] = field(default_factory=list)

    @property
    def full_collections(self) -> int:
        return sum(1 for generation, _ in self.collections if generation == 2)

    @property
    def gc_seconds(self) -> float:
        return sum(seconds for _, seconds in self.collections)


@dataclass
class SizeResult:
    scale: float
    description: str
    build_seconds: dict[str, float]
    cold: dict[str, list[Sent]] = field(default_factory=dict)
    warm: dict[str, Sent] = field(default_factory=dict)


@dataclass
class BackendResult:
    backend: str
    version: str
    sizes: list[SizeResult] = field(default_factory=list)
    timed: dict[str, list[Sent]] = field(default_factory=dict)
    timed_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


# -- serving ---------------------------------------------------------------------------------
@dataclass
class Bot:
    runtime: Runtime
    slack: SlackSender
    counter: StatementCounter
    objective_keys: list[str]

    def send(self, command: str, objective: str | None = None) -> Sent:
        mark, gc_mark = self.counter.mark(), GC.mark()
        started = time.perf_counter()
        if command == "noop":
            reply = self.slack.command("", command="/noop", user_id=USER)
        elif command == "status":
            reply = self.slack.command(f"status {objective}", user_id=USER)
        else:
            reply = self.slack.command("tree", user_id=USER)
        seconds = time.perf_counter() - started
        check(command, objective, reply)
        return Sent(seconds, self.counter.since(mark), GC.since(gc_mark))


def check(command: str, objective: str | None, reply: SlackReply) -> None:
    """Each reply is the real answer, not an apology or an error that happens to be fast."""
    if reply.status != 200:
        raise RuntimeError(f"{command}: HTTP {reply.status}: {reply.body[:300]}")
    if command == "noop":
        return
    shared = f"status {objective}" if command == "status" else "tree north-star"
    if shared not in reply.body:  # the Share button carries what was shown
        raise RuntimeError(f"{command}: not the expected reply: {reply.body[:300]}")


def noop(ack: Ack) -> None:
    ack()


@contextmanager
def served(url: str, objective_keys: list[str]) -> Iterator[Bot]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=dataset.TEAM_ID) as fake:
        settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN,
                                 slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.base_url, database_url=url)
        runtime = build_runtime(settings)
        runtime.bolt_app.command("/noop")(noop)
        counter = StatementCounter(runtime.engine)
        with serving(runtime.web_app(with_scheduler=False)) as base:
            sender = SlackSender(f"{base}/slack/events", SIGNING_SECRET,
                                 team_id=dataset.TEAM_ID, response_urls=fake.response_url,
                                 timeout=300)
            yield Bot(runtime, sender, counter, objective_keys)
        fake.assert_no_problems()


# -- databases -------------------------------------------------------------------------------
class Databases:
    """Fresh empty databases on one backend: SQLite files in a temporary folder, or databases
    on a throwaway PostgreSQL server."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.root = Path(tempfile.mkdtemp(prefix="okr-bot-bench-"))
        self.server: PostgresServer | None = None
        self.version = f"SQLite {sqlite3.sqlite_version}"

    def start(self) -> None:
        if self.backend != "postgresql":
            return
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) on this machine; see "
                               "README.md, Tests")
        self.server = PostgresServer(bin_dir)
        self.server.start()
        with psycopg.connect(f"host=127.0.0.1 port={self.server.port} user=postgres "
                             "dbname=postgres") as connection:
            self.version = "PostgreSQL " + str(connection.execute("SHOW server_version")
                                               .fetchone()[0])

    def fresh(self, name: str) -> str:
        if self.server is not None:
            return self.server.create_database()
        return f"sqlite:///{self.root / f'{name}.db'}"

    def drop(self, url: str) -> None:
        if self.server is not None:
            self.server.drop_database(url)
            return
        for path in self.root.glob(f"{Path(url.removeprefix('sqlite:///')).name}*"):
            path.unlink()

    def stop(self) -> None:
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# -- one backend -----------------------------------------------------------------------------
@contextmanager
def phase(result: BackendResult, name: str) -> Iterator[None]:
    started = time.perf_counter()
    say(f"[{result.backend}] {name} …")
    try:
        yield
    finally:
        result.phases[name] = time.perf_counter() - started
        say(f"[{result.backend}] {name}: {result.phases[name]:.1f} s")


def statements_of(bot: Bot, size: SizeResult, *, cold_samples: int) -> None:
    """Cold (after CHAINS.clear()) then warm, for each command."""
    objective = bot.objective_keys[len(bot.objective_keys) // 2]
    for command in COMMANDS:
        size.cold[command] = []
        for _ in range(cold_samples):
            CHAINS.clear()
            size.cold[command].append(bot.send(command, objective))
        size.warm[command] = bot.send(command, objective)


def timed_rounds(bot: Bot, result: BackendResult, requests: int, order: str) -> None:
    chooser = random.Random(dataset.SEED)
    objectives = [chooser.choice(bot.objective_keys) for _ in range(requests + WARM_UP_ROUNDS)]
    for n in range(WARM_UP_ROUNDS):
        for command in COMMANDS:
            bot.send(command, objectives[n])
    result.timed = {command: [] for command in COMMANDS}
    started = time.perf_counter()
    if order == "interleaved":
        for n in range(requests):
            rotated = COMMANDS[n % 3:] + COMMANDS[:n % 3]  # no command always goes first
            for command in rotated:
                result.timed[command].append(
                    bot.send(command, objectives[WARM_UP_ROUNDS + n]))
    else:  # blocks: all of one command, then the next
        for command in COMMANDS:
            for n in range(requests):
                result.timed[command].append(
                    bot.send(command, objectives[WARM_UP_ROUNDS + n]))
    result.timed_seconds = time.perf_counter() - started


def run_backend(backend: str, *, requests: int, scales: tuple[float, float],
                order: str) -> BackendResult:
    databases = Databases(backend)
    result = BackendResult(backend, "")
    try:
        with phase(result, "start the database server"):
            databases.start()
        result.version = databases.version
        for n, scale in enumerate(scales):
            url = databases.fresh(f"workspace-{n}")
            with phase(result, f"build the {scale:g}× workspace"):
                built = dataset.build(url, scale, say=lambda line: say(f"[{backend}] {line}"))
            size = SizeResult(scale, built.size.describe(), built.timings)
            result.sizes.append(size)
            with served(url, built.objective_keys) as bot:
                with phase(result, f"cold and warm statements at {scale:g}×"):
                    statements_of(bot, size, cold_samples=COLD_SAMPLES if n == 0 else 1)
                if n == 0:
                    with phase(result, f"{requests} timed rounds at {scale:g}×"):
                        timed_rounds(bot, result, requests, order)
            databases.drop(url)
    finally:
        databases.stop()
    return result


# -- the table -------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def statement_cell(size: SizeResult, command: str) -> str:
    return f"{len(size.cold[command][0].statements)}/{len(size.warm[command].statements)}"


def table(results: list[BackendResult], requests: int) -> list[str]:
    base, other = results[0].sizes[0].scale, results[0].sizes[1].scale
    head = ["backend", "command", "p50 ms", "p99 ms", "p99 / no-op p99", f"cold ms ({base:g}×)",
            f"statements cold/warm {base:g}×", f"statements cold/warm {other:g}×",
            f"cold ms ({other:g}×)"]
    rows = []
    for result in results:
        floor = percentile([s.seconds for s in result.timed["noop"]], 0.99)
        for command in COMMANDS:
            seconds = [s.seconds for s in result.timed[command]]
            p99 = percentile(seconds, 0.99)
            rows.append([
                result.backend, LABELS[command], ms(percentile(seconds, 0.5)), ms(p99),
                f"{p99 / floor:.2f}×",
                ms(statistics.median(s.seconds for s in result.sizes[0].cold[command])),
                statement_cell(result.sizes[0], command), statement_cell(result.sizes[1], command),
                ms(result.sizes[1].cold[command][0].seconds)])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    right = {2, 3, 4, 5, 6, 7, 8}

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    out = [line(head), "|" + "|".join(("-" * (w + 1)) + (":" if i in right else "-")
                                      for i, w in enumerate(widths)) + "|"]
    out += [line(row) for row in rows]
    return out


def without_gc(sent: list[Sent]) -> float:
    """p99 of the latencies with the collector's pauses inside each request subtracted."""
    return percentile([s.seconds - s.gc_seconds for s in sent], 0.99)


def rebuilds(result: BackendResult) -> dict[str, int]:
    """Timed requests that read the chain from the database (the cache's minute ran out)."""
    warm = {c: len(result.sizes[0].warm[c].statements) for c in COMMANDS}
    return {c: sum(len(s.statements) > warm[c] for s in result.timed[c]) for c in COMMANDS}


def statement_kinds(statements: list[tuple[str, float]]) -> str:
    """What the statements were, in order, with their time: `SELECT metrics 80 ms`, …"""
    names = []
    for statement, seconds in statements:
        words = statement.split()
        verb = words[0].upper() if words else "?"
        if verb == "SELECT":
            tables = [words[i + 1].strip('"(),') for i, w in enumerate(words[:-1])
                      if w.upper() == "FROM" and words[i + 1][0] != "("]
            name = f"SELECT {tables[0] if tables else '(subquery)'}"
        else:
            name = " ".join(words[:2]).upper()
        names.append(f"{name} {ms(seconds)}")
    return ", ".join(names)


def sql_seconds(sent: Sent) -> float:
    return sum(seconds for _, seconds in sent.statements)


def report(results: list[BackendResult], requests: int, order: str,
           total_seconds: float) -> None:
    print(f"okr-bot benchmark · {platform.python_implementation()} {platform.python_version()} · "
          f"{os.cpu_count()} CPUs · {platform.platform(terse=True)} · "
          + " · ".join(r.version for r in results))
    for result in results[:1]:
        for size in result.sizes:
            print(f"workspace {size.description}")
    how = ("the three commands interleaved" if order == "interleaved"
           else "all of one command, then the next")
    print(f"{requests} signed HTTP requests per command, one at a time, {how}; latency "
          "measured by the client around each whole request; p50/p99 nearest rank.")
    print()
    for line in table(results, requests):
        print(line)
    print()
    for result in results:
        floor = percentile([s.seconds for s in result.timed["noop"]], 0.99)
        status = percentile([s.seconds for s in result.timed["status"]], 0.99)
        verdict = "within" if status <= 3 * floor else "NOT within"
        rebuilt = rebuilds(result)
        print(f"{result.backend}: /okr status p99 is {status / floor:.2f}× the no-op p99 — "
              f"{verdict} the 3× aim. Timed requests that rebuilt the chain (its "
              f"{CACHE_SECONDS:g} s cache ran out): "
              + ", ".join(f"{c} {n}" for c, n in rebuilt.items())
              + f"; {3 * requests} timed requests took {result.timed_seconds:.1f} s.")
        timed = result.timed
        full = [seconds for sent in itertools.chain(*timed.values())
                for generation, seconds in sent.collections if generation == 2]
        print(f"  garbage collection during the timed requests: {len(full)} full collections"
              + (f", {max(full) * 1000:.0f} ms the longest" if full else "")
              + "; requests that paid for one: "
              + ", ".join(f"{c} {sum(s.full_collections > 0 for s in timed[c])}"
                          for c in COMMANDS)
              + "; p99 with all GC pauses taken out: "
              + ", ".join(f"{c} {ms(without_gc(timed[c]))} ms" for c in COMMANDS))
        size = result.sizes[0]
        cold, warm = size.cold["status"][0], size.warm["status"]
        print(f"  cold /okr status: {ms(cold.seconds)} ms, {ms(sql_seconds(cold))} ms of it inside "
              f"cursor.execute (ms each): {statement_kinds(cold.statements)}")
        print(f"  warm /okr status: {ms(warm.seconds)} ms, {ms(sql_seconds(warm))} ms of it inside "
              f"cursor.execute (ms each): {statement_kinds(warm.statements)}")
        print("  phases: " + ", ".join(f"{name} {seconds:.0f} s"
                                       for name, seconds in result.phases.items()))
    print(f"whole run: {total_seconds / 60:.1f} min")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per command")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="the workspace to time (1 = 1,000 objectives, 250,000 measurements)")
    parser.add_argument("--compare-scale", type=float, default=0.1,
                        help="the second size, for statement counts and a cold request "
                             "(10 works, but builds for many minutes per backend)")
    parser.add_argument("--order", choices=("interleaved", "blocks"), default="interleaved",
                        help="interleave the three commands (default), or send all of one "
                             "command, then the next")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    # Warnings and errors only: at INFO every request would add a log line to stderr.
    configure_logging("WARNING", [BOT_TOKEN, SIGNING_SECRET])
    GC.start()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    results = [run_backend(backend, requests=args.requests,
                           scales=(args.scale, args.compare_scale), order=args.order)
               for backend in backends]
    report(results, args.requests, args.order, time.perf_counter() - started)


if __name__ == "__main__":
    main()
