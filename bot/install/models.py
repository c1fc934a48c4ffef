"""Installations (one per workspace, or one per Enterprise Grid org installed org-wide, its
tokens encrypted) and the OAuth flow's states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Timestamped


class Installation(Timestamped, Base):
    """What Slack's oauth.v2.access gave for a workspace, or for a whole Enterprise Grid org
    (an org-wide install: no team, the org's one bot token serves each of its workspaces).
    Every token column holds Fernet ciphertext (bot/install/keys.py), never the token; a
    reinstall overwrites the row."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        # One org-wide installation per org; both PostgreSQL and SQLite take partial indexes.
        Index("uq_slack_installations_org_wide", "enterprise_id", unique=True,
              postgresql_where=text("is_enterprise_install"),
              sqlite_where=text("is_enterprise_install")),
        CheckConstraint("(is_enterprise_install AND enterprise_id IS NOT NULL "
                        "AND slack_team_id IS NULL) OR (NOT is_enterprise_install "
                        "AND slack_team_id IS NOT NULL)", name="one_team_or_its_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an org-wide install: it belongs to the org, not to one of its workspaces.
    slack_team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    is_enterprise_install: Mapped[bool] = mapped_column(default=False,
                                                        server_default=text("false"))
    # The workspace's name; an org-wide install's is the org's.
    team_name: Mapped[str | None] = mapped_column(String(255))
    app_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(Text)
    bot_token_encrypted: Mapped[str] = mapped_column(Text)
    bot_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # None: the token does not expire (the app has token rotation off).
    bot_token_expires_at: Mapped[datetime | None]
    installer_user_id: Mapped[str | None] = mapped_column(String(32))
    user_scopes: Mapped[str | None] = mapped_column(Text)
    user_token_encrypted: Mapped[str | None] = mapped_column(Text)
    user_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None]
    token_type: Mapped[str | None] = mapped_column(String(16))
    installed_at: Mapped[datetime]


class OAuthState(Base):
    """A state handed to one browser at /slack/install; consumed (deleted) on its return."""

    __tablename__ = "slack_oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
