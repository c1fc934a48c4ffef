"""Rate limits the fake Slack enforces when asked: above a rate, a call is answered 429 with
Retry-After, as Slack does, and is not acted on."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Rule:
    per_second: float
    per_channel: bool


class RateLimits:
    def __init__(self) -> None:
        self._rules: dict[str, _Rule] = {}
        self._accepted: dict[tuple[str, str | None], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.refused: dict[str, int] = defaultdict(int)  # calls answered 429, by method

    def limit(self, method: str, per_second: float, *, per_channel: bool = False) -> None:
        with self._lock:
            self._rules[method] = _Rule(per_second, per_channel)

    def retry_after(self, method: str, params: dict[str, Any]) -> int | None:
        """None when the call is within its limit (and counts against it from now); else the
        whole seconds Slack would say to wait."""
        rule = self._rules.get(method)
        if rule is None:
            return None
        # A sliding window of one second, so `per_second` below 1 is a one-call window.
        window = 1.0 if rule.per_second >= 1 else 1 / rule.per_second
        most = max(1, round(rule.per_second * window))
        key = (method, str(params.get("channel")) if rule.per_channel else None)
        now = time.monotonic()
        with self._lock:
            accepted = self._accepted[key]
            while accepted and accepted[0] <= now - window:
                accepted.popleft()
            if len(accepted) >= most:
                self.refused[method] += 1
                return max(1, math.ceil(accepted[0] + window - now))
            accepted.append(now)
            return None
