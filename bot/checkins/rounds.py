"""Tables for the weekly check-in itself: the questions as asked (versioned), one round per
person and cycle (the row that decides, before anything is sent, that a DM is due and who sends
it), and the answers, kept in every version.

Time columns are instants from the app clock (bot.clock), never database defaults.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utc_now
from bot.okrs.store.models import SLACK_ID


class QuestionSet(Base):
    """The questions of a workspace's check-in, as worded at one time. Answers point at the
    set they answered, so rewording the questions never rewrites what people said."""

    __tablename__ = "checkin_question_sets"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    version: Mapped[int]
    questions: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # [{"key": …, "text": …}]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class CheckinRound(Base):
    """One person's check-in for one cycle. Created and claimed in one transaction before the
    DM is queued, so however many schedulers tick, one round (and one DM) exists per person and
    cycle; its status says what became of it."""

    __tablename__ = "checkin_rounds"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slack_user_id", "cycle"),
        Index("ix_checkin_rounds_open", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    cycle: Mapped[str] = mapped_column(String(32))  # e.g. "2026-W49"
    due_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    reminder_at: Mapped[datetime | None]
    # due (queued, not answered) · answered · excused (time off, holiday, skipped) · missed
    status: Mapped[str] = mapped_column(String(16))
    excused_reason: Mapped[str | None] = mapped_column(String(64))
    snoozed_until: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class CheckinAnswer(Base):
    """What someone answered, one row per submission of one part of the modal. An edit adds a
    row and marks the one it replaces (`superseded_at`): nothing said is lost."""

    __tablename__ = "checkin_answers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "submission_key"),
        Index("ix_checkin_answers_person", "workspace_id", "slack_user_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkin_rounds.id", ondelete="CASCADE"))  # None: an off-cycle update
    question_set_id: Mapped[int] = mapped_column(ForeignKey("checkin_question_sets.id"))
    part: Mapped[int] = mapped_column(default=1)  # the modal's page, when items span several
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What makes a repeated submission (a double click, Slack's retry) the same one.
    submission_key: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]


class TimeOff(Base):
    """Days someone is away (dates in their own zone, both ends included): no check-in DM goes
    out for a round due then, and the round counts as excused, never missed. Cancelled, not
    deleted, so what was planned stays on record."""

    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_person", "workspace_id", "slack_user_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
