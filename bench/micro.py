"""Timing one call many times in-process, and the line each micro-benchmark prints for it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(calls: int, work: Callable[[int], object]) -> list[float]:
    """Microseconds of each of `calls` calls of `work(number)`."""
    out = []
    for number in range(calls):
        start = time.perf_counter()
        work(number)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def line(name: str, micros: list[float], statements: float) -> str:
    p95 = sorted(micros)[int(len(micros) * 0.95) - 1]
    return (f"  {name:<38} median {statistics.median(micros):8.1f} µs   p95 {p95:8.1f} µs   "
            f"{statements:4.1f} statements")
