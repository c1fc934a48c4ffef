"""The processes table: one row per running okr-bot, beaten every few seconds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ProcessRow(Base):
    """A running process and when it last said it was alive (the app's clock)."""

    __tablename__ = "processes"
    __table_args__ = (
        CheckConstraint("role IN ('web', 'worker', 'all')", name="role"),
        Index("ix_processes_role_last_beat_at", "role", "last_beat_at"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # host:pid:run
    role: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    last_beat_at: Mapped[datetime]
