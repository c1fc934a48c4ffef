"""`/okr update <key result or KPI> <value> [note]`: record a measurement from Slack;
`/okr update <key result or KPI> undo` takes back your own last one."""

from __future__ import annotations

from bot import clock
from bot.errors import Choice
from bot.okrs import value_flows
from bot.slack.blocks import update as blocks
from bot.slack.blocks.mrkdwn import escape
from bot.slack.grammar import split_update_args
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, workspace

EXAMPLE = "/okr update first-week-activation 14.5"
UNDO = "undo"  # `/okr update <item> undo` takes back your own last value (within a day)


def _pick(choice: Choice) -> str:
    return f"`/okr update {escape(choice.key)} &lt;value&gt;`"


@answers(hint=f"For example: {EXAMPLE}", pick=_pick)
def okr_update(request: CommandRequest) -> dict:
    typed, value_text, note = split_update_args(request.args)
    if value_text.lower() == UNDO and not note:
        undone = value_flows.undo_update(request.db_session, workspace(request), actor(request),
                                   typed=typed, now=clock.now())
        return blocks.undone(undone, author=request.user_id)
    recorded = value_flows.update_metric(request.db_session, workspace(request), actor(request),
                                   typed=typed, value_text=value_text, note=note,
                                   now=clock.now())
    return blocks.recorded(recorded, author=request.user_id, note=note)
