"""Waking a runtime's sender when messages are committed, rather than at its next tick.

The check-in job commits a due minute's DMs a hundred at a time; the sender ticks every 5 s,
so the first DMs waited up to 5 s, which at 10,000 people cost the pacing efficiency a few
hundredths. Each runtime has one SenderWake (bot/scheduler.py JobContext): the job says
`queued()` after each commit, and the runtime's scheduler runs `send-outbox` at once, or, when
a run is going, that run claims again before it ends. Who runs what and when stays the
scheduler's: this only moves a tick earlier. Without a scheduler (`okr-bot jobs run`, tests
that run jobs by hand) nothing is attached and `queued()` only leaves word for the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class SenderWake:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued = False  # messages committed since a run last looked
        self._running = False  # a scheduled run is going (from began to ended)
        self._start: Callable[[], None] | None = None
        self._start_in: Callable[[float], None] | None = None

    def attach(self, start: Callable[[], None] | None,
               start_in: Callable[[float], None] | None = None) -> None:
        """What runs the sender now, and in so many seconds of the app's clock (the
        scheduler's); None to stop waking it."""
        with self._lock:
            self._start, self._start_in = start, start_in

    def held_until(self, seconds: float) -> None:
        """A 429 holds the workspace this long (Retry-After, in the database): the run ends,
        holding no worker, and the scheduler runs the sender again when the hold is over, if
        that is before its next tick. Without a scheduler (`okr-bot jobs run`) the next run
        takes what is due then."""
        with self._lock:
            start_in = self._start_in
        if start_in is not None:
            start_in(max(0.0, seconds))

    def queued(self) -> None:
        """Messages were committed: the sender is to take them now."""
        with self._lock:
            self._queued = True
            start = None if self._running else self._start
        if start is not None:
            start()

    def again(self) -> bool:
        """Whether messages were committed since the run last asked (or began): a run that
        found nothing to claim claims once more rather than end and leave them to a tick."""
        with self._lock:
            queued, self._queued = self._queued, False
        return queued

    def began(self) -> None:
        """A scheduled run starts: what was queued so far, it claims."""
        with self._lock:
            self._running, self._queued = True, False

    def ended(self) -> None:
        """A scheduled run is over, and the scheduler counts it no more (so a run started now
        is not refused as a second instance): one queued after its last claim starts now."""
        with self._lock:
            self._running = False
            start = self._start if self._queued else None
        if start is not None:
            start()
