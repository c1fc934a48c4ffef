"""The one place that says what time it is, so tests can freeze, move or drive it.

Everything reads `now()`. By default that is the real time (which freezegun freezes and moves
in tests); a runtime may drive it instead (`OKR_BOT_CLOCK_START`, `OKR_BOT_CLOCK_SPEED` for
end-to-end tests, `okr-bot jobs run --at`) with `drive`, and puts the real time back after.
Nothing sets it at import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def real_now() -> datetime:
    """The real (or frozen) current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DrivenClock:
    """A clock that reads `start` when made and then runs `speed` times as fast as real time."""

    start: datetime
    speed: float = 1.0
    # Elapsed time is measured on the monotonic clock, so moving the system clock cannot move
    # the app's (freezegun freezes this one too, so it is looked up when called).
    _began: float = field(default_factory=lambda: time.monotonic(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError(f"naive start {self.start!r}: a driven clock starts at an instant")
        if not self.speed > 0:
            raise ValueError(f"speed must be above 0, not {self.speed!r}")

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._began
        return self.start.astimezone(UTC) + timedelta(seconds=elapsed * self.speed)


_lock = threading.Lock()
# The process's clock: the real one unless a runtime drives it. One per process, because every
# layer (stored timestamps, caches, Slack signatures) must agree on the time.
_driver: DrivenClock | None = None


def now() -> datetime:
    """The current instant on the app's clock, timezone-aware, in UTC."""
    driver = _driver
    return driver.now() if driver is not None else real_now()


def driven() -> DrivenClock | None:
    """The clock driving the app, if one does."""
    return _driver


def drive(driver: DrivenClock) -> Callable[[], None]:
    """Make `now()` read `driver` until the returned function is called."""
    global _driver
    with _lock:
        if _driver is not None:
            raise RuntimeError("the app's clock is already driven; one driver per process")
        _driver = driver

    def release() -> None:
        global _driver
        with _lock:
            if _driver is driver:
                _driver = None

    return release


@contextmanager
def driven_by(driver: DrivenClock) -> Iterator[DrivenClock]:
    release = drive(driver)
    try:
        yield driver
    finally:
        release()
