"""The API's flows: who the token is, then the measurements recorded (once per
Idempotency-Key) or a metric read, each in one transaction. HTTP stays in bot/api/routes.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.api import idempotency, render, tokens
from bot.api.recording import Incoming, record_batch
from bot.api.schemas import read_body
from bot.errors import DomainError, InvalidFields, InvalidInput, NotFound
from bot.okrs import flows as okr_flows
from bot.okrs.method.chain import NodeKind
from bot.people.models import Workspace

# What the API reads and writes: every node with a measured number.
MEASURED = (NodeKind.KEY_RESULT, NodeKind.KPI, NodeKind.GOAL, NodeKind.NORTH_STAR)


class Unauthenticated(DomainError):
    """No token, a token that is not one, or one revoked."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def _authenticated(db_session: Session, token: str | None, now: datetime) -> tuple[
        Actor, Workspace]:
    found = tokens.authenticate(db_session, token, now=now) if token else None
    if found is None:
        raise Unauthenticated("An API token is needed (Authorization: Bearer okr_…): this one "
                              "is missing, unknown or revoked.")
    api_token, workspace = found
    return Actor.api(api_token.name), workspace


def post_measurements(session_factory: sessionmaker[Session], *, token: str | None,
                      raw: bytes, idempotency_key: str | None, now: datetime) -> Answer:
    """Record the body's measurements, all or none; with a key, a repeat of the same request
    answers as the first did and writes nothing, and the key with another body is refused."""
    request_hash = idempotency.fingerprint("POST /api/v1/measurements", raw)
    # Read before the transaction (SQLite's one write lock is held from its start); what is
    # wrong is said only once the token is known good.
    try:
        body: tuple[list[Incoming], dict[str, str]] | InvalidFields = read_body(raw)
    except InvalidFields as error:
        body = error
    try:
        return _post(session_factory, token, body, idempotency_key, request_hash, now)
    except IntegrityError:
        if idempotency_key is None:
            raise
    # Another request claimed the key first and has committed by now: answer as it did.
    with session_factory.begin() as db_session:
        _actor, workspace = _authenticated(db_session, token, now)
        earlier = idempotency.stored(db_session, workspace.id,
                                     idempotency.API_KEYS + idempotency_key, request_hash,
                                     now=now)
    if earlier is None:  # it was rolled back: this one goes ahead on its own
        return _post(session_factory, token, body, idempotency_key, request_hash, now)
    return Answer(earlier.status_code, earlier.response, replayed=True)


def _post(session_factory: sessionmaker[Session], token: str | None,
          body: tuple[list[Incoming], dict[str, str]] | InvalidFields, key: str | None,
          request_hash: str, now: datetime) -> Answer:
    with session_factory.begin() as db_session:
        actor, workspace = _authenticated(db_session, token, now)
        if key is not None and not 0 < len(key) <= idempotency.MAX_KEY:
            raise InvalidInput(f"An Idempotency-Key is 1 to {idempotency.MAX_KEY} characters.",
                               field="Idempotency-Key",
                               expected=f"1 to {idempotency.MAX_KEY} characters")
        claimed = None
        if key is not None:
            stored_key = idempotency.API_KEYS + key
            earlier = idempotency.stored(db_session, workspace.id, stored_key, request_hash,
                                         now=now)
            if earlier is not None:
                return Answer(earlier.status_code, earlier.response, replayed=True)
            claimed = idempotency.claim(db_session, workspace.id, stored_key, request_hash,
                                        now=now)
        if isinstance(body, InvalidFields):
            raise body
        items, wrong = body
        batch = record_batch(db_session, workspace, actor, items, now=now, found=wrong)
        answer = render.recorded(batch)
        if claimed is not None:
            idempotency.answer(claimed, 201, answer)
        return Answer(201, answer)


def get_metric(session_factory: sessionmaker[Session], chains: Any, *, token: str | None,
               key: str, now: datetime) -> Answer:
    """A metric of the token's own workspace as `/okr status` sees it (the cached chain)."""
    with session_factory.begin() as db_session:
        _actor, workspace = _authenticated(db_session, token, now)
        reading = okr_flows.Reading(db_session, chains, workspace, now)
        wanted = key.strip().casefold()
        for kind in MEASURED:
            node = reading.chain.nodes.get((kind, wanted))
            if node is not None:
                return Answer(200, render.metric(node))
    raise NotFound(f"No key result, KPI, goal or North Star has the key “{key}”.",
                   kind="metric", typed=key)
