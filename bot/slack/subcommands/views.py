"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk`: read-only views of the chain."""

from __future__ import annotations

from sqlalchemy import select

from bot import clock
from bot.okrs.chain import (
    Chain,
    ChainNode,
    NodeKind,
    diagnose,
    first_broken_link,
    path_up,
    subtree,
)
from bot.okrs.chain_loader import CHAINS
from bot.okrs.enums import Status
from bot.okrs.health import severity
from bot.okrs.targets import Candidate, resolve
from bot.people.models import Workspace
from bot.slack.blocks import chain_views
from bot.slack.blocks import update as replies
from bot.slack.router import CommandRequest

TREE_DEPTH = 3


def _chain(request: CommandRequest) -> Chain | dict:
    workspace = request.db_session.scalar(
        select(Workspace).where(Workspace.slack_team_id == request.team_id))
    if workspace is None:
        return replies.problem("This workspace has no plan yet: import one with "
                               "`okr-bot plan import` (see docs/plan-format.md).")
    return CHAINS.chain(request.db_session, workspace, clock.now())


def _node(chain: Chain, typed: str) -> ChainNode | dict:
    """The North Star when nothing is typed, else the node the words name."""
    if not typed:
        if chain.north_star is None:
            return replies.problem("The plan has no North Star yet; name a node instead.")
        return chain.north_star
    match = resolve(typed, [Candidate(n.key, n.name, n) for n in chain.nodes.values()])
    if match.ambiguous:
        names = ", ".join(f"{c.key}" for c in match.choices[:8])
        return replies.problem(f"“{typed}” fits {len(match.choices)} nodes: {names}. "
                               "Use one of these keys.")
    if match.found is None:
        return replies.problem(f"Nothing in the plan matches “{typed}”. Use a key or the start "
                               "of a name.")
    return match.found


def okr_tree(request: CommandRequest) -> dict:
    chain = _chain(request)
    if isinstance(chain, dict):
        return chain
    node = _node(chain, request.args.strip())
    if isinstance(node, dict):
        return node
    return chain_views.tree_message(subtree(chain, node.id), first_broken_link(chain, node.id),
                                    max_depth=TREE_DEPTH, shareable=f"tree {node.key}")


def okr_why(request: CommandRequest) -> dict:
    chain = _chain(request)
    if isinstance(chain, dict):
        return chain
    node = _node(chain, request.args.strip())
    if isinstance(node, dict):
        return node
    return chain_views.why_message(diagnose(chain, node.id), shareable=f"why {node.key}")


def okr_mine(request: CommandRequest) -> dict:
    chain = _chain(request)
    if isinstance(chain, dict):
        return chain
    order = [NodeKind.OBJECTIVE, NodeKind.KEY_RESULT, NodeKind.ACTIVITY, NodeKind.KPI,
             NodeKind.GOAL, NodeKind.NORTH_STAR]
    mine = sorted((n for n in chain.nodes.values() if n.owner == request.user_id),
                  key=lambda n: (order.index(n.kind), -severity(n.health.status)))
    return chain_views.list_message("What you own", mine, shareable="mine",
                                    empty="You own nothing in the plan yet.")


def okr_at_risk(request: CommandRequest) -> dict:
    chain = _chain(request)
    if isinstance(chain, dict):
        return chain
    at_risk = [n for n in chain.nodes.values()
               if n.health.status in (Status.YELLOW, Status.RED) or n.health.stale]
    # Closest to the North Star first (what matters most), then the worst.
    at_risk.sort(key=lambda n: (len(path_up(chain, n.id)), -severity(n.health.status)))
    return chain_views.list_message("At risk: yellow, red or stale", at_risk,
                                    shareable="at-risk",
                                    empty="Nothing is yellow, red or stale. 🎉")
