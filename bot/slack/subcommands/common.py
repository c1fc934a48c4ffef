"""What several subcommands need: the caller's workspace (or why there is none), the chain."""

from __future__ import annotations

from sqlalchemy import select

from bot import clock
from bot.okrs.chain import Chain
from bot.okrs.chain_loader import CHAINS
from bot.people.models import Workspace
from bot.slack.blocks import update as replies
from bot.slack.router import CommandRequest

NO_PLAN_TEXT = ("This workspace has no plan yet: import one with `okr-bot plan import` "
                "(see docs/plan-format.md).")


def workspace_or_reply(request: CommandRequest) -> Workspace | dict:
    """The caller's workspace, or the reply that says it has no plan yet."""
    workspace = request.db_session.scalar(
        select(Workspace).where(Workspace.slack_team_id == request.team_id))
    return workspace if workspace is not None else replies.problem(NO_PLAN_TEXT)


def chain_or_reply(request: CommandRequest) -> Chain | dict:
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return workspace
    return CHAINS.chain(request.db_session, workspace, clock.now())
