"""What several subcommands need: the caller's workspace (or why there is none), the chain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.okrs.method.chain import Chain
from bot.okrs.store.models import Goal, NorthStar, Objective
from bot.people.models import Workspace
from bot.slack.blocks import update as replies
from bot.slack.router import CommandRequest

# Shown at most this many other teams: a list of every install helps no one.
TEAMS_SHOWN = 5


def teams_with_plans(session: Session) -> list[str]:
    """Slack team ids of the workspaces that hold a plan (a North Star, goal or objective)."""
    planned = (select(NorthStar.workspace_id).union(select(Goal.workspace_id),
                                                    select(Objective.workspace_id)))
    return list(session.scalars(select(Workspace.slack_team_id)
                                .where(Workspace.id.in_(planned))
                                .order_by(Workspace.slack_team_id)))


def no_plan_text(team_id: str, others: list[str]) -> str:
    """Why there is nothing to show, naming the team that asked: a plan imported under another
    team id (a typo, a test workspace) otherwise looks exactly like no plan at all."""
    import_hint = f"set `workspace: {team_id}` in the plan file and import it"
    if not others:
        return (f"No plan for this Slack team ({team_id}) yet: {import_hint} with "
                "`okr-bot plan import` (see docs/plan-format.md).")
    shown = ", ".join(others[:TEAMS_SHOWN])
    if len(others) > TEAMS_SHOWN:
        shown += f" and {len(others) - TEAMS_SHOWN} more"
    has = "a plan" if len(others) == 1 else "plans"
    return (f"No plan for this Slack team ({team_id}). The database has {has} for {shown}: "
            f"{import_hint} again with `okr-bot plan import`.")


def workspace_or_reply(request: CommandRequest) -> Workspace | dict:
    """The caller's workspace, or the reply that says it has no plan yet (looked up once per
    request)."""
    if "workspace" not in request.memo:
        request.memo["workspace"] = request.db_session.scalar(
            select(Workspace).where(Workspace.slack_team_id == request.team_id))
    workspace = request.memo["workspace"]
    if workspace is not None:
        return workspace
    others = teams_with_plans(request.db_session)
    return replies.problem(no_plan_text(request.team_id, others))


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
