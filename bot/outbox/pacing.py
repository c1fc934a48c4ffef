"""When each outbox message may go, and what to do after an attempt: pure, no I/O.

Slack's limits (docs/outbox.md): chat.postMessage about one message per second per channel
and a budget per workspace (several hundred a minute; a setting here), conversations.open in
Tier 3 (50+ a minute). A 429 says how long to stay away (Retry-After); 5xx answers and
timeouts are retried with a jittered, capped back-off.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class OutboxLimits:
    """The settings the sender runs by (OUTBOX_* in bot/config.py)."""

    messages_per_minute: int = 300  # chat.postMessage, the whole workspace
    opens_per_minute: int = 50  # conversations.open: Tier 3
    channel_seconds: float = 1.0  # between two messages to one channel
    max_attempts: int = 8  # then the message is failed, kept with its last error
    send_timeout: float = 10.0  # seconds one Web API call may take
    concurrency: int = 4  # calls in flight at once, each at its own slot
    # Long enough for an open, a check and a post, each up to send_timeout; a row whose
    # worker died is taken up again when its lease runs out.
    lease: timedelta = timedelta(minutes=2)
    horizon: timedelta = timedelta(seconds=5)  # how far ahead one claim books slots
    run_seconds: float = 50.0  # a run claims no more after this, so ticks stay short
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(minutes=15)
    # After an attempt whose outcome is unknown, Slack may still be posting it: wait before
    # looking in the channel for it, so the check does not come too early.
    settle: timedelta = timedelta(seconds=30)
    # The longest a 429 holds a workspace; a hold further ahead came from a clock that moved.
    longest_hold: timedelta = timedelta(hours=1)
    # A call that cannot start within this of its slot (a busy machine) gives the slot back
    # and is booked again; a claim that follows a budget booked ahead (by another process)
    # starts this much after it. So a worker that fell behind never sends on top of another
    # worker's slots, where together they would pass Slack's one-second window.
    late: timedelta = timedelta(milliseconds=250)
    # People due for a check-in within this span get their DM channel opened ahead.
    open_ahead: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Booking:
    """Slots for a claim: `slots[i]` for message i, None when it waits for a later claim;
    `open_slots` for the first `len(open_slots)` channels to open ahead; and where the
    workspace's budget stands after them."""

    slots: list[datetime | None]
    open_slots: list[datetime]
    next_post_at: datetime
    next_open_at: datetime


def book(messages: Sequence[tuple[str, bool]], *, now: datetime, next_post_at: datetime,
         next_open_at: datetime, limits: OutboxLimits, opens_ahead: int = 0,
         ours: bool = False) -> Booking:
    """Slots for messages in order, each `(channel key, needs conversations.open)`, within the
    horizon: spaced by the workspace budget, one per channel per `channel_seconds`, and an
    open before a post when the DM channel is not known yet. Then `opens_ahead` channels to
    open for later DMs take what is left of the open budget: a message due now comes first.
    `ours`: the budget ahead was booked by this same worker, whose calls keep their spacing
    across claims, so its next slots follow on without the margin another worker's need."""
    post_gap = timedelta(seconds=60 / limits.messages_per_minute)
    open_gap = timedelta(seconds=60 / limits.opens_per_minute)
    channel_gap = timedelta(seconds=limits.channel_seconds)
    end = now + limits.horizon
    # A budget booked further ahead than one claim books was booked on a clock that has
    # since moved back (a run `--at` a later instant, a corrected clock): it no longer holds.
    stale = end + limits.longest_hold
    next_post_at = now if next_post_at > stale else next_post_at
    next_open_at = now if next_open_at > stale else next_open_at
    post_at = (next_post_at + limits.late if next_post_at > now and not ours
               else max(now, next_post_at))
    open_at = max(now, next_open_at)
    channel_free: dict[str, datetime] = {}
    slots: list[datetime | None] = []
    for key, needs_open in messages:
        at = max(post_at, channel_free.get(key, now))
        if at > end:
            break  # post slots only grow from here: the rest waits for a later claim
        if needs_open:
            if open_at > end:
                # No open fits: this one waits, and the messages with a channel go on.
                slots.append(None)
                continue
            at = max(at, open_at)
            if at > end:
                slots.append(None)
                continue
            open_at += open_gap
        slots.append(at)
        post_at = at + post_gap
        channel_free[key] = at + channel_gap
    open_slots: list[datetime] = []
    while len(open_slots) < opens_ahead and open_at <= end:
        open_slots.append(open_at)
        open_at += open_gap
    posted = any(slot is not None for slot in slots)
    opened = open_slots or any(slot is not None and needs for slot, (_, needs)
                               in zip(slots, messages, strict=False))
    slots += [None] * (len(messages) - len(slots))
    return Booking(slots, open_slots, post_at if posted else next_post_at,
                   open_at if opened else next_open_at)


class Verdict(StrEnum):
    SENT = "sent"
    HELD = "held"  # a 429: the workspace waits for Retry-After, this message untouched
    RETRY = "retry"
    FAILED = "failed"


# Slack's `ok: false` errors that say "try later" rather than "this will never work".
TRANSIENT_ERRORS = frozenset({"ratelimited", "service_unavailable", "request_timeout",
                              "internal_error", "fatal_error", "team_added_to_org"})
# Errors after which Slack may or may not have posted the message.
UNCERTAIN_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})


@dataclass(frozen=True)
class Attempt:
    """What one call to Slack came to, as the sender saw it."""

    ts: str | None = None
    channel: str | None = None
    error: str | None = None
    status: int = 200  # HTTP status; 0 when no answer came (a timeout, a dropped connection)
    retry_after: float | None = None
    code: str | None = None  # Slack's error code when `error` words it for a person
    done: bool = False  # a call that posts nothing (an open ahead) got through

    @property
    def through(self) -> bool:
        return self.ts is not None or self.done

    @property
    def uncertain(self) -> bool:
        """Slack may have acted on the call without us seeing its answer."""
        return not self.through and (self.status == 0 or self.status >= 500
                                    or (self.code or self.error) in UNCERTAIN_ERRORS)


def retry_after_seconds(header: str | None) -> float:
    """Slack's Retry-After (whole seconds); a missing or odd header waits a minute."""
    try:
        return max(1.0, float(header)) if header is not None else 60.0
    except ValueError:
        return 60.0


def backoff(attempts: int, limits: OutboxLimits, *, uncertain: bool,
            rand: Callable[[], float] = random.random) -> timedelta:
    """How long before the next attempt: exponential from backoff_base, capped, with jitter
    (half to all of it) so workers that failed together do not come back together."""
    grown = limits.backoff_base * (2 ** max(0, attempts - 1))
    delay = min(grown, limits.backoff_cap) * (0.5 + rand() / 2)
    return max(delay, limits.settle) if uncertain else delay


def verdict(attempt: Attempt, *, attempts: int, limits: OutboxLimits) -> Verdict:
    if attempt.through:
        return Verdict.SENT
    if attempt.status == 429:
        return Verdict.HELD
    transient = attempt.uncertain or (attempt.code or attempt.error) in TRANSIENT_ERRORS
    if transient and attempts < limits.max_attempts:
        return Verdict.RETRY
    return Verdict.FAILED
