"""Built chains per workspace, kept warm so `/okr` commands rarely wait for one.

Building a chain is the slow part of every `/okr` read (about 1.5 s on a workspace with
1,000 objectives and 250,000 measurements: docs/performance.md); showing one from memory takes
milliseconds. So:

* A chain is good for as long as its workspace's data version holds (an import bumps it:
  the plan changed, the chain is read again whole). A new measurement does not touch it: it
  adds a line to the metric change log (bot/okrs/store/changes.py), and the next read applies
  the lines it has not seen, recomputing only the metrics they name and what depends on them,
  up to the North Star (`update_chain`): the same chain a full rebuild gives, in milliseconds.
* Past `REFRESH_SECONDS` it is still served, and a fresh one is built in the background from
  the same blueprints (pace and staleness move with the clock; the data did not), without
  reading the database. Past `MAX_STALE_SECONDS` (an idle workspace) it is recomputed from its
  blueprints before it is served.
* When a write commits in the server, the chain is brought up to date in the background at
  once (`refresh_after_commit`), so the next command finds it ready. A command that still
  finds no chain for the current version (a cold start, a plan imported from another process)
  is acknowledged first and answered through `response_url` (bot/slack/listeners/commands.py).
* One build or update per workspace at a time: a request that arrives during one waits for
  it instead of starting a second.
* A build runs with the cyclic garbage collector paused (it makes hundreds of thousands of
  objects and no garbage cycles worth chasing; at 1× the collector used to spend 0.3–0.4 s of
  a 1.2–2.5 s build walking them), and afterwards the collector is told the chain is
  long-lived (`gc.freeze`), so full collections stop walking it on every request's behalf.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.db import read_only_session_factory
from bot.logs import structured
from bot.okrs.method.chain import Blueprint, Chain, NodeId, build_chain
from bot.okrs.method.chain_update import update_chain
from bot.okrs.store.background import Background
from bot.okrs.store.changes import (
    READ_AT_LEAST_EVERY,
    Changes,
    LogPosition,
    changes_since,
    position_now,
)
from bot.okrs.store.collector import collector_paused, settle_garbage
from bot.okrs.store.loader import load_blueprints, recent_measurements
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
_CHECKED = "okr_bot_chain_log_checked"  # Session.info: (transaction, entry) last caught up


@dataclass(frozen=True)
class _Entry:
    version: int  # the workspace's data version (its plan) the chain was loaded for
    log: LogPosition  # how far the measurement change log is applied to it
    built: datetime  # the present it was computed for (pace and staleness depend on it)
    chain: Chain
    blueprints: tuple[Blueprint, ...]
    metric_nodes: dict[int, NodeId]  # metric id → its node, for refreshing its measurements
    places: dict[NodeId, int]  # node → its blueprint's index in `blueprints`
    build_seconds: float  # reading and building it, last time it was read from the database


def _key(engine: Engine, workspace_id: int) -> Key:
    # Keyed by database too: one process may serve (or test) more than one.
    return (engine.url.render_as_string(hide_password=True), workspace_id)


# How long a request waits for another thread applying new measurements before it answers
# from the chain as it is (applying takes milliseconds; a whole rebuild, seconds).
CATCH_UP_WAIT_SECONDS = 0.5
# After a write the background waits this long before applying it, and each write meanwhile
# puts it off again, up to AFTER_WRITES_AT_MOST after the first: a burst of writes (a Monday's
# check-ins, 200 `/okr update`s at once) is applied once, after the burst or every half
# second, not batch after batch competing with the burst's own requests for the interpreter.
# A read meanwhile applies what it needs itself.
AFTER_WRITE_SECONDS = 0.1
AFTER_WRITES_AT_MOST = 0.5


class ChainCache:
    """One per runtime (bot/serve.py `build_runtime`): two runtimes in a process share nothing.

    `on_step`, when set, is called after each piece of work with its name ("load": reading a
    plan from the database, "build": `build_chain`, "update": applying changed metrics) and its
    seconds, in the thread that did it: how the benchmark sees where the time goes."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS, *,
                 quick_build_seconds: float = QUICK_BUILD_SECONDS,
                 quick_build_metrics: int = QUICK_BUILD_METRICS) -> None:
        self.refresh_seconds = refresh_seconds
        self.quick_build_seconds = quick_build_seconds
        self.quick_build_metrics = quick_build_metrics
        self.on_step: Callable[[str, float], None] | None = None
        self._entries: dict[Key, _Entry] = {}
        self._lock = threading.Lock()
        self._build_locks: dict[Key, threading.RLock] = {}
        self._background = Background("okr-bot-chains")  # shut down with its runtime (close)
        self._log_read: dict[Key, datetime] = {}  # when each entry last read the change log
        self.builds = 0  # chains loaded or recomputed whole, for tests and the benchmark
        self.updates = 0  # chains brought up to date by recomputing only changed metrics
        self.hits = self.misses = 0  # `cached` found a chain, or not (for /metrics)

    def __deepcopy__(self, memo: dict[int, object]) -> ChainCache:
        # Bolt deep-copies a request's context for its lazy listeners; the cache is the
        # runtime's, shared by every request, never copied.
        return self

    # -- what requests call ------------------------------------------------------------------
    def cached(self, db_session: Session, workspace: Workspace) -> Chain | None:
        """The chain for the workspace's current plan, with every measurement recorded so far,
        if one is loaded; None if it would have to be loaded first. New measurements are
        applied here (only what they feed is recomputed: milliseconds). An old one is still
        returned, and refreshed behind."""
        key = _key(db_session.get_bind(), workspace.id)
        entry = self._entry(key)
        if entry is None or entry.version < workspace.data_version:
            self.misses += 1
            return None
        self.hits += 1
        # The log is read once per transaction: a command asks whether it can answer now,
        # then for the chain, and a second read would find nothing the first did not.
        checked = db_session.info.get(_CHECKED)
        transaction = db_session.get_transaction()
        if checked is None or checked[0] is not transaction or checked[1] is not entry:
            entry = self._catch_up(db_session, key, entry, wait=False)
            db_session.info[_CHECKED] = (transaction, entry)
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
        entry = self._entry(_key(db_session.get_bind(), workspace.id))
        if entry is not None:
            return entry.build_seconds < self.quick_build_seconds
        metrics = db_session.scalar(select(func.count(Metric.id))
                                    .where(Metric.workspace_id == workspace.id))
        return (metrics or 0) <= self.quick_build_metrics

    def chain(self, db_session: Session, workspace: Workspace, now: datetime) -> Chain:
        """The chain for the workspace's current data, built in this session if need be (and
        once, however many requests ask at the same time)."""
        found = self.cached(db_session, workspace)
        if found is not None:
            return found
        key = _key(db_session.get_bind(), workspace.id)
        with self._build_lock(key):
            entry = self._entry(key)
            if entry is not None and entry.version >= workspace.data_version:
                return self._catch_up(db_session, key, entry).chain  # loaded by whoever
            return self._load(db_session, key, workspace.data_version, now).chain

    def ensure(self, engine: Engine, workspace_id: int) -> None:
        """Bring the workspace's chain up to date now, in this thread."""
        self._reload(engine, workspace_id)

    # -- what the server calls ---------------------------------------------------------------
    def refresh_soon(self, engine: Engine, workspace_id: int) -> None:
        """Bring the workspace's chain up to date in the background (after a write, at
        start-up): the measurements written since, or the whole plan after an import."""
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
        """After every commit of these sessions that changed a workspace's plan or
        measurements (`bump_data_version` and `note_changed` note it), bring that workspace's
        chain up to date."""
        from sqlalchemy import event

        def after_commit(session: Session) -> None:
            bumped = session.info.pop(BUMPED, None)
            if bumped:
                for workspace_id in bumped:
                    engine = session.get_bind()
                    self._submit(_key(engine, workspace_id), "reload",
                                 functools.partial(self._reload, engine, workspace_id),
                                 delay=AFTER_WRITE_SECONDS, longest=AFTER_WRITES_AT_MOST)

        def after_rollback(session: Session) -> None:
            session.info.pop(BUMPED, None)

        event.listen(session_factory, "after_commit", after_commit)
        event.listen(session_factory, "after_soft_rollback",
                     lambda session, _transaction: after_rollback(session))

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no background work is queued or running (tests, benchmark)."""
        self._background.wait_idle(timeout)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._log_read.clear()

    def close(self) -> None:
        """Stop the background worker (the runtime is closing)."""
        self._background.close()

    # -- inside ------------------------------------------------------------------------------
    def _entry(self, key: Key) -> _Entry | None:
        """The cached entry, unless it has not read the change log for so long that lines it
        never applied may have been pruned since (changes.READ_AT_LEAST_EVERY): then it is
        loaded again, as if it were not cached."""
        now = clock.now()
        with self._lock:
            entry, read = self._entries.get(key), self._log_read.get(key)
        if entry is None or read is None or not read <= now < read + READ_AT_LEAST_EVERY:
            return None
        return entry

    def _log_read_at(self, key: Key, at: datetime) -> None:
        with self._lock:
            self._log_read[key] = max(at, self._log_read.get(key, at))

    def _build_lock(self, key: Key) -> threading.RLock:
        # Re-entrant: loading a chain may go on to apply the changes written meanwhile.
        with self._lock:
            return self._build_locks.setdefault(key, threading.RLock())

    def _timed(self, step: str, started: float) -> float:
        seconds = time.perf_counter() - started
        if self.on_step is not None:
            self.on_step(step, seconds)
        return seconds

    def _store(self, key: Key, entry: _Entry, *, whole: bool) -> _Entry:
        with self._lock:
            current = self._entries.get(key)
            if current is not None and ((current.version, current.log.last)
                                        > (entry.version, entry.log.last)):
                return current  # a newer one landed meanwhile
            self._entries[key] = entry
            if whole:
                self.builds += 1
            else:
                self.updates += 1
        if whole and len(entry.chain.nodes) >= FREEZE_FROM_NODES:
            self._submit(("gc", 0), "settle", settle_garbage)
        return entry

    def _load(self, db_session: Session, key: Key, version: int, now: datetime) -> _Entry:
        """Read the workspace's whole plan and build its chain (the caller holds the build
        lock)."""
        started = time.perf_counter()
        metric_nodes: dict[int, NodeId] = {}
        reading = clock.now()
        with collector_paused():
            position = position_now(db_session, key[1])
            blueprints = tuple(load_blueprints(db_session, key[1], metric_nodes=metric_nodes))
        loaded = self._timed("load", started)
        building = time.perf_counter()
        with collector_paused():
            chain = build_chain(blueprints, now)
        self._timed("build", building)
        entry = _Entry(version, position, chain.computed_at or now, chain, blueprints,
                       metric_nodes, {b.id: i for i, b in enumerate(blueprints)},
                       loaded + time.perf_counter() - building)
        self._log_read_at(key, reading)
        return self._store(key, entry, whole=True)

    def _catch_up(self, db_session: Session, key: Key, entry: _Entry, *,
                  wait: bool = True) -> _Entry:
        """The entry with every measurement written since it was read applied: the changed
        metrics' latest measurements read again, and only they and what depends on them
        recomputed, at the present the chain was computed for. With `wait` false, a request
        does not queue behind a whole build (a recompute takes seconds on a large plan): it is
        answered from the entry as it is, and the changes are applied behind it."""
        started, reading = time.perf_counter(), clock.now()
        changes = changes_since(db_session, key[1], entry.log)
        if not changes.metric_ids:
            # Nothing new (on PostgreSQL only the window of recent lines moved): the entry
            # stays as it is, indexes over its chain and all.
            self._log_read_at(key, reading)
            return entry
        lock = self._build_lock(key)
        # Without `wait`, still wait the moment an in-place update takes (the background
        # applying this very write, as a command right after its /okr update finds): a person
        # reads their own writes. Only a whole rebuild outlasts it.
        if not lock.acquire(timeout=-1 if wait else CATCH_UP_WAIT_SECONDS):
            self.refresh_soon(db_session.get_bind(), key[1])
            return entry
        try:
            applied = self._apply(db_session, key, entry, changes, started)
            self._log_read_at(key, reading)
            return applied
        finally:
            lock.release()

    def _apply(self, db_session: Session, key: Key, entry: _Entry, changes: Changes,
               started: float) -> _Entry:
        current = self._entry(key)
        if current is not entry and current is not None:
            if current.version != entry.version:
                return current
            entry = current  # someone applied some meanwhile: start from theirs
            changes = changes_since(db_session, key[1], entry.log)
            if not changes.metric_ids:
                return entry
        measured = {metric_id: node_id for metric_id, node_id in entry.metric_nodes.items()
                    if metric_id in changes.metric_ids}
        recent = recent_measurements(db_session, measured)
        place, blueprints = entry.places, list(entry.blueprints)
        for metric_id, node_id in measured.items():
            i = place[node_id]
            blueprints[i] = replace(blueprints[i],
                                    measurements=tuple(recent.get(metric_id, ())))
        replaced = [blueprints[place[node_id]] for node_id in measured.values()]
        # A measurement taken after the chain's present would not count yet: compute
        # what it feeds at today's present (the rest catches up at the next refresh).
        present = entry.chain.computed_at or entry.built
        newest = max((m.measured_at for b in replaced for m in b.measurements),
                     default=present)
        with collector_paused():
            chain = update_chain(entry.chain, replaced,
                                 clock.now() if newest > present else present)
        self._timed("update", started)
        return self._store(key, replace(entry, log=changes.position, chain=chain,
                                        blueprints=tuple(blueprints)), whole=False)

    def _reload(self, engine: Engine, workspace_id: int) -> None:
        key = _key(engine, workspace_id)
        # A read-only session: on SQLite it does not hold the write lock while it reads.
        with self._build_lock(key), read_only_session_factory(engine)() as session:
            version = session.scalar(select(Workspace.data_version)
                                     .where(Workspace.id == workspace_id))
            if version is None:
                return
            entry = self._entry(key)
            if entry is not None and entry.version >= version:
                self._catch_up(session, key, entry)
                return
            entry = self._load(session, key, version, clock.now())
        structured(log, logging.INFO, "chain_built", workspace=workspace_id, version=version,
                   nodes=len(entry.chain.nodes), ms=round(entry.build_seconds * 1000))

    def _recompute(self, key: Key, entry: _Entry) -> Chain:
        """The entry's chain computed again at the present time, from the same blueprints."""
        with self._build_lock(key):
            current = self._entry(key)
            if current is not entry and current is not None:
                return current.chain  # replaced meanwhile, by something at least as new
            started = time.perf_counter()
            with collector_paused():
                chain = build_chain(entry.blueprints, clock.now())
            self._timed("build", started)
            self._store(key, replace(entry, built=chain.computed_at or clock.now(),
                                     chain=chain), whole=True)
        return chain

    def _submit(self, key: Key, kind: str, work: Callable[[], None], *,
                delay: float = 0.0, longest: float | None = None) -> None:
        self._background.submit((key, kind), work, delay=delay, longest=longest)
