"""Bolt middleware and hooks: typed text checked at the door, a database unit of work per
request, event de-duplication and replayed requests answered from their receipt."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import UnitOfWork, read_only_session_factory
from bot.logs import structured
from bot.slack.blocks.update import problem
from bot.slack.clients import SlackClients
from bot.slack.receipts import claim_event, earlier_reply, record_request
from bot.slack.router import Router

log = logging.getLogger(__name__)


# Line breaks and tabs are text; every other control character (NUL, ESC, DEL, C1) is not:
# PostgreSQL refuses NUL outright and SQLite would store it, so both refuse it here.
ALLOWED_CONTROLS = frozenset("\n\t\r")


def control_characters(text: str) -> list[str]:
    """The control characters in `text` that are not line breaks or tabs, as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS})


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _json_response(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload),
                        headers={"content-type": "application/json;charset=utf-8"})


def refuse_control_characters(body: dict, next: Callable[[], None]) -> BoltResponse | None:
    """Typed text with a control character in it is answered at once, before anything runs:
    a slash command with an ephemeral message, a modal with an error under each such input."""
    if "command" in body:
        found = control_characters(str(body.get("text") or ""))
        if found:
            return _json_response(problem(
                f"What you typed contains {', '.join(found)}, a control character that cannot "
                "be stored (it often comes with text pasted from a terminal). Type it again "
                "without it. Nothing was recorded."))
    elif body.get("type") == "view_submission":
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        errors = {block_id: "This contains a control character that cannot be stored "
                            f"({', '.join(found)}). Type it again without it."
                  for block_id, inputs in values.items()
                  if (found := sorted({c for text in _strings(inputs)
                                       for c in control_characters(text)}))}
        if errors:
            return _json_response({"response_action": "errors", "errors": errors})
    next()
    return None


# Set on a request's context by the HTTP edge when it answered for us, too late for Slack.
ABANDONED = "okr_abandoned"


def attach_unit_of_work(session_factory: sessionmaker[Session], *, chains: Any, router: Router,
                        slack: SlackClients, grouped: Any) -> Callable[..., None]:
    """Each request's unit of work, and what it shares with every other request of the
    runtime (bot/serve.py): the chain cache, the `/okr` router, the Slack client resolver and
    the queue of writes answered together (bot/slack/grouped.py). The request's `client` is
    the one the resolver gives its team."""

    def attach_unit_of_work(body: dict, context: BoltContext,
                            next: Callable[[], None]) -> None:
        context["unit_of_work"] = unit_of_work = UnitOfWork(session_factory)
        if context.get(ABANDONED):  # the HTTP edge answered already: nothing may commit
            unit_of_work.abandon()
        context["chains"] = chains
        context["router"] = router
        context["slack"] = slack
        context["grouped"] = grouped
        # An event for an org-wide install may name its workspace only at the top level.
        context["client"] = slack.client(context.team_id or body.get("team_id"),
                                         context.enterprise_id)
        next()

    return attach_unit_of_work


def db_session(context: BoltContext) -> Session:
    """The request's session (opened on first use)."""
    return context["unit_of_work"].session


def skip_duplicate_events(body: dict, context: BoltContext,
                          next: Callable[[], None]) -> BoltResponse | None:
    """Answer a repeated delivery of an event we already took with 200, and do nothing else."""
    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not event_id:
        next()
        return None
    event_type = (body.get("event") or {}).get("type", "unknown")
    if claim_event(db_session=db_session(context), event_id=event_id, event_type=event_type,
                   slack_team_id=body.get("team_id")):
        next()
        return None
    structured(log, logging.INFO, "duplicate_event_skipped", event_id=event_id,
               event_type=event_type, team=body.get("team_id"))
    return BoltResponse(status=200, body="")


REQUEST_KINDS = {"block_actions": "action", "view_submission": "view"}
RECEIPT = "okr_request_receipt"  # context key: (trigger_id, kind) to record with the work


def _replayable(body: dict) -> tuple[str, str] | None:
    kind = "command" if "command" in body else REQUEST_KINDS.get(body.get("type") or "")
    trigger_id = body.get("trigger_id")
    return (trigger_id, kind) if kind and trigger_id else None


def _reply_response(reply: str) -> BoltResponse:
    return BoltResponse(status=200, body=reply)  # labelled JSON when it is


def answer_replays(body: dict, context: BoltContext,
                   next: Callable[[], None]) -> BoltResponse | None:
    """A command, click or submission whose work was committed before (the same signed
    request, sent again within the five minutes its signature holds) gets the same reply and
    does nothing. A click or submission on SQLite is looked up in a session of its own, which
    never takes the write lock: many only read."""
    replayable = _replayable(body)
    if replayable is None:
        next()
        return None
    trigger_id, kind = replayable
    if kind == "command":
        route = context["router"].resolve(body.get("text") or "")
        if not route.writes or route.together is not None:
            # It only reads: a replay does no harm, and none is recorded to look up. Or it is
            # answered with others (bot/slack/grouped.py), whose transaction looks it up.
            next()
            return None
    unit_of_work = context["unit_of_work"]
    if kind == "command":
        # In the command's own transaction: a command that reaches here writes (it takes
        # SQLite's write lock for its work anyway), and a second session cost a connection
        # checkout, its ping and a transaction of its own per write.
        reply = earlier_reply(db_session=unit_of_work.session, trigger_id=trigger_id)
    else:
        with read_only_session_factory(unit_of_work.engine)() as session:
            reply = earlier_reply(db_session=session, trigger_id=trigger_id)
    if reply is None:
        context[RECEIPT] = replayable
        next()
        return None
    unit_of_work.finish(commit=False)  # no listener runs, so nothing else would end it
    structured(log, logging.INFO, "replay_answered", kind=kind, team=context.team_id)
    return _reply_response(reply)


class CommitUnitOfWork(ListenerCompletionHandler):
    """After a listener: commit what it did, with the request's receipt if it wrote something.
    The error handler has rolled back if it raised."""

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        unit_of_work = request.context.get("unit_of_work")
        if unit_of_work is None:
            return
        receipt = request.context.get(RECEIPT)
        answer = response if response is not None else request.context.ack.response
        if receipt is not None and answer is not None and unit_of_work.wrote:
            trigger_id, kind = receipt
            try:
                record_request(db_session=unit_of_work.session, trigger_id=trigger_id,
                               kind=kind, slack_team_id=request.context.team_id,
                               reply=answer.body if isinstance(answer.body, str) else "")
            except IntegrityError:
                # The same request, sent twice at once, committed first: undo this one's work
                # and answer as it did.
                unit_of_work.finish(commit=False)
                with read_only_session_factory(unit_of_work.engine)() as session:
                    earlier = _reply_response(
                        earlier_reply(db_session=session, trigger_id=trigger_id) or "")
                answer.status, answer.body, answer.headers = (earlier.status, earlier.body,
                                                              earlier.headers)
                return
        unit_of_work.finish(commit=True)
