"""Built chains per workspace, kept warm so `/okr` commands rarely wait for one.

Building a chain is the slow part of every `/okr` read (about 1.5 s on a workspace with
1,000 objectives and 250,000 measurements: docs/performance.md); showing one from memory takes
milliseconds. So:

* A chain is good for as long as its workspace's data version holds (every import, `/okr
  update` and check-in bumps it).
* Past `REFRESH_SECONDS` it is still served, and a fresh one is built in the background from
  the same blueprints (pace and staleness move with the clock; the data did not), without
  reading the database. Past `MAX_STALE_SECONDS` (an idle workspace) it is recomputed from its
  blueprints before it is served.
* When a write commits in the server, the chain is rebuilt in the background at once
  (`refresh_after_commit`), so the next command finds it ready. A command that still finds no
  chain for the current version (a cold start, a plan imported from another process) is
  acknowledged first and answered through `response_url` (bot/slack/listeners/commands.py).
* One build per workspace at a time: a request that arrives during a build waits for it
  instead of starting a second one.
* A build runs with the cyclic garbage collector paused (it makes hundreds of thousands of
  objects and no garbage cycles worth chasing; at 1× the collector used to spend 0.3–0.4 s of
  a 1.2–2.5 s build walking them), and afterwards the collector is told the chain is
  long-lived (`gc.freeze`), so full collections stop walking it on every request's behalf.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.db import read_only_session_factory
from bot.logs import structured
from bot.okrs.method.chain import Blueprint, Chain, build_chain
from bot.okrs.store.loader import load_blueprints
from bot.okrs.store.models import Metric
from bot.people.models import Workspace
from bot.people.service import BUMPED

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0
# Older than this, a chain is not served while a fresh one is computed behind it: it is
# recomputed from its blueprints first (no database; about 0.3 s at 1,000 objectives).
MAX_STALE_SECONDS = 600.0
# A build this quick is done in the request, within Slack's 3 seconds; a slower one is
# acknowledged first. Without a build to go by, the plan's size decides: the benchmark's
# 550-metric workspace builds in 0.2–0.3 s, its 5,500-metric one in 1.5–2 s.
QUICK_BUILD_SECONDS = 0.5
QUICK_BUILD_METRICS = 600
# Chains this large are worth keeping out of the garbage collector's full passes.
FREEZE_FROM_NODES = 2000

Key = tuple[str, int]


@dataclass(frozen=True)
class _Entry:
    version: int
    built: datetime  # the present it was computed for (pace and staleness depend on it)
    chain: Chain
    blueprints: tuple[Blueprint, ...]
    build_seconds: float  # reading and building it, last time it was read from the database


def _key(engine: Engine, workspace_id: int) -> Key:
    # Keyed by database too: one process may serve (or test) more than one.
    return (engine.url.render_as_string(hide_password=True), workspace_id)


class ChainCache:
    """One per runtime (bot/serve.py `build_runtime`): two runtimes in a process share nothing."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS, *,
                 quick_build_seconds: float = QUICK_BUILD_SECONDS,
                 quick_build_metrics: int = QUICK_BUILD_METRICS) -> None:
        self.refresh_seconds = refresh_seconds
        self.quick_build_seconds = quick_build_seconds
        self.quick_build_metrics = quick_build_metrics
        self._entries: dict[Key, _Entry] = {}
        self._lock = threading.Lock()
        self._build_locks: dict[Key, threading.Lock] = {}
        self._queued: set[tuple[Key, str]] = set()
        # The cache's own worker, shut down with its runtime (close); its threads start on
        # first use.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="okr-bot-chains")
        self._closed = False
        self._submitted = 0
        self.builds = 0  # how many chains were built, for tests and the benchmark

    def __deepcopy__(self, memo: dict[int, object]) -> ChainCache:
        # Bolt deep-copies a request's context for its lazy listeners; the cache is the
        # runtime's, shared by every request, never copied.
        return self

    # -- what requests call ------------------------------------------------------------------
    def cached(self, db_session: Session, workspace: Workspace) -> Chain | None:
        """The chain for the workspace's current data version if one is built; None if it
        would have to be built first. An old one is still returned, and refreshed behind."""
        key = _key(db_session.get_bind(), workspace.id)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.version < workspace.data_version:
            return None
        # Ages on the app's clock (bot.clock), the one health is computed with; a clock that
        # went back (a test moving it, a corrected host clock) makes the chain stale too.
        age = (clock.now() - entry.built).total_seconds()
        if age < 0 or age >= MAX_STALE_SECONDS:
            return self._recompute(key, entry)
        if age >= self.refresh_seconds:
            self._submit(key, "recompute", lambda: self._recompute(key, entry))
        return entry.chain

    def quick_to_build(self, db_session: Session, workspace: Workspace) -> bool:
        """Whether building the workspace's chain in a request is safely within Slack's
        3 seconds: judged by the last build, or, before any, by the number of metrics."""
        key = _key(db_session.get_bind(), workspace.id)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            return entry.build_seconds < self.quick_build_seconds
        metrics = db_session.scalar(select(func.count(Metric.id))
                                    .where(Metric.workspace_id == workspace.id))
        return (metrics or 0) <= self.quick_build_metrics

    def chain(self, db_session: Session, workspace: Workspace, now: datetime) -> Chain:
        """The chain for the workspace's current data version, built in this session if need
        be (and once, however many requests ask at the same time)."""
        found = self.cached(db_session, workspace)
        if found is not None:
            return found
        key = _key(db_session.get_bind(), workspace.id)
        with self._build_lock(key):
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None and entry.version >= workspace.data_version:
                return entry.chain  # built by whoever held the lock before us
            started = time.perf_counter()
            with _collector_paused():
                blueprints = tuple(load_blueprints(db_session, workspace.id))
                chain = build_chain(blueprints, now)
            self._store(key, workspace.data_version, chain, blueprints,
                        time.perf_counter() - started)
        return chain

    def ensure(self, engine: Engine, workspace_id: int) -> None:
        """Build the workspace's chain now, in this thread, unless it is current."""
        self._reload(engine, workspace_id)

    # -- what the server calls ---------------------------------------------------------------
    def refresh_soon(self, engine: Engine, workspace_id: int) -> None:
        """Rebuild the workspace's chain in the background (after a write, at start-up)."""
        key = _key(engine, workspace_id)
        self._submit(key, "reload", lambda: self._reload(engine, workspace_id))

    def warm(self, engine: Engine) -> None:
        """Build every installed workspace's chain in the background (at start-up)."""

        def warm_all() -> None:
            with read_only_session_factory(engine)() as session:
                ids = session.scalars(select(Workspace.id)
                                      .where(Workspace.uninstalled_at.is_(None))).all()
            for workspace_id in ids:
                self._reload(engine, workspace_id)

        self._submit((_key(engine, 0)[0], 0), "warm", warm_all)

    def refresh_after_commit(self, session_factory: sessionmaker[Session]) -> None:
        """After every commit of these sessions that bumped a workspace's data version
        (`bot.people.service.bump_data_version` notes it), rebuild that workspace's chain."""
        from sqlalchemy import event

        def after_commit(session: Session) -> None:
            bumped = session.info.pop(BUMPED, None)
            if bumped:
                for workspace_id in bumped:
                    self.refresh_soon(session.get_bind(), workspace_id)

        def after_rollback(session: Session) -> None:
            session.info.pop(BUMPED, None)

        event.listen(session_factory, "after_commit", after_commit)
        event.listen(session_factory, "after_soft_rollback",
                     lambda session, _transaction: after_rollback(session))

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no background work is queued or running, including work that finished
        work queued (tests, benchmark)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                submitted = self._submitted
            done: Future[None] = self._executor().submit(lambda: None)
            done.result(timeout=max(0.0, deadline - time.monotonic()))
            with self._lock:
                if self._submitted == submitted and not self._queued:
                    return

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        """Stop the background worker (the runtime is closing): queued work is dropped; a
        build under way is not waited for (a hung database must not hold the shutdown)."""
        with self._lock:
            self._closed = True
            self._queued.clear()
        self._background.shutdown(wait=False, cancel_futures=True)

    # -- inside ------------------------------------------------------------------------------
    def _build_lock(self, key: Key) -> threading.Lock:
        with self._lock:
            return self._build_locks.setdefault(key, threading.Lock())

    def _store(self, key: Key, version: int, chain: Chain, blueprints: tuple[Blueprint, ...],
               build_seconds: float) -> None:
        with self._lock:
            current = self._entries.get(key)
            if current is not None and current.version > version:
                return  # a newer one landed meanwhile
            self._entries[key] = _Entry(version, chain.computed_at or clock.now(), chain,
                                        blueprints, build_seconds)
            self.builds += 1
        if len(chain.nodes) >= FREEZE_FROM_NODES:
            self._submit(("gc", 0), "settle", _settle_garbage)

    def _reload(self, engine: Engine, workspace_id: int) -> None:
        key = _key(engine, workspace_id)
        with self._build_lock(key):
            # A read-only session: on SQLite it does not hold the write lock while it reads.
            with read_only_session_factory(engine)() as session:
                version = session.scalar(select(Workspace.data_version)
                                         .where(Workspace.id == workspace_id))
                if version is None:
                    return
                with self._lock:
                    entry = self._entries.get(key)
                if entry is not None and entry.version >= version:
                    return
                started = time.perf_counter()
                with _collector_paused():
                    blueprints = tuple(load_blueprints(session, workspace_id))
            with _collector_paused():
                chain = build_chain(blueprints, clock.now())
            seconds = time.perf_counter() - started
            self._store(key, version, chain, blueprints, seconds)
        structured(log, logging.INFO, "chain_built", workspace=workspace_id, version=version,
                   nodes=len(chain.nodes), ms=round(seconds * 1000))

    def _recompute(self, key: Key, entry: _Entry) -> Chain:
        """The entry's chain computed again at the present time, from the same blueprints."""
        with self._build_lock(key):
            with self._lock:
                current = self._entries.get(key)
            if current is not entry and current is not None:
                return current.chain  # replaced meanwhile, by something at least as new
            with _collector_paused():
                chain = build_chain(entry.blueprints, clock.now())
            self._store(key, entry.version, chain, entry.blueprints, entry.build_seconds)
        return chain

    def _executor(self) -> ThreadPoolExecutor:
        return self._background

    def _submit(self, key: Key, kind: str, work: Callable[[], None]) -> None:
        """Queue `work` unless the same work for the same key is already queued."""
        with self._lock:
            if self._closed or (key, kind) in self._queued:
                return
            self._queued.add((key, kind))
            self._submitted += 1

        def run() -> None:
            with self._lock:
                self._queued.discard((key, kind))
            try:
                work()
            except Exception:
                log.exception("background chain work failed (%s)", kind)

        self._executor().submit(run)


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True
_frozen_when_settled = 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while any build runs (in any thread); reference
    counting still frees everything that is not in a cycle."""
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _settle_garbage() -> None:
    """Mark everything alive as permanent, so later full collections skip the cached chains
    (docs/performance.md). Chains hold no cycles, so a replaced one is freed by reference
    counting even when frozen; what a build may leave behind in cycles (the database session's
    objects) is collected for real, with one full pass, only once the frozen set has doubled
    since the last such pass, so that pass is rare and what can pile up stays bounded."""
    global _frozen_when_settled
    if gc.get_freeze_count() >= 2 * _frozen_when_settled:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _frozen_when_settled = gc.get_freeze_count()
    else:
        gc.freeze()

