"""The API's tables: a workspace's tokens (only their hash is kept) and the responses stored
under an Idempotency-Key, so a replay answers the same and writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(String(80))
    # sha256 of the whole token, hex: a token is 32 random bytes, so a fast hash is enough
    # (nothing to brute-force), and a lookup by hash is one indexed read per request.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token ("okr_AbC1"), so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class IdempotentRequest(Base):
    """A request made under an Idempotency-Key (or a CSV file imported): what was asked (its
    hash) and what was answered, claimed before the work so a second replica waits on it."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
