"""The cyclic garbage collector around chain builds (bot/okrs/store/cache.py): paused while any
build runs, and told afterwards that the cached chains are long-lived."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True
_frozen_when_settled = 0


@contextmanager
def collector_paused() -> Iterator[None]:
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


def settle_garbage() -> None:
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

