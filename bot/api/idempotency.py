"""Requests made once: a key (a client's Idempotency-Key, or a CSV file's hash) claimed in the
database before the work, in the work's own transaction, with the answer stored beside it.

The claim is a row under a unique (workspace, key): a second request with the key, from any
replica, either finds the stored answer or waits on the first one's insert and then finds it.
Only answers that wrote something are stored; a refused request rolls its claim back with
everything else, so the client can correct the body and send it again under the same key.

A client's key is kept KEEP_API_KEYS_FOR (as Stripe's are): older, it is forgotten, so the
same key then records again as a new request. The hourly `prune-event-receipts` job deletes
the expired rows; until it does, a request finding one deletes it and goes ahead. A CSV
file's hash is kept for good (importing the same file twice changes nothing, docs/api.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.api.models import IdempotentRequest
from bot.errors import DomainError

MAX_KEY = 200  # a client's; stored under its namespace, API_KEYS or CSV_FILES
# Namespaces, so that no client's key can ever stand for a file imported, or the reverse.
API_KEYS = "api:"
CSV_FILES = "csv:"
KEEP_API_KEYS_FOR = timedelta(hours=24)  # docs/api.md says so


class KeyReused(DomainError):
    """The key was used before for a different request."""


@dataclass(frozen=True)
class Stored:
    status_code: int
    response: dict[str, Any]


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def stored(db_session: Session, workspace_id: int, key: str, request_hash: str, *,
           now: datetime) -> Stored | None:
    """The answer given to this request before, None if the key is new or expired (an
    expired one is deleted here, in the caller's transaction, so it can be claimed again);
    KeyReused when the key came with something else."""
    row = stored_row(db_session, workspace_id, key, request_hash, now=now)
    return None if row is None else Stored(row.status_code, row.response)


def stored_row(db_session: Session, workspace_id: int, key: str,
               request_hash: str, *, now: datetime | None = None) -> IdempotentRequest | None:
    """As `stored`; with `now`, a client's key older than KEEP_API_KEYS_FOR is expired."""
    row = db_session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.workspace_id == workspace_id, IdempotentRequest.key == key))
    if row is None:
        return None
    if now is not None and key.startswith(API_KEYS) and _expired(row.created_at, now):
        db_session.delete(row)
        db_session.flush()
        return None
    if row.request_hash != request_hash:
        given = key.partition(":")[2]
        raise KeyReused(f"The key “{given}” was used on {row.created_at:%Y-%m-%d %H:%M} UTC "
                        "for a different request; nothing was recorded. Use a new key for "
                        "new data.")
    return row


def claim(db_session: Session, workspace_id: int, key: str, request_hash: str, *,
          now: datetime) -> IdempotentRequest:
    """Claim the key (IntegrityError at the flush when another request holds it); `answer`
    fills in what was answered."""
    row = IdempotentRequest(workspace_id=workspace_id, key=key, request_hash=request_hash,
                            status_code=0, response={}, created_at=now)
    db_session.add(row)
    db_session.flush()
    return row


def answer(row: IdempotentRequest, status_code: int, response: dict[str, Any]) -> None:
    row.status_code, row.response = status_code, response


def _expired(created_at: datetime, now: datetime) -> bool:
    return created_at <= now - KEEP_API_KEYS_FOR


def prune_api_keys(db_session: Session, *, now: datetime) -> int:
    """Delete the clients' keys older than KEEP_API_KEYS_FOR (CSV files' hashes stay)."""
    result = db_session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.key.startswith(API_KEYS, autoescape=True),
        IdempotentRequest.created_at <= now - KEEP_API_KEYS_FOR))
    return result.rowcount or 0
