"""`/okr summary [team | @person] [preview]`: a team's weekly digest, or a manager's over their
reporting line (what their DM will say), to the asker alone (the weekly post to the team's
channel and the manager's DM are issue 10's next part; until they land, both forms preview)."""

from __future__ import annotations

from bot import clock
from bot.errors import Choice
from bot.slack.blocks import digest as blocks
from bot.slack.blocks.mrkdwn import context, escape
from bot.slack.grammar import MENTION
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, reading
from bot.summaries import flows

PREVIEW = "preview"
MAX_BLOCKS = 50


def _pick(choice: Choice) -> str:
    return f"`/okr summary {escape(choice.key)}`"


@answers(hint="For example: /okr summary growth preview", pick=_pick)
def okr_summary(request: CommandRequest) -> dict:
    words = request.args.split()
    if words and words[-1].lower() == PREVIEW:
        words = words[:-1]
    read = reading(request)
    typed = " ".join(words)
    person = MENTION.match(typed)
    digest = (flows.line_digest(read, actor(request), person=person.group(1)) if person
              else flows.team_digest(read, actor(request), typed=typed or None))
    messages = blocks.preview(digest, now=clock.now())
    shown = [block for message in messages for block in message["blocks"]]
    if len(shown) > MAX_BLOCKS:
        left = len(shown) - (MAX_BLOCKS - 1)
        shown = [*shown[:MAX_BLOCKS - 1], context(
            f"…and {left} more blocks: `okr-bot summary {escape(digest.team)}` prints it "
            "whole")]
    return {"response_type": "ephemeral", "text": messages[0]["text"], "blocks": shown}
