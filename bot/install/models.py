"""Installations (one per workspace, its tokens encrypted) and the OAuth flow's states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Timestamped


class Installation(Timestamped, Base):
    """What Slack's oauth.v2.access gave for a workspace. Every token column holds Fernet
    ciphertext (bot/install/keys.py), never the token; a reinstall overwrites the row."""

    __tablename__ = "slack_installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
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
