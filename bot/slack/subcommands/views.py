"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk`: read-only views of the chain."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.okrs.method.chain import (
    Chain,
    ChainNode,
    NodeKind,
    diagnose,
    first_broken_link,
    path_up,
    walk_down,
)
from bot.okrs.method.enums import Status
from bot.okrs.method.health import severity
from bot.okrs.method.names import Candidate, Lookup, resolve
from bot.people import service as people_service
from bot.people.models import Person, Team, TeamMembership, Workspace
from bot.slack.blocks import chain_views
from bot.slack.blocks import update as replies
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import chain_or_reply

TREE_DEPTH = 3


OWNED_ORDER = [NodeKind.OBJECTIVE, NodeKind.KEY_RESULT, NodeKind.ACTIVITY, NodeKind.KPI,
               NodeKind.GOAL, NodeKind.NORTH_STAR]


def _owned_by(chain: Chain, owners: set[str]) -> list[ChainNode]:
    """What these people own: objectives first, the worst first within each kind."""
    position = chain.memo("positions", lambda: {n: i for i, n in enumerate(chain.nodes)})
    return sorted((n for owner in owners for n in chain.owned_by(owner)),
                  key=lambda n: (OWNED_ORDER.index(n.kind), -severity(n.health.status),
                                 position[n.id]))


def _chain_and_node(request: CommandRequest) -> tuple[Chain, ChainNode] | dict:
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    node = _node(chain, request.args.strip())
    return node if isinstance(node, dict) else (chain, node)


def _node(chain: Chain, typed: str) -> ChainNode | dict:
    """The North Star when nothing is typed, else the node the words name."""
    if not typed:
        if chain.north_star is None:
            return replies.problem("The plan has no North Star yet; name a node instead.")
        return chain.north_star
    match = chain.memo("node-lookup", lambda: Lookup(
        [Candidate(n.key, n.name, n) for n in chain.nodes.values()])).resolve(typed)
    if match.ambiguous:
        names = ", ".join(f"{c.key}" for c in match.choices[:8])
        return replies.problem(f"“{typed}” fits {len(match.choices)} nodes: {names}. "
                               "Use one of these keys.")
    if match.found is None:
        return replies.problem(f"Nothing in the plan matches “{typed}”. Use a key or the start "
                               "of a name.")
    return match.found


def okr_tree(request: CommandRequest) -> dict:
    found = _chain_and_node(request)
    if isinstance(found, dict):
        return found
    chain, node = found
    return chain_views.tree_message(node, walk_down(chain, node.id, max_depth=TREE_DEPTH),
                                    chain.memo(f"broken-link:{node.kind}:{node.key}",
                                               lambda: first_broken_link(chain, node.id)),
                                    shareable=f"tree {node.key}")


def okr_why(request: CommandRequest) -> dict:
    found = _chain_and_node(request)
    if isinstance(found, dict):
        return found
    chain, node = found
    return chain_views.why_message(diagnose(chain, node.id), shareable=f"why {node.key}")


def okr_mine(request: CommandRequest) -> dict:
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    return chain_views.list_message("What you own", _owned_by(chain, {request.user_id}),
                                    shareable="mine", empty="You own nothing in the plan yet.")


def okr_at_risk(request: CommandRequest) -> dict:
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    at_risk = [n for n in chain.nodes.values()
               if n.health.status in (Status.YELLOW, Status.RED) or n.health.stale]
    # Closest to the North Star first (what matters most), then the worst.
    at_risk.sort(key=lambda n: (len(path_up(chain, n.id)), -severity(n.health.status)))
    return chain_views.list_message("At risk: yellow, red or stale", at_risk,
                                    shareable="at-risk",
                                    empty="Nothing is yellow, red or stale. 🎉")


MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def okr_team(request: CommandRequest) -> dict:
    """What a person, a channel's team or a named team owns, with its status."""
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    typed = request.args.strip()
    members: set[str]
    if not typed or (person := MENTION.match(typed)):
        who = person.group(1) if typed else request.user_id
        line = people_service.reporting_line(db_session=request.db_session,
                                             workspace_id=request.memo["workspace"].id,
                                             slack_user_id=who)
        members = set(line)
        title = f"Team of {'you' if who == request.user_id else 'that person'}"
        further = sum(1 for level in line.values() if level > 1)
        if len(line) > 1:
            title += (f": {len(line) - 1} in the reporting line"
                      + (f", {further} of them through others" if further else ""))
    else:
        channel = CHANNEL.match(typed)
        query = select(Team).join(Workspace, Team.workspace_id == Workspace.id).where(
            Workspace.slack_team_id == request.team_id)
        if channel:
            teams = list(request.db_session.scalars(
                query.where(Team.slack_channel_id == channel.group(1))))
        else:
            found = resolve(typed, [Candidate(t.key or t.name, t.name, t)
                                    for t in request.db_session.scalars(query)])
            teams = [found.found] if found.found else []
        if not teams:
            return replies.problem(f"No team matches “{typed}”. Name a team, a #channel with a "
                                   "team, or an @person.")
        team = teams[0]
        members = set(request.db_session.scalars(
            select(Person.slack_user_id).join(TeamMembership,
                                              TeamMembership.person_id == Person.id)
            .where(TeamMembership.team_id == team.id)))
        title = f"Team {team.name}"
    return chain_views.list_message(title, _owned_by(chain, members),
                                    shareable=f"team {typed}".strip(),
                                    empty="This team owns nothing in the plan yet.")
