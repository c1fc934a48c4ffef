"""The chain cache's background worker: one thread, owned by its cache (so by its runtime),
that runs each piece of work once however often it is asked for while it waits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

from bot import deadline

log = logging.getLogger(__name__)


class Background:
    def __init__(self, thread_name: str) -> None:
        self._lock = threading.Lock()
        # What is queued: when it was first asked for, and when it runs.
        self._queued: dict[Hashable, tuple[float, float]] = {}
        # Its thread starts on first use; `close` shuts it down with its runtime.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._closed = False
        self._submitted = 0

    def submit(self, name: Hashable, work: Callable[[], None], *, delay: float = 0.0,
               longest: float | None = None) -> None:
        """Queue `work` unless work of the same name is queued already; with `delay`, it stays
        queued (taking in the same work asked for meanwhile) that long before it runs. With
        `longest`, each ask while it is queued puts it off to `delay` after that ask, but never
        past `longest` after the first: a burst of asks is done once, after the burst."""
        now = deadline.clock()
        with self._lock:
            if self._closed:
                return
            if name in self._queued:
                if longest is not None:
                    first, _due = self._queued[name]
                    self._queued[name] = (first, min(now + delay, first + longest))
                return
            self._queued[name] = (now, now + delay)
            self._submitted += 1

        def run() -> None:
            while True:
                with self._lock:
                    if self._closed:
                        self._queued.pop(name, None)
                        return  # closed while it waited out its delay
                    left = self._queued[name][1] - deadline.clock()
                    if left <= 0:
                        del self._queued[name]
                        break
                time.sleep(left)
            try:
                work()
            except Exception:
                if self._closed:
                    # Its runtime closed under it (engine disposed, database gone): expected
                    # at shutdown, and by then the log's stream may be closed too.
                    log.debug("background chain work stopped by close (%s)", name,
                              exc_info=True)
                else:
                    log.exception("background chain work failed (%s)", name)

        self._executor.submit(run)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is queued or running, including work that finished work queued
        (tests, benchmark)."""
        until = time.monotonic() + timeout
        while True:
            with self._lock:
                submitted = self._submitted
            done: Future[None] = self._executor.submit(lambda: None)
            done.result(timeout=max(0.0, until - time.monotonic()))
            with self._lock:
                if self._submitted == submitted and not self._queued:
                    return

    def close(self) -> None:
        """Queued work is dropped; work under way is not waited for (a hung database must not
        hold a shutdown)."""
        with self._lock:
            self._closed = True
            self._queued.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
