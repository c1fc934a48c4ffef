"""What the benchmarks measure besides the client's clock: the statements the engine sends, the
chain cache's work (through its `on_step` hook), the garbage collector's pauses; and the small
helpers every benchmark prints with."""

from __future__ import annotations

import gc
import math
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, event

from bot.okrs.store.cache import ChainCache

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
    # "load" (load_blueprints: the database), "build" (build_chain: no database), "update"
    # (a new measurement applied in place: reading it and recomputing what it feeds)
    step: str
    seconds: float
    thread: str


class BuildWatch:
    """Every piece of work the chain cache reports through its `on_step` hook (an attribute of
    the runtime's cache: nothing of the app is patched)."""

    def __init__(self) -> None:
        self.steps: list[BuildStep] = []
        self._lock = threading.Lock()

    def watch(self, chains: ChainCache) -> None:
        chains.on_step = self.record

    def record(self, step: str, seconds: float) -> None:
        with self._lock:
            self.steps.append(BuildStep(step, seconds, threading.current_thread().name))

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



def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def spread(values: list[float]) -> str:
    """`median (min–max)` in ms."""
    if not values:
        return "–"
    return (f"{ms(statistics.median(values))} ms ({ms(min(values))}–{ms(max(values))})"
            if len(values) > 1 else f"{ms(values[0])} ms")
