"""Requests made once: a key (a client's Idempotency-Key, or a CSV file's hash) claimed in the
database before the work, in the work's own transaction, with the answer stored beside it.

The claim is a row under a unique (workspace, key): a second request with the key, from any
replica, either finds the stored answer or waits on the first one's insert and then finds it.
Only answers that wrote something are stored; a refused request rolls its claim back with
everything else, so the client can correct the body and send it again under the same key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api.models import IdempotentRequest
from bot.errors import DomainError

MAX_KEY = 200  # a client's; stored under its namespace, API_KEYS or CSV_FILES
# Namespaces, so that no client's key can ever stand for a file imported, or the reverse.
API_KEYS = "api:"
CSV_FILES = "csv:"


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


def stored(db_session: Session, workspace_id: int, key: str,
           request_hash: str) -> Stored | None:
    """The answer given to this request before, None if the key is new; KeyReused when the
    key came with something else."""
    row = stored_row(db_session, workspace_id, key, request_hash)
    return None if row is None else Stored(row.status_code, row.response)


def stored_row(db_session: Session, workspace_id: int, key: str,
               request_hash: str) -> IdempotentRequest | None:
    row = db_session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.workspace_id == workspace_id, IdempotentRequest.key == key))
    if row is None:
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
