"""The plan's `admins:` list: workspace admins beside the admins and owners Slack names."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class PlanAdmin(Base):
    __tablename__ = "plan_admins"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
