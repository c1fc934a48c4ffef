"""Writes that arrive together, answered together: one transaction for a group of requests.

At 200 `/okr update`s at once, each in its own transaction, an update cost four times a
`/okr help`: not in the database, but in SQLAlchemy running a dozen statements per request
(docs/performance.md). Here the requests of a subcommand that answers `Together` queue up;
the first to arrive leads: it takes every request queued so far (itself among them), answers
them in one transaction (one statement per step for all of them), commits, and hands the lead
to the next request waiting, if any. Nobody waits for a group to fill: a group is whatever
queued while the previous one ran.

Each request keeps what it had alone: its reply is its own (a refusal, a typo), a replayed
request gets the reply it got before and writes nothing, nothing commits once a request was
answered without us (too late for Slack: `commit_for`), and the group's waits end by the
soonest deadline among them. If the group's transaction fails, each request is answered alone,
in a transaction of its own, so one request's failure is never another's.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from slack_bolt.context.ack import Ack
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import deadline
from bot.db import UnitOfWork, commit_for
from bot.logs import structured
from bot.slack.blocks.errors import apology_message
from bot.slack.errors import new_reference
from bot.slack.receipts import Receipt, earlier_replies, record_requests
from bot.slack.router import CommandRequest, Together

log = logging.getLogger(__name__)

# The most requests one transaction answers: a larger group holds the write lock longer.
MOST = 64
# How long past its deadline a request still queued waits to be taken (a group runs by then).
GRACE_SECONDS = 0.2


# A group rolled back because some of it was answered without us is tried again without them
# this many times in all, before its requests are answered one by one.
ATTEMPTS = 3


class NotTakenInTime(TimeoutError):
    """The request's time for the database ran out before its work could commit (still
    queued, or answered without us meanwhile): nothing of it was stored."""


class _Abandoned(Exception):
    """A request of the group was answered without us: the transaction was rolled back."""


@dataclass(eq=False)
class _Request:
    command: CommandRequest
    trigger_id: str
    together: Together
    deadline: float | None  # bot/deadline.py's clock
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    reply: dict | None = None
    error: BaseException | None = None

    @property
    def unit_of_work(self) -> UnitOfWork:
        return self.command.unit_of_work


class Grouped:
    """One per runtime (bot/slack/app.py), shared by its request threads."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._leading = False
        self.in_hand = 0  # requests of the group being answered
        self.groups = 0  # transactions committed (bench.load prints them per burst)

    @property
    def waiting(self) -> int:
        """Requests queued for the next group."""
        with self._lock:
            return len(self._queue)

    def answer(self, command: CommandRequest, *, trigger_id: str, together: Together) -> dict:
        """The reply to `command`, answered with whatever arrives with it. Raises what its
        transaction raised (each request, alone, then failed), or NotTakenInTime."""
        request = _Request(command, trigger_id, together, deadline.current())
        with self._lock:
            self._queue.append(request)
            if not self._leading:
                self._leading = request.leads = True
        if not request.leads:
            self._wait(request)
        if request.leads:
            self._lead()
        if isinstance(request.error, NotTakenInTime):
            # Not a fault to trace: Slack's time ran out while the database was busy.
            reference = new_reference()
            structured(log, logging.WARNING, "update_not_taken_in_time", reference=reference,
                       team=command.team_id)
            return apology_message(reference)
        if request.error is not None:
            raise request.error
        assert request.reply is not None
        return request.reply

    def _wait(self, request: _Request) -> None:
        """Until answered, or handed the lead; NotTakenInTime if still queued past the
        deadline."""
        left = None if request.deadline is None else (
            request.deadline - deadline.clock() + GRACE_SECONDS)
        if request.woken.wait(timeout=None if left is None else max(left, 0.0)):
            return
        with self._lock:
            if request in self._queue:
                self._queue.remove(request)
                request.error = NotTakenInTime("still queued when its time ran out")
                return
        request.woken.wait()  # taken: its group ends by the soonest deadline among them

    def _lead(self) -> None:
        with self._lock:
            group = self._take()
            self.in_hand = len(group)
        try:
            if group:  # empty when the one handed the lead had just given up waiting
                self._answer(group)
        finally:
            with self._lock:
                self.in_hand = 0
                if self._queue:  # the next in line leads the next group
                    self._queue[0].leads = True
                    self._queue[0].woken.set()
                else:
                    self._leading = False
            for request in group:
                if not request.leads:
                    request.woken.set()

    def _take(self) -> list[_Request]:
        """The group: those queued, up to MOST; a second request with the same trigger_id
        (Slack's retry racing the first) waits for the next group, which finds its receipt."""
        group: list[_Request] = []
        seen: set[str] = set()
        for request in list(self._queue):
            if len(group) == MOST:
                break
            if request.trigger_id in seen:
                continue
            seen.add(request.trigger_id)
            group.append(request)
            self._queue.remove(request)
        return group

    def _answer(self, group: list[_Request]) -> None:
        """Answer the group in one transaction; without those answered meanwhile without us
        (too late for Slack: their work must not commit), if any were; and one by one if the
        transaction failed, so no request's failure is another's."""
        for _attempt in range(ATTEMPTS):
            group = self._still_awaited(group)
            if not group:
                return
            try:
                self._transaction(group)
                return
            except _Abandoned:
                continue  # rolled back: again without them
            except Exception as error:
                if len(group) == 1:
                    group[0].error = error
                    return
                structured(log, logging.WARNING, "group_answered_alone", requests=len(group),
                           error=type(error).__name__)
                break
        for request in self._still_awaited(group):
            try:
                self._transaction([request])
            except _Abandoned:
                request.error = NotTakenInTime("answered without us, too late for Slack")
            except Exception as alone:
                request.error = alone

    @staticmethod
    def _still_awaited(group: list[_Request]) -> list[_Request]:
        """Those whose answer Slack still waits for; the others are told they were late."""
        awaited = []
        for request in group:
            if request.unit_of_work.abandoned:
                request.error = NotTakenInTime("answered without us, too late for Slack")
            else:
                awaited.append(request)
        return awaited

    def _transaction(self, group: list[_Request]) -> None:
        """Answer the group in one transaction, committed for all or none (_Abandoned)."""
        deadlines = [r.deadline for r in group if r.deadline is not None]
        with deadline.until(min(deadlines, default=None)), self._session_factory() as session:
            try:
                replies = self._replies(session, group)
            except IntegrityError:
                if len(group) > 1:
                    raise
                # A replay racing the original committed its receipt first: answer as it was.
                session.rollback()
                replies = self._replies(session, group, writes=False)
            if not commit_for(session, [r.unit_of_work for r in group]):
                raise _Abandoned
        for request, reply in zip(group, replies, strict=True):
            request.reply = reply
        self.groups += 1

    def _replies(self, session: Session, group: list[_Request], *,
                 writes: bool = True) -> list[dict]:
        """Each request's reply: the one it got before (a replay), else its own answer, with
        a receipt for each that wrote."""
        earlier = earlier_replies(db_session=session, trigger_ids=[r.trigger_id for r in group])
        replies: dict[int, dict] = {i: json.loads(earlier[r.trigger_id])
                                    for i, r in enumerate(group) if r.trigger_id in earlier}
        if not writes and len(replies) < len(group):
            raise LookupError("a receipt clashed but none was found")
        receipts = []
        for together, places in _by_subcommand(group, skip=replies).items():
            answered = together.answer(session, [group[i].command for i in places])
            for i, (reply, wrote) in zip(places, answered, strict=True):
                replies[i] = reply
                if wrote:
                    receipts.append(Receipt(group[i].trigger_id, "command",
                                            group[i].command.team_id, _as_sent(reply)))
        record_requests(db_session=session, receipts=receipts)
        return [replies[i] for i in range(len(group))]


def _by_subcommand(group: list[_Request], *, skip: dict[int, dict]
                   ) -> dict[Together, list[int]]:
    found: dict[Together, list[int]] = {}
    for i, request in enumerate(group):
        if i not in skip:
            found.setdefault(request.together, []).append(i)
    return found


def _as_sent(reply: dict) -> str:
    """The reply's body as Bolt sends it for `ack(**reply)`: what a replay gets back."""
    body = Ack()(**reply).body
    return body if isinstance(body, str) else ""

