"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk`, `/okr team`: read-only views of the
chain."""

from __future__ import annotations

import re

from bot.errors import Choice
from bot.okrs import flows, team_flows
from bot.slack.blocks import chain_views
from bot.slack.blocks.mrkdwn import escape
from bot.slack.grammar import MENTION
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, reading

CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def _pick(verb: str):  # type: ignore[no-untyped-def]
    return lambda choice: f"`/okr {verb} {escape(choice.key)}`"


@answers(hint="For example: /okr tree trial-conversion", pick=_pick("tree"))
def okr_tree(request: CommandRequest) -> dict:
    read = reading(request)
    view = flows.tree(read, request.args.strip())
    # Rendered once per built chain (a chain never changes; a write builds a new one).
    return read.chain.memo(
        f"reply:tree:{view.root.kind}:{view.root.key}",
        lambda: chain_views.tree_message(view.root, view.visits, view.broken,
                                         shareable=f"tree {view.root.key}"))


@answers(hint="For example: /okr why trial-conversion", pick=_pick("why"))
def okr_why(request: CommandRequest) -> dict:
    read = reading(request)
    root = flows.find_root(read, request.args.strip())
    def render() -> dict:
        diagnosis = flows.why(read, root)
        return chain_views.why_message(diagnosis.steps, warnings=diagnosis.warnings,
                                       shareable=f"why {root.key}")

    return read.chain.memo(f"reply:why:{root.kind}:{root.key}", render)


@answers()
def okr_mine(request: CommandRequest) -> dict:
    chain = reading(request).chain
    return chain_views.list_message("What you own", flows.owned_by(chain, {request.user_id}),
                                    shareable="mine", empty="You own nothing in the plan yet.")


@answers()
def okr_at_risk(request: CommandRequest) -> dict:
    return chain_views.list_message("At risk: yellow, red or stale",
                                    flows.at_risk(reading(request).chain), shareable="at-risk",
                                    empty="Nothing is yellow, red or stale. 🎉")


def _team_pick(choice: Choice) -> str:
    return f"`/okr team {escape(choice.key)}`"


@answers(hint="For example: /okr team #ai-launch", pick=_team_pick)
def okr_team(request: CommandRequest) -> dict:
    """What a person's reporting line, a channel's team or a named team owns, with its status."""
    typed = request.args.strip()
    person, channel = MENTION.match(typed), CHANNEL.match(typed)
    view = team_flows.team(reading(request), actor(request),
                      person=person.group(1) if person else None if typed else request.user_id,
                      channel=channel.group(1) if channel else None,
                      name=typed if typed and not (person or channel) else None)
    return chain_views.list_message(view.title, view.nodes, shareable=f"team {typed}".strip(),
                                    empty="This team owns nothing in the plan yet.",
                                    levels=view.levels)
