"""`/okr summary [team | @person] [preview]`: with `preview`, a team's weekly digest (or a
manager's over their reporting line) shown to the asker alone; without it, a team's digest
posted in its channel now (within the minute, its detail in the thread), for its managers,
the people above them and admins."""

from __future__ import annotations

from bot import clock
from bot.errors import Choice
from bot.slack.blocks import digest as blocks
from bot.slack.blocks.mrkdwn import context, escape, section
from bot.slack.grammar import MENTION
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, reading, workspace
from bot.summaries import flows, posting

PREVIEW = "preview"
MAX_BLOCKS = 50


def _pick(choice: Choice) -> str:
    return f"`/okr summary {escape(choice.key)}`"


def posts(args: str) -> bool:
    """Whether `/okr summary <args>` asks to post (not a preview, not a reporting line)."""
    words = args.split()
    return not (words and words[-1].lower() == PREVIEW) and not (
        words and MENTION.match(" ".join(words)))


@answers(hint="For example: /okr summary growth preview", pick=_pick)
def okr_summary(request: CommandRequest) -> dict:
    words = request.args.split()
    if posts(request.args):
        return _post(request, " ".join(words) or None)
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


def _post(request: CommandRequest, typed: str | None) -> dict:
    session = request.db_session
    team = flows.team_to_post(session, workspace(request).id, actor(request), typed)
    if posting.ask_to_post(session, team, clock.now()):
        said = (f"{team.name}'s digest goes to <#{team.slack_channel_id}> within the minute, "
                "its detail in the thread.")
    else:
        said = f"{team.name}'s digest is on its way to <#{team.slack_channel_id}> already."
    return {"response_type": "ephemeral", "text": said, "blocks": [section(said)]}
