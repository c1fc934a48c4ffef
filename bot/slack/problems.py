"""The one place where an error a person can act on (bot/errors.py) becomes words in Slack: an
ephemeral reply to a command or button, or a modal's `response_action: errors` on the field
that was wrong. Pure: builds payloads, sends nothing.

The surface adds what the flow cannot know: the command to type (a hint), and
how a pick from several candidates is typed (`pick`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.checkins.blocker_rules import NotAllowedToResolve
from bot.errors import Ambiguous, Choice, DomainError, InvalidFields, NotAllowed, NotFound
from bot.slack.blocks import blocker_messages
from bot.slack.blocks import update as replies
from bot.slack.blocks.mrkdwn import escape, section

# How a person types one of several candidates back, as mrkdwn (escaped already).
Pick = Callable[[Choice], str]


def reply_for(error: DomainError, *, hint: str = "", pick: Pick | None = None) -> dict:
    """The ephemeral reply for `error`. `hint`: what to type instead, added to "nothing
    matches"; `pick`: how to type one choice back, shown with a pick list."""
    if isinstance(error, Ambiguous):
        return choices(error, pick=pick)
    if isinstance(error, NotAllowedToResolve):
        return blocker_messages.refusal(error.blocker)
    if isinstance(error, NotAllowed):
        return replies.refusal(message=error.message, item=error.item, owner=error.owner)
    if isinstance(error, NotFound) and hint:
        return replies.problem(f"{error.message} {hint}")
    return replies.problem(error.message)


def choices(error: Ambiguous, *, pick: Pick | None = None) -> dict:
    """Several candidates: the first CHOICES_SHOWN with their key (and kind, when they have
    one), how many more, and how to pick one."""
    found = error.choices
    shown = []
    for choice in found[:replies.CHOICES_SHOWN]:
        kind = f"{escape(choice.label)} " if choice.label else ""
        shown.append(f"• {kind}`{escape(choice.key)}` — {escape(choice.name)}")
    more = len(found) - replies.CHOICES_SHOWN
    if more > 0:
        shown.append(f"…and {more} more: type more of the name or use the key")
    message = escape(error.message)
    if pick is not None and found:
        message += f" Use its key, e.g. {pick(found[0])}"
    return replies.ephemeral(error.message, [section(message), section("\n".join(shown))])


def modal_errors(error: DomainError, *, block_ids: dict[str, str]) -> dict:
    """The ack that keeps a modal open with `error` under the field it is about. `block_ids`
    maps an error's field ("value", "confidence", "text") to the modal's block id; an error
    about no field in particular goes under the first one."""
    fallback = next(iter(block_ids.values()))
    if isinstance(error, InvalidFields):
        shown: dict[str, str] = {}
        for field, message in error.errors.items():
            block_id = block_ids.get(field, fallback)
            shown[block_id] = (f"{shown[block_id]} · {message}" if block_id in shown
                               else message)[:2000]
        return {"response_action": "errors", "errors": shown}
    field = getattr(error, "field", "") or ""
    block_id = block_ids.get(field) or fallback
    return {"response_action": "errors", "errors": {block_id: error.message[:2000]}}
