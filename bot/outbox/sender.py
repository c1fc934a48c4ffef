"""The `send-outbox` job: claim what is due, post it to Slack at its slot, record the answer.

No worker sleeps on a 429: the workspace is held until Retry-After in the database and the
run moves on. A message whose earlier attempt may have reached Slack (a timeout, a 5xx, a
worker gone while holding it) is looked for in its channel before it is posted again: every
post carries the message's outbox id in its metadata (docs/outbox.md).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import clock
from bot.job_outcome import Outcome
from bot.logs import structured
from bot.outbox.answers import (
    Sent,
    hold_opens,
    hold_workspace,
    mark_unsent,
    record_sent,
    release_late,
)
from bot.outbox.pacing import Attempt, OutboxLimits, Verdict, backoff, retry_after_seconds, verdict
from bot.outbox.posting import Poster
from bot.outbox.queue import OPEN_DM, Claim, claim_due, count_waiting, next_queued_at
from bot.process.heartbeat import process_prefix

if TYPE_CHECKING:
    from bot.job_context import JobContext

log = logging.getLogger(__name__)

# Slack's limits are in real seconds, whatever the app's clock says: a driven clock, or a test
# freezing it, must neither stop the sender's pacing nor end its run early or never. The
# function is held in a tuple so that freezegun, which replaces module attributes that are
# time's functions, leaves this one real.
_REAL_MONOTONIC = (time.monotonic,)


def _seconds() -> float:
    return _REAL_MONOTONIC[0]()

LATE = "late"  # the run's tally of slots given back
EVENT_TYPE = "okr_bot_outbox"  # the metadata every outbox post carries
HISTORY_PAGES = 5  # 1,000 messages back; a DM holds far fewer in one retry's span
# Slack's ts is the posting instant; look a little before the attempt, for clock skew.
CLOCK_SKEW = timedelta(seconds=30)


def worker_name(claimant: str | None = None) -> str:
    """host:pid:run, the run's name starting with its runtime's `claimant` (JobContext), so a
    runtime stopping can find and give back the claims it holds, and only those."""
    return f"{claimant or process_prefix()}{uuid.uuid4().hex[:8]}"


def send_outbox(context: JobContext, *, seconds: Callable[[], float] = _seconds) -> str:
    """Deliver what is due; stop when nothing more is due now, or after `run_seconds`.
    `seconds` is the real time the run paces on (a monotonic clock; a test's own)."""
    limits: OutboxLimits = context.outbox
    worker, tally, clients = worker_name(context.claimant), Counter[str](), dict[str, _Slack]()
    started, held = seconds(), False
    pace, booked = _Pace(limits, seconds), dict[str, datetime]()
    with ThreadPoolExecutor(max_workers=limits.concurrency,
                            thread_name_prefix="okr-bot-outbox") as pool, _closing(clients):
        # A process stopping (SIGTERM) claims no more; what it holds is sent or given back.
        while not context.stopping.is_set() and seconds() - started < limits.run_seconds:
            claims = claim_due(context.session_factory, worker=worker, now=context.now(),
                               limits=limits, booked=booked)
            if not claims:
                if held:
                    # A 429's hold (Retry-After) is in the database, so every worker honours
                    # it: this run ends rather than sleep, and asks to run again when it is
                    # over (no worker waits on Slack).
                    _after_hold(context)
                    break
                if context.outbox_wake.again():
                    continue  # committed since this claim began: taken now, not next tick
                break
            for team_id in {c.team_id for c in claims} - set(clients):
                clients[team_id] = _client(context, team_id, limits)
            batch = _Batch(claims, pace, context.now(), limits, seconds)
            sends = [pool.submit(_send_one, context, batch, clients[c.team_id], c, worker)
                     for c in claims]
            sent = []
            for send in sends:
                decided, done = send.result()
                if decided is not None:
                    tally[decided] += 1
                    held = held or decided is Verdict.HELD
                if done is not None:
                    sent.append(done)
            if record_sent(context.session_factory, sent, worker=worker,
                           now=context.now()) < len(sent):
                structured(log, logging.WARNING, "outbox_lease_lost",
                           messages=",".join(str(s.claim.id) for s in sent))
            release_late(context.session_factory, batch.late, worker=worker,
                         now=context.now())
            tally[LATE] += len(batch.late)
    waiting, first = count_waiting(context.session_factory)
    next_at = f" (next at {first.isoformat(timespec='seconds')})" if first else ""
    # Each slot given back is budget unused: the first sign of a machine too busy to pace.
    late = f"; {tally[LATE]} slots given back (late)" if tally[LATE] else ""
    return Outcome(f"sent {tally[Verdict.SENT]}, to retry {tally[Verdict.RETRY]}, failed "
                   f"{tally[Verdict.FAILED]}, rate-limited {tally[Verdict.HELD]}; "
                   f"{waiting} waiting{next_at}{late}", idle=not tally)


def _scope(claim: Claim) -> tuple[str, str]:
    """What a 429 to this claim holds: a post holds its workspace, an open ahead only the
    workspace's opens ahead."""
    return claim.team_id, "open" if claim.kind == OPEN_DM else "post"


def _after_hold(context: JobContext) -> None:
    first = next_queued_at(context.session_factory)
    if first is not None:
        context.outbox_wake.held_until((first - context.now()).total_seconds())


class _Pace:
    """The earliest real instant the next call of each kind may start, per workspace, across
    a run's claims: a send that fell behind its slot goes as soon as it may, but never closer
    to the one before than the budget's spacing, so catching up is no burst that Slack's
    one-second window would answer with a 429."""

    def __init__(self, limits: OutboxLimits, seconds: Callable[[], float]) -> None:
        self._seconds = seconds
        self._gaps = {"post": 60 / limits.messages_per_minute,
                      "open": 60 / limits.opens_per_minute}
        self._next: dict[tuple[str, str], float] = {}

    def reserve(self, scope: tuple[str, str], *, latest: float) -> float | None:
        """Seconds to wait before starting, the start booked now (the caller holds the batch's
        lock): one wait, never a loop on the clock, so a frozen clock cannot hang it. None,
        and nothing booked, when the start would come after `latest`: a call given back
        keeps no place in the spacing, or after a stall every later call of the run would
        queue behind the given-back ones and be late too."""
        now = self._seconds()
        at = max(now, self._next.get(scope, 0.0))
        if at > latest:
            return None
        self._next[scope] = at + self._gaps[scope[1]]
        return at - now


class _Batch:
    """One claim's messages, sent side by side, each at its slot (Slack's answers can take
    longer than the budget's spacing: one at a time would fall behind it). A 429 stops the
    messages it holds that have not started; they go back with the hold."""

    def __init__(self, claims: list[Claim], pace: _Pace, now: datetime,
                 limits: OutboxLimits, seconds: Callable[[], float]) -> None:
        self._claims = claims
        self._pace = pace
        self._seconds = seconds
        # Slots are on the app's clock and waited in real time: each slot's real instant is
        # fixed once, here, so a frozen or driven clock cannot hang a wait.
        self._began, self._now = seconds(), now
        self._late = limits.late.total_seconds()
        self._changed = threading.Condition()
        self._started: set[int] = set()
        self._held: set[tuple[str, str]] = set()
        self.late: list[Claim] = []  # gave their slots back: to be released

    def start(self, claim: Claim) -> bool:
        """Wait for the claim's slot; False if a 429 released it meanwhile (it wakes then,
        rather than at a slot that no longer holds) or if it could not start near its slot
        (then it is in `late`)."""
        slot = self._began + max(0.0, (claim.at - self._now).total_seconds())
        scope = _scope(claim)
        with self._changed:
            # Single waits, woken early only by a hold: wait_for loops on threading's clock,
            # which a frozen clock in tests stops, and would never return.
            if scope not in self._held and (delay := slot - self._seconds()) > 0:
                self._changed.wait(timeout=delay)
            if scope in self._held:
                return False
            spacing = self._pace.reserve(scope, latest=slot + self._late)
            if spacing is None:  # cannot start near its slot: given back
                self._started.add(claim.id)
                self.late.append(claim)
                return False
            if spacing > 0:
                self._changed.wait(timeout=spacing)
            if scope in self._held:
                return False
            self._started.add(claim.id)
            return True

    def hold(self, claim: Claim) -> list[Claim]:
        held = {_scope(claim)} if claim.kind == OPEN_DM else {
            (claim.team_id, "post"), (claim.team_id, "open")}
        with self._changed:
            self._held |= held
            self._changed.notify_all()
            unstarted = [c for c in self._claims
                         if _scope(c) in held and c.id not in self._started]
            self._started.update(c.id for c in unstarted)
            return unstarted


def _send_one(context: JobContext, batch: _Batch, client: _Slack, claim: Claim,
              worker: str) -> tuple[Verdict | None, Sent | None]:
    if not batch.start(claim):
        return None, None  # released by a 429 while it waited, or late: booked again
    if context.stopping.is_set():  # the process is stopping: never tried, so given back
        batch.late.append(claim)
        return None, None
    outcome, opened = _deliver(client, claim, context.now)
    decided = verdict(outcome, attempts=claim.attempts, limits=context.outbox)
    if context.metrics is not None:
        context.metrics.observe_delivery(claim, outcome, opened=opened)
    if decided is Verdict.SENT:
        assert outcome.channel is not None
        return decided, Sent(claim, outcome.ts, outcome.channel, opened)
    _record(context, claim, outcome, decided, worker, release=lambda: batch.hold(claim))
    return decided, None


@dataclass(frozen=True)
class _Slack:
    """A workspace's Web API for one run: posts on kept connections when they can be."""

    web: WebClient
    poster: Poster | None

    def post(self, params: dict[str, Any]) -> tuple[Any, Attempt | None]:
        if self.poster is not None:
            return self.poster.post(params)
        return _call(lambda: self.web.chat_postMessage(**params))


@contextmanager
def _closing(clients: dict[str, _Slack]) -> Iterator[None]:
    try:
        yield
    finally:
        for client in clients.values():
            if client.poster is not None:
                client.poster.close()


def _client(context: JobContext, team_id: str, limits: OutboxLimits) -> _Slack:
    """The workspace's client without retry handlers: a retried post is a blind resend, and
    a client that sleeps through Retry-After holds the worker; the outbox does both itself."""
    base = context.slack.client(team_id)
    web = WebClient(token=base.token, base_url=base.base_url, timeout=limits.send_timeout,
                    retry_handlers=[], proxy=base.proxy, ssl=base.ssl)
    return _Slack(web, Poster(web, timeout=limits.send_timeout)
                  if Poster.usable(web) else None)


def _call(request: Callable[[], Any]) -> tuple[Any, Attempt | None]:
    """Slack's answer, or the Attempt that says how the call failed."""
    try:
        return request(), None
    except SlackApiError as error:
        response = error.response
        data = response.data if isinstance(response.data, dict) else {}
        retry_after = None
        if response.status_code == 429:
            retry_after = retry_after_seconds(response.headers.get("Retry-After")
                                              or response.headers.get("retry-after"))
        reason = data.get("error") or ""  # a 5xx page is not JSON: slack_sdk's own words
        if response.status_code >= 500 or not reason:
            reason = f"HTTP {response.status_code}"
        return None, Attempt(error=str(reason), status=response.status_code,
                             retry_after=retry_after)
    except OSError as error:  # a timeout, a refused or dropped connection
        return None, Attempt(error=f"no answer from Slack: {error!r}"[:300], status=0)


def _deliver(slack: _Slack, claim: Claim,
             now: Callable[[], datetime]) -> tuple[Attempt, bool]:
    """What Slack made of the claim, and whether conversations.open gave its channel now."""
    channel, opened, client = claim.channel, False, slack.web
    if channel is None:
        assert claim.user_id is not None  # the table's check: a channel or a person
        user_id = claim.user_id
        answer, failure = _call(lambda: client.conversations_open(users=user_id))
        if failure is not None:
            return failure, False
        channel, opened = str(answer["channel"]["id"]), True
        if claim.kind == OPEN_DM:
            return Attempt(channel=channel, done=True), True
    if claim.check_since is not None:
        ts, failure = _find_posted(client, claim, channel, now())
        if failure is not None:
            return replace(failure, code=failure.error, error="checking whether an earlier "
                           f"attempt arrived: {failure.error}"), opened
        if ts is not None:
            return Attempt(ts=ts, channel=channel), opened
    posted, failure = slack.post({
        "channel": channel, "text": claim.payload["text"],
        **({"blocks": claim.payload["blocks"]} if claim.payload.get("blocks") else {}),
        **({"thread_ts": claim.payload["thread_ts"]} if claim.payload.get("thread_ts") else {}),
        "metadata": {"event_type": EVENT_TYPE,
                     "event_payload": {"outbox_id": claim.id, "kind": claim.kind}}})
    if failure is not None:
        return failure, opened
    return Attempt(ts=str(posted["ts"]), channel=str(posted.get("channel") or channel)), opened


def _find_posted(client: WebClient, claim: Claim, channel: str,
                 now: datetime) -> tuple[str | None, Attempt | None]:
    """The ts of this message if an earlier attempt did post it."""
    assert claim.check_since is not None
    # The mark is on the app's clock and Slack's ts on the real one. When the two disagree
    # (a driven clock in tests, `jobs run --at`), a window read from the mark can start after
    # the earlier post and miss it: then the newest pages are read instead, with no bound.
    oldest = None
    if abs(now - clock.real_now()) <= CLOCK_SKEW:
        oldest = f"{(claim.check_since - CLOCK_SKEW).timestamp():.6f}"
    cursor: str | None = None
    thread = claim.payload.get("thread_ts")  # a reply is found in its thread only
    for _ in range(HISTORY_PAGES):
        page, failure = _call(lambda c=cursor: _page(client, channel, thread, oldest, c))
        if failure is not None:
            return None, failure
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("outbox_id") == claim.id:
                return str(message["ts"]), None
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return None, None


def _page(client: WebClient, channel: str, thread: str | None, oldest: str | None,
          cursor: str | None) -> Any:
    if thread:
        return client.conversations_replies(channel=channel, ts=thread, oldest=oldest,
                                            include_all_metadata=True, limit=200, cursor=cursor)
    return client.conversations_history(channel=channel, oldest=oldest,
                                        include_all_metadata=True, limit=200, cursor=cursor)


def _record(context: JobContext, claim: Claim, outcome: Attempt, decided: Verdict,
            worker: str, *, release: Callable[[], list[Claim]]) -> None:
    """An attempt that did not get through: held, to retry, or failed, stored at once (a
    hold must reach the other workers before their next claim)."""
    limits: OutboxLimits = context.outbox
    now = context.now()
    if decided is Verdict.HELD:
        until = now + min(timedelta(seconds=outcome.retry_after or 60), limits.longest_hold)
        hold = hold_opens if claim.kind == OPEN_DM else hold_workspace
        hold(context.session_factory, claim.team_id, until=until,
             release=[claim, *release()], worker=worker, error=f"rate-limited: {outcome.error}")
    else:
        retry_at = None
        if decided is Verdict.RETRY:
            retry_at = now + backoff(claim.attempts, limits, uncertain=outcome.uncertain)
        mark_unsent(context.session_factory, claim, worker=worker, error=outcome.error or "",
                    retry_at=retry_at, uncertain=outcome.uncertain)
    structured(log, logging.INFO, "outbox_not_sent", message=claim.id, team=claim.team_id,
               verdict=str(decided), error=outcome.error, attempts=claim.attempts)
