"""Serving the real app for a benchmark: fresh databases on either backend, the ASGI app under
uvicorn in a thread with the fake Slack behind it, and a client that sends signed slash
commands as Slack does and checks each answer is the real one."""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from slack_bolt import Ack
from sqlalchemy import select

from bench import dataset
from bench.watch import (
    BUILDS,
    GC,
    IDLE_SECONDS,
    BuildStep,
    Sent,
    StatementCounter,
    settle,
)
from bot.config import load_settings
from bot.okrs.store.models import Metric
from bot.serve import Runtime, build_runtime
from bot.slack.blocks.working import WORKING_TEXT
from tests.fakes import FakeSlack, SlackReply, SlackSender
from tests.support.postgres import PostgresServer, find_bin_dir
from tests.support.server import serving

BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 (the fake Slack's)
SIGNING_SECRET = "bench-signing-secret-5d41402a"  # noqa: S105 (signs our own requests)
USER = "U0B00001"
SLACK_SECONDS = 3.0  # Slack shows the person an error if the acknowledgement takes longer


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
        BUILDS.watch(runtime.chains)
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

