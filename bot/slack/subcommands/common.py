"""What several subcommands need: the caller's workspace (or why there is none), the chain."""

from __future__ import annotations

from sqlalchemy import select

from bot import clock
from bot.okrs.method.chain import Chain
from bot.people.models import Workspace
from bot.slack.blocks import update as replies
from bot.slack.router import CommandRequest

NO_PLAN_TEXT = ("This workspace has no plan yet: import one with `okr-bot plan import` "
                "(see docs/plan-format.md).")


def workspace_or_reply(request: CommandRequest) -> Workspace | dict:
    """The caller's workspace, or the reply that says it has no plan yet (looked up once per
    request)."""
    if "workspace" not in request.memo:
        request.memo["workspace"] = request.db_session.scalar(
            select(Workspace).where(Workspace.slack_team_id == request.team_id))
    workspace = request.memo["workspace"]
    return workspace if workspace is not None else replies.problem(NO_PLAN_TEXT)


def chain_or_reply(request: CommandRequest) -> Chain | dict:
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return workspace
    return request.chains.chain(request.db_session, workspace, clock.now())


def answerable_now(request: CommandRequest) -> bool:
    """Whether a command that reads the chain can answer within Slack's 3 seconds: the chain
    is built for the current data, or building it is quick (or there is no plan, which is just
    as quick to say)."""
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return True
    session = request.db_session
    return (request.chains.cached(session, workspace) is not None
            or request.chains.quick_to_build(session, workspace))
