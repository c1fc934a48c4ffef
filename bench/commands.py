"""`/okr status` and `/okr tree` timed over signed HTTP, beside a no-op command, on SQLite and
PostgreSQL: warm, cold (the chain read from the database), and right after a write, with the
SQL statements each command issues at two sizes of the same workspace.

    python -m bench.commands [--backend sqlite|postgresql|both] [--requests 200] [--scale 1]
                             [--compare-scale 0.1] [--order interleaved|blocks] [--writes 3]

For each backend: generate the workspace (bench/dataset.py) into a fresh database, serve the
real ASGI app (`build_runtime(settings).web_app()`) under uvicorn in a thread, with the fake
Slack Web API behind it (it also receives the posts to `response_url`) and a `/noop` slash
command (a listener that only acks) added to the same Bolt app. The server warms every chain in
the background when it starts; nothing is measured before `chains.wait_idle()` says that is
done. Then signed requests go in as Slack sends them, one at a time:

* cold: the first request after `chains.wait_idle(); chains.clear()` (the median of 3 at
  `--scale`, one at `--compare-scale`). Two times for each: the HTTP acknowledgement (what
  Slack's 3 seconds apply to) and the answer (the post to `response_url` when the command was
  acknowledged with the "working" message and answered later, otherwise the acknowledgement);
* warm: after 10 warm-up rounds, `--requests` requests each of `/noop`, `/okr status
  <objective>` (objectives drawn at random, the same draw every run) and `/okr tree`,
  interleaved by default so the three share the machine's state, latency measured by the
  client around each whole request (signing, connecting, the server, reading the reply), up to
  the answer if one was deferred; the chains the cache rebuilt in the background meanwhile
  (`chains.builds`) are counted;
* after a write (at `--scale`, after the timed rounds): `--writes` times `/okr update <key
  result> <value>` sent as the key result's owner, then at once `/okr status <its objective>`;
  and as often with `chains.wait_idle()` (the background rebuild the write started) between;
* statements: every statement the runtime's engine sends (a `before_cursor_execute` listener)
  until the answer has arrived, the lazy listener's included, for one cold and one warm request
  of each command, at `--scale` and at `--compare-scale`;
* chain builds: how long each build spent reading the blueprints (`load_blueprints`, and
  within it the last 12 measurements of every metric) and in `build_chain`, by wrapping the
  names `bot.okrs.store.cache` and `bot.okrs.store.loader` call;
* garbage collection: the pause of every collection and the thread that ran it (the server
  shares this process), counted against the requests it overlapped.

The second size defaults to 0.1× because 10× takes many minutes to build here (`import_plan` of
10,000 objectives, on each backend). `--compare-scale 10` runs it.

Prints one table and a few lines per backend (progress goes to stderr). PostgreSQL is a
throwaway server started as the test suite starts it (tests/support/postgres.py). Not a test:
nothing fails on a number.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from slack_bolt import Ack
from sqlalchemy import Engine, event, select

from bench import dataset
from bot.config import load_settings
from bot.logs import configure_logging
from bot.okrs.store import cache as chain_cache
from bot.okrs.store import loader as chain_loader
from bot.okrs.store.cache import REFRESH_SECONDS, ChainCache
from bot.okrs.store.models import Metric
from bot.serve import Runtime, build_runtime
from bot.slack.blocks.working import WORKING_TEXT
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
SLACK_SECONDS = 3.0  # Slack shows the person an error if the acknowledgement takes longer
IDLE_SECONDS = 900.0  # the longest we wait for the chain cache's background work (10×: ~30 s)
BACKGROUND = "okr-bot-chains"  # the chain cache's background thread's name prefix


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def settle(chains: ChainCache) -> float:
    """Wait until the chain cache's background work is done, and what that work queued after
    itself (the garbage collection that follows a build). Returns the seconds waited."""
    started = time.perf_counter()
    chains.wait_idle(timeout=IDLE_SECONDS)
    chains.wait_idle(timeout=IDLE_SECONDS)
    return time.perf_counter() - started


# -- what we measure -------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    sql: str
    seconds: float
    thread: str

    @property
    def background(self) -> bool:
        return self.thread.startswith(BACKGROUND)


class StatementCounter:
    """Every statement the engine sends to the database: its text, how long it took, and the
    thread that sent it (a request, a lazy listener, the chain cache's background thread)."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[Statement] = []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, *_args) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, statement: str, *_args) -> None:
        seconds = time.perf_counter() - conn.info["bench_started"].pop()
        with self._lock:
            self.statements.append(Statement(statement, seconds,
                                             threading.current_thread().name))

    def mark(self) -> int:
        with self._lock:
            return len(self.statements)

    def since(self, mark: int) -> list[Statement]:
        with self._lock:
            return self.statements[mark:]


@dataclass(frozen=True)
class Collection:
    generation: int  # 2: a full collection
    seconds: float
    background: bool  # in the chain cache's background thread: a build, or its gc.collect after one


@dataclass(frozen=True)
class BuildStep:
    # "load" (load_blueprints: the database), "measurements" (the part of "load" that reads the
    # last 12 measurements of every metric), "build" (build_chain: no database)
    step: str
    seconds: float
    thread: str


class BuildWatch:
    """The two halves of every chain the cache builds: reading its blueprints from the
    database (and within that, the last 12 measurements of every metric), and `build_chain`.
    Wraps the names `bot.okrs.store.cache` and `bot.okrs.store.loader` look up when they build
    (the app's code is unchanged; only this process's module attributes are)."""

    def __init__(self) -> None:
        self.steps: list[BuildStep] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        if getattr(chain_cache.load_blueprints, "bench_timed", False):
            return
        chain_cache.load_blueprints = self._timed("load", chain_cache.load_blueprints)
        chain_cache.build_chain = self._timed("build", chain_cache.build_chain)
        chain_loader._recent_measurements = self._timed("measurements",
                                                        chain_loader._recent_measurements)

    def _timed(self, step: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds = time.perf_counter() - started
                with self._lock:
                    self.steps.append(BuildStep(step, seconds, threading.current_thread().name))

        timed.bench_timed = True  # type: ignore[attr-defined]
        return timed

    def mark(self) -> int:
        with self._lock:
            return len(self.steps)

    def since(self, mark: int) -> list[BuildStep]:
        with self._lock:
            return self.steps[mark:]


class GcWatch:
    """Python's garbage collector pauses every thread; this keeps the time of each collection.

    The server runs in this process (uvicorn in a thread), so a collection it starts while a
    request is in flight is part of that request's latency; one that starts in the chain
    cache's background thread just as well."""

    def __init__(self) -> None:
        # (generation, start, seconds, whether the chain cache's background thread ran it)
        self.collections: list[tuple[int, float, float, bool]] = []
        self._started = 0.0

    def start(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def _callback(self, phase_name: str, info: dict) -> None:
        if phase_name == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((info["generation"], self._started,
                                     time.perf_counter() - self._started,
                                     threading.current_thread().name.startswith(BACKGROUND)))

    def mark(self) -> int:
        return len(self.collections)

    def between(self, mark: int, started: float, ended: float) -> list[Collection]:
        """The collections since `mark` that overlap the time between the two perf_counter()
        instants, clipped to it."""
        return [Collection(generation, min(ended, at + seconds) - max(started, at), background)
                for generation, at, seconds, background in self.collections[mark:]
                if at <= ended and at + seconds >= started]


GC = GcWatch()
BUILDS = BuildWatch()


@dataclass
class Sent:
    seconds: float  # the HTTP acknowledgement, on the client's clock
    answer_seconds: float  # until the answer: its post to response_url if deferred, else the ack
    deferred: bool  # acknowledged with the "working" message, answered through response_url
    statements: list[Statement]  # until the answer arrived
    collections: list[Collection] = field(default_factory=list)
    builds: list[BuildStep] = field(default_factory=list)

    @property
    def full_collections(self) -> int:
        return sum(1 for c in self.collections if c.generation == 2)

    @property
    def gc_seconds(self) -> float:
        return sum(c.seconds for c in self.collections)

    @property
    def own_statements(self) -> list[Statement]:
        """Those the request and its lazy listener sent, not the cache's background thread."""
        return [s for s in self.statements if not s.background]


@dataclass
class WriteSample:
    waited: bool  # chains.wait_idle() between the update and the status
    update: Sent
    status: Sent
    rebuild: list[BuildStep]  # the background rebuild the update started


@dataclass
class SizeResult:
    scale: float
    description: str
    build_seconds: dict[str, float]
    warm_up_seconds: float = 0.0  # server started → its start-up chain warm-up done
    warm_up_builds: int = 0
    frozen: int = 0  # gc.get_freeze_count() after the warm-up
    cold: dict[str, list[Sent]] = field(default_factory=dict)
    warm: dict[str, Sent] = field(default_factory=dict)


@dataclass
class BackendResult:
    backend: str
    version: str
    sizes: list[SizeResult] = field(default_factory=list)
    timed: dict[str, list[Sent]] = field(default_factory=dict)
    timed_seconds: float = 0.0
    timed_builds: int = 0  # bot.runtime.chains.builds during the timed rounds
    timed_build_steps: list[BuildStep] = field(default_factory=list)
    writes: list[WriteSample] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)


# -- serving ---------------------------------------------------------------------------------
@dataclass
class Bot:
    runtime: Runtime
    fake: FakeSlack
    slack: SlackSender
    counter: StatementCounter
    objective_keys: list[str]

    def request(self, text: str, *, command: str = "/okr",
                user: str = USER) -> tuple[Sent, SlackReply, dict | None]:
        """One slash command; if it is acknowledged with the "working" message, waits for the
        answer posted to its response_url. Returns the post's payload too (None if none)."""
        url = self.fake.response_url("commands")
        posted = len(self.fake.responses)
        mark, gc_mark, build_mark = self.counter.mark(), GC.mark(), BUILDS.mark()
        wall = time.time()
        started = time.perf_counter()
        reply = self.slack.command(text, command=command, user_id=user, response_url=url)
        seconds = time.perf_counter() - started
        deferred = isinstance(reply.json, dict) and reply.json.get("text") == WORKING_TEXT
        payload, answer = None, seconds
        if deferred:
            post = self.fake.wait_for_response(posted + 1, timeout=IDLE_SECONDS)[posted]
            if post["url"] != url:
                raise RuntimeError(f"{command} {text}: a post to another response_url: {post}")
            payload, answer = post["json"], post["received_at"] - wall
        collections = GC.between(gc_mark, started, started + answer)
        return (Sent(seconds, answer, deferred, self.counter.since(mark), collections,
                     BUILDS.since(build_mark)), reply, payload)

    def send(self, command: str, objective: str | None = None) -> Sent:
        if command == "noop":
            sent, reply, payload = self.request("", command="/noop")
        elif command == "status":
            sent, reply, payload = self.request(f"status {objective}")
        else:
            sent, reply, payload = self.request("tree")
        check(command, objective, reply, payload)
        return sent

    def owner_of(self, key: str) -> str:
        with self.runtime.engine.connect() as connection:
            return connection.execute(select(Metric.owner).where(Metric.key == key)).scalar_one()


def check(command: str, objective: str | None, reply: SlackReply, payload: dict | None) -> None:
    """The answer is the real one, not an apology or an error that happens to be fast: the
    acknowledgement's, or when it was deferred, the one posted to response_url."""
    if reply.status != 200:
        raise RuntimeError(f"{command}: HTTP {reply.status}: {reply.body[:300]}")
    if command == "noop":
        return
    body = reply.body
    if payload is not None:
        if payload.get("replace_original") is not True:
            raise RuntimeError(f"{command}: the answer does not replace the working message: "
                               f"{str(payload)[:300]}")
        body = json.dumps(payload)
    shared = f"status {objective}" if command == "status" else "tree north-star"
    if shared not in body:  # the Share button carries what was shown
        raise RuntimeError(f"{command}: not the expected answer: {body[:300]}")


def check_recorded(key: str, reply: SlackReply) -> None:
    """`/okr update` recorded the value (not a refusal, a choice or a problem)."""
    text = json.dumps(reply.json, ensure_ascii=False) if reply.json is not None else reply.body
    if reply.status != 200 or f"(`{key}`)" not in text or "→" not in text:
        raise RuntimeError(f"update {key}: not recorded: {text[:300]}")


def noop(ack: Ack) -> None:
    ack()


@contextmanager
def served(url: str, objective_keys: list[str], size: SizeResult) -> Iterator[Bot]:
    """The app served on `url`'s database, with its start-up chain warm-up done."""
    with FakeSlack(bot_token=BOT_TOKEN, team_id=dataset.TEAM_ID) as fake:
        settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN,
                                 slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.base_url, database_url=url)
        runtime = build_runtime(settings)
        runtime.bolt_app.command("/noop")(noop)
        counter = StatementCounter(runtime.engine)
        builds = runtime.chains.builds
        started = time.perf_counter()
        try:
            with serving(runtime.web_app(with_scheduler=False)) as base:
                settle(runtime.chains)  # the start-up warm-up, and its garbage collection
                size.warm_up_seconds = time.perf_counter() - started
                size.warm_up_builds = runtime.chains.builds - builds
                size.frozen = gc.get_freeze_count()
                sender = SlackSender(f"{base}/slack/events", SIGNING_SECRET,
                                     team_id=dataset.TEAM_ID, response_urls=fake.response_url,
                                     timeout=SLACK_SECONDS * 100)
                yield Bot(runtime, fake, sender, counter, objective_keys)
                settle(runtime.chains)
        finally:
            # The next server starts as a new process would: no chain cached, none frozen.
            runtime.chains.clear()
            gc.unfreeze()
            gc.collect()
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
    """Cold (after the background work and chains.clear()) then warm, for each command."""
    objective = bot.objective_keys[len(bot.objective_keys) // 2]
    for command in COMMANDS:
        size.cold[command] = []
        for _ in range(cold_samples):
            settle(bot.runtime.chains)
            bot.runtime.chains.clear()
            size.cold[command].append(bot.send(command, objective))
        settle(bot.runtime.chains)
        size.warm[command] = bot.send(command, objective)
    settle(bot.runtime.chains)


def timed_rounds(bot: Bot, result: BackendResult, requests: int, order: str) -> None:
    chooser = random.Random(dataset.SEED)
    objectives = [chooser.choice(bot.objective_keys) for _ in range(requests + WARM_UP_ROUNDS)]
    for n in range(WARM_UP_ROUNDS):
        for command in COMMANDS:
            bot.send(command, objectives[n])
    result.timed = {command: [] for command in COMMANDS}
    builds, build_mark = bot.runtime.chains.builds, BUILDS.mark()
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
    result.timed_builds = bot.runtime.chains.builds - builds
    result.timed_build_steps = BUILDS.since(build_mark)
    settle(bot.runtime.chains)


def after_writes(bot: Bot, result: BackendResult, samples: int) -> None:
    """`/okr update` of a key result by its owner, then `/okr status` of its objective: at
    once, and after the background rebuild the update started."""
    chooser = random.Random(f"{dataset.SEED}:writes")
    for n in range(2 * samples):
        waited = n % 2 == 1
        objective = chooser.choice(bot.objective_keys)
        key = f"kr-{objective.removeprefix('obj-')}-1"
        owner = bot.owner_of(key)
        value = round(chooser.uniform(10, 1000), 1)
        settle(bot.runtime.chains)
        build_mark = BUILDS.mark()
        update, reply, _ = bot.request(f"update {key} {value}", user=owner)
        check_recorded(key, reply)
        if waited:
            bot.runtime.chains.wait_idle(timeout=IDLE_SECONDS)
        status = bot.send("status", objective)
        settle(bot.runtime.chains)
        rebuild = [step for step in BUILDS.since(build_mark) if step.thread.startswith(BACKGROUND)]
        result.writes.append(WriteSample(waited, update, status, rebuild))


def run_backend(backend: str, *, requests: int, scales: tuple[float, float], order: str,
                writes: int) -> BackendResult:
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
            with phase(result, f"serve the {scale:g}× workspace"), \
                    served(url, built.objective_keys, size) as bot:
                say(f"[{backend}] chains warm {size.warm_up_seconds:.1f} s after the start")
                with phase(result, f"cold and warm statements at {scale:g}×"):
                    statements_of(bot, size, cold_samples=COLD_SAMPLES if n == 0 else 1)
                if n == 0:
                    with phase(result, f"{requests} timed rounds at {scale:g}×"):
                        timed_rounds(bot, result, requests, order)
                    if writes:
                        with phase(result, f"{writes}+{writes} updates at {scale:g}×"):
                            after_writes(bot, result, writes)
            databases.drop(url)
    finally:
        databases.stop()
    return result


# -- the table -------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def statement_cell(size: SizeResult, command: str) -> str:
    return f"{len(size.cold[command][0].statements)}/{len(size.warm[command].statements)}"


def deferred_cell(sent: list[Sent]) -> str:
    return f"{sum(s.deferred for s in sent)} of {len(sent)}"


def table(results: list[BackendResult]) -> list[str]:
    base, other = results[0].sizes[0].scale, results[0].sizes[1].scale
    head = ["backend", "command", "p50 ms", "p99 ms", "p99 / no-op p99",
            f"cold ack ms ({base:g}×)", f"cold answer ms ({base:g}×)", f"deferred ({base:g}×)",
            f"cold ack ms ({other:g}×)", f"cold answer ms ({other:g}×)",
            f"deferred ({other:g}×)", f"statements cold/warm {base:g}×",
            f"statements cold/warm {other:g}×"]
    rows = []
    for result in results:
        floor = percentile([s.answer_seconds for s in result.timed["noop"]], 0.99)
        for command in COMMANDS:
            seconds = [s.answer_seconds for s in result.timed[command]]
            p99 = percentile(seconds, 0.99)
            cold, cold_other = result.sizes[0].cold[command], result.sizes[1].cold[command]
            rows.append([
                result.backend, LABELS[command], ms(percentile(seconds, 0.5)), ms(p99),
                f"{p99 / floor:.2f}×",
                ms(statistics.median(s.seconds for s in cold)),
                ms(statistics.median(s.answer_seconds for s in cold)), deferred_cell(cold),
                ms(statistics.median(s.seconds for s in cold_other)),
                ms(statistics.median(s.answer_seconds for s in cold_other)),
                deferred_cell(cold_other),
                statement_cell(result.sizes[0], command), statement_cell(result.sizes[1], command)])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    right = set(range(2, len(head)))

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    out = [line(head), "|" + "|".join(("-" * (w + 1)) + (":" if i in right else "-")
                                      for i, w in enumerate(widths)) + "|"]
    out += [line(row) for row in rows]
    return out


def without_gc(sent: list[Sent]) -> float:
    """p99 of the latencies with the collector's pauses inside each request subtracted."""
    return percentile([s.answer_seconds - s.gc_seconds for s in sent], 0.99)


def statement_kinds(statements: list[Statement]) -> str:
    """What the statements were, in order, with their time: `SELECT metrics 80.0`, …"""
    names = []
    for statement in statements:
        words = statement.sql.split()
        verb = words[0].upper() if words else "?"
        if verb == "SELECT":
            tables = [words[i + 1].strip('"(),') for i, w in enumerate(words[:-1])
                      if w.upper() in ("FROM", "JOIN") and words[i + 1][0] != "("]
            if "measurements" in tables:
                name = "SELECT measurements"  # the last 12 of every metric
            elif "count(" in statement.sql.lower():
                name = f"SELECT count {tables[0] if tables else '?'}"
            else:
                name = f"SELECT {tables[0] if tables else '(subquery)'}"
        else:
            name = " ".join(words[:2]).upper()
        names.append(f"{name} {ms(statement.seconds)}")
    return ", ".join(names)


def sql_seconds(statements: list[Statement]) -> float:
    return sum(s.seconds for s in statements)


def step_seconds(builds: list[BuildStep], step: str) -> float:
    return sum(b.seconds for b in builds if b.step == step)


def steps(builds: list[BuildStep]) -> str:
    """`load_blueprints 1,234.5 ms (last-12 measurements 345.6) + build_chain 456.7 ms`
    (summed if more than one build)."""
    load, build = step_seconds(builds, "load"), step_seconds(builds, "build")
    if not builds:
        return "no build"
    if not load:
        return f"build_chain {ms(build)} ms (no database)"
    return (f"load_blueprints {ms(load)} ms (last-12 measurements "
            f"{ms(step_seconds(builds, 'measurements'))}) + build_chain {ms(build)} ms")


def cold_line(label: str, sent: Sent) -> str:
    how = "deferred" if sent.deferred else "answered in the ack"
    own = sent.own_statements
    ack_thread = own[0].thread if own else ""
    in_ack = sum(1 for s in own if s.thread == ack_thread)
    where = (f" ({in_ack} in the ack's thread, {len(own) - in_ack} in the lazy listener's)"
             if sent.deferred else "")
    full = [c for c in sent.collections if c.generation == 2]
    paused = (f"{len(full)} full garbage collection{'s' if len(full) != 1 else ''} "
              f"({ms(sum(c.seconds for c in full))} ms; "
              f"{sum(c.background for c in full)} in the chain cache's thread)"
              ) if full else "no full garbage collection"
    return (f"  {label}: ack {ms(sent.seconds)} ms, answer {ms(sent.answer_seconds)} ms "
            f"({how}); {steps(sent.builds)}; {paused} before the answer; "
            f"{len(own)} statements{where}, "
            f"{ms(sql_seconds(own))} ms inside cursor.execute (ms each): "
            f"{statement_kinds(own)}")


def spread(values: list[float]) -> str:
    """`median (min–max)` in ms."""
    if not values:
        return "–"
    return (f"{ms(statistics.median(values))} ms ({ms(min(values))}–{ms(max(values))})"
            if len(values) > 1 else f"{ms(values[0])} ms")


def write_line(result: BackendResult) -> str:
    parts = []
    for waited, label in ((False, "at once"), (True, "after chains.wait_idle()")):
        samples = [w for w in result.writes if w.waited == waited]
        if not samples:
            continue
        status = [w.status for w in samples]
        parts.append(f"{label}: deferred {sum(s.deferred for s in status)} of {len(status)}, "
                     f"ack {spread([s.seconds for s in status])}, "
                     f"answer {spread([s.answer_seconds for s in status])}, "
                     f"statements {'/'.join(str(len(s.own_statements)) for s in status)}, "
                     f"garbage collection inside them {ms(sum(s.gc_seconds for s in status))} ms")
    rebuilds = [w.rebuild for w in result.writes]
    update = [w.update.seconds for w in result.writes]
    return (f"  after /okr update (ack {spread(update)}), the next /okr status of its objective "
            + "; ".join(parts)
            + f"; the {len(rebuilds)} background rebuilds: load_blueprints "
            + spread([step_seconds(r, "load") for r in rebuilds]) + " + build_chain "
            + spread([step_seconds(r, "build") for r in rebuilds]))


def slow_acks(result: BackendResult) -> list[str]:
    """Every request whose acknowledgement took longer than Slack waits."""
    everything = [("timed " + c, s) for c, sent in result.timed.items() for s in sent]
    for size in result.sizes:
        everything += [(f"cold {c} {size.scale:g}×", s) for c, sent in size.cold.items()
                       for s in sent]
        everything += [(f"warm {c} {size.scale:g}×", s) for c, s in size.warm.items()]
    everything += [("status after a write", w.status) for w in result.writes]
    everything += [("update", w.update) for w in result.writes]
    return [f"{label} {ms(s.seconds)} ms" for label, s in everything
            if s.seconds > SLACK_SECONDS]


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
          "measured by the client until the answer (the ack, or the response_url post when "
          "deferred); p50/p99 nearest rank. Cold: after chains.wait_idle(); chains.clear(); "
          f"median of {COLD_SAMPLES} at {results[0].sizes[0].scale:g}×, one at "
          f"{results[0].sizes[1].scale:g}×.")
    print()
    for line in table(results):
        print(line)
    print()
    for result in results:
        floor = percentile([s.answer_seconds for s in result.timed["noop"]], 0.99)
        status = percentile([s.answer_seconds for s in result.timed["status"]], 0.99)
        verdict = "within" if status <= 3 * floor else "NOT within"
        timed = result.timed
        print(f"{result.backend}: /okr status p99 is {status / floor:.2f}× the no-op p99 — "
              f"{verdict} the 3× aim. {3 * requests} timed requests took "
              f"{result.timed_seconds:.1f} s; deferred among them: "
              + ", ".join(f"{c} {sum(s.deferred for s in timed[c])}" for c in COMMANDS)
              + f"; chains built in the background meanwhile: {result.timed_builds}"
              + (f" ({steps(result.timed_build_steps)})" if result.timed_builds else "")
              + f" (a chain older than {REFRESH_SECONDS:g} s is recomputed behind the request).")
        base = result.sizes[0]
        print("  start-up: chains warm "
              + ", ".join(f"{s.warm_up_seconds:.1f} s after the server started at {s.scale:g}× "
                          f"({s.warm_up_builds} build{'s' if s.warm_up_builds != 1 else ''}, "
                          f"{s.frozen:,} objects frozen)" for s in result.sizes))
        full = [c for sent in itertools.chain(*timed.values())
                for c in sent.collections if c.generation == 2]
        print(f"  garbage collection during the timed requests: {len(full)} full collections"
              + (f" ({sum(c.background for c in full)} in the chain cache's thread), "
                 f"{max(c.seconds for c in full) * 1000:.0f} ms the longest" if full else "")
              + "; requests that paid for one: "
              + ", ".join(f"{c} {sum(s.full_collections > 0 for s in timed[c])}"
                          for c in COMMANDS)
              + "; p99 with all GC pauses taken out: "
              + ", ".join(f"{c} {ms(without_gc(timed[c]))} ms" for c in COMMANDS))
        for size in result.sizes:
            cold = sorted(size.cold["status"], key=lambda s: s.answer_seconds)
            print(cold_line(f"cold /okr status at {size.scale:g}× (the median one)",
                            cold[len(cold) // 2]))
        warm = base.warm["status"]
        print(f"  warm /okr status: {ms(warm.answer_seconds)} ms, "
              f"{ms(sql_seconds(warm.statements))} ms of it inside cursor.execute (ms each): "
              f"{statement_kinds(warm.statements)}")
        if result.writes:
            print(write_line(result))
        slow = slow_acks(result)
        print(f"  acknowledgements slower than Slack's {SLACK_SECONDS:g} s: "
              + (", ".join(slow) if slow else "none"))
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
    parser.add_argument("--writes", type=int, default=3,
                        help="/okr update then /okr status, this many times at once and as "
                             "many after the background rebuild (0: none)")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    if args.writes < 0:
        parser.error("--writes must be 0 or more")
    # Warnings and errors only: at INFO every request would add a log line to stderr.
    configure_logging("WARNING", [BOT_TOKEN, SIGNING_SECRET])
    GC.start()
    BUILDS.install()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    results = [run_backend(backend, requests=args.requests,
                           scales=(args.scale, args.compare_scale), order=args.order,
                           writes=args.writes)
               for backend in backends]
    report(results, args.requests, args.order, time.perf_counter() - started)


if __name__ == "__main__":
    main()
