"""`/okr status [objective]`: key results, health and the causal chain of one objective."""

from __future__ import annotations

from bot.errors import Choice
from bot.okrs import flows
from bot.okrs.views import TreeView
from bot.slack.blocks import chain_views
from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.status import status_message
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, reading

EXAMPLE = "/okr status onboarding"


def _pick(choice: Choice) -> str:
    return f"`/okr status {escape(choice.key)}`"


@answers(hint=f"For example: {EXAMPLE}", pick=_pick)
def okr_status(request: CommandRequest) -> dict:
    status = flows.status(reading(request), actor(request), request.args.strip())
    if isinstance(status, TreeView):  # a goal or the North Star: what is below it
        return chain_views.tree_message(status.root, status.visits, status.broken,
                                        shareable=f"status {status.root.key}")
    # Rendered once per built chain and per state of the blockers and confidences shown
    # (read fresh every time): a warm status costs its reads and a lookup.
    fresh = hash((tuple(status.blockers), tuple(sorted(status.confidences.items())),
                  status.now.date()))
    return status.chain.memo(
        f"reply:status:{status.objective.key}:{fresh}",
        lambda: status_message(status.chain, status.objective, today=status.now.date(),
                               now=status.now, broken=status.broken,
                               shareable=f"status {status.objective.key}",
                               blockers=status.blockers, confidences=status.confidences))
