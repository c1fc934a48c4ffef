"""Tables for workspaces (Slack teams), the people in them, and the teams they form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Enum,
    ForeignKey,
    String,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, Timestamped, utc_now
from bot.people.enums import TeamRole


class Workspace(Timestamped, Base):
    """One Slack workspace the app is installed in."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    # The Enterprise Grid org it belongs to, once a request or its plan said so: an org-wide
    # install's token reaches it (bot/install/tokens.py), and its uninstall stops it.
    enterprise_id: Mapped[str | None] = mapped_column(String(32), index=True)
    uninstalled_at: Mapped[datetime | None]
    tokens_revoked_at: Mapped[datetime | None]
    # Bumped by every write to the plan or its measurements, so a cached chain knows it is old.
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")

    people: Mapped[list[Person]] = relationship(back_populates="workspace")
    teams: Mapped[list[Team]] = relationship(back_populates="workspace")

    @classmethod
    def reachable(cls) -> ColumnElement[bool]:
        """Installed, with a bot token Slack has not revoked: its jobs run and okr-bot may
        message it. An uninstall or a revoked bot token stops both at once (bot/lifecycle)."""
        return and_(cls.uninstalled_at.is_(None), cls.tokens_revoked_at.is_(None))


class Person(Timestamped, Base):
    """Someone in a workspace: their Slack id, and the IANA zone their check-ins follow."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slack_user_id"),
        CheckConstraint("length(time_zone) > 0", name="time_zone_not_empty"),
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(255))
    real_name: Mapped[str | None] = mapped_column(String(255))
    # An IANA zone name such as "Europe/Berlin", never an offset: offsets change with DST.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # When Slack last told us their zone: the daily refresh asks those longest unasked first.
    time_zone_checked_at: Mapped[datetime | None]
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_bot: Mapped[bool] = mapped_column(default=False)
    deactivated: Mapped[bool] = mapped_column(default=False)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )

    workspace: Mapped[Workspace] = relationship(back_populates="people")
    manager: Mapped[Person | None] = relationship(remote_side=[id])
    memberships: Mapped[list[TeamMembership]] = relationship(back_populates="person")


class Team(Timestamped, Base):
    """A group of people with a channel their summaries go to."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),
                      UniqueConstraint("workspace_id", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(63))  # how plan files refer to the team
    name: Mapped[str] = mapped_column(String(255))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    # The plan's `checkin:` key as written (bot/okrs/plans/plan.py CheckinSchedule, JSON);
    # None when the plan left it out, so the defaults apply and an export leaves it out too.
    checkin: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    workspace: Mapped[Workspace] = relationship(back_populates="teams")
    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class TeamMembership(Base):
    __tablename__ = "team_memberships"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[TeamRole] = mapped_column(
        Enum(TeamRole, name="team_role", values_callable=lambda roles: [r.value for r in roles],
             validate_strings=True),
        default=TeamRole.MEMBER,
    )
    joined_at: Mapped[datetime] = mapped_column(default=utc_now)

    team: Mapped[Team] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")
