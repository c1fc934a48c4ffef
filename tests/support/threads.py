"""Running the same work in several threads at once, as two replicas or two ticks would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def side_by_side(work: Callable[[T], U], inputs: list[T], *, within: float) -> list[U]:
    """`work` on each input in its own thread, started together (a barrier); what each
    returned, or the first error any of them raised, in the test's thread."""
    start, results, errors = threading.Barrier(len(inputs)), [], []

    def run(given: T) -> None:
        try:
            start.wait(timeout=10)
            results.append(work(given))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(given,)) for given in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=within)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads), f"still running after {within} s"
    return results
