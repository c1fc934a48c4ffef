"""The `/okr help` message, and its "did you mean" variant for unknown input."""

from __future__ import annotations

from collections.abc import Iterable

from bot.slack.blocks.mrkdwn import MESSAGE_TEXT_LIMIT, context, escape, header, section, truncate
from bot.slack.router import Subcommand

# Only what is built: a promise the app does not keep is the first thing a new user trips on.
INTRO = ("okr-bot keeps your OKRs alive in Slack: a weekly check-in by DM at your own local "
         "time, status with the causal chain from the North Star down, what is at risk and "
         "why, updates to the numbers you own, and blockers.")


def subcommand_blocks(subcommands: Iterable[Subcommand]) -> list[dict]:
    # Usages carry <placeholders>: unescaped, Slack reads them as links and shows nothing.
    return [
        section(f"*`{escape(sub.usage)}`*\n{escape(sub.summary)}\nExample: `{escape(sub.example)}`")
        for sub in subcommands
    ]


def help_message(subcommands: Iterable[Subcommand], *, unknown: str | None = None,
                 suggestion: Subcommand | None = None) -> dict:
    """An ephemeral slash-command reply listing every subcommand."""
    subcommands = list(subcommands)
    blocks: list[dict] = []
    if unknown is not None:
        said = f"I don't know `/okr {escape(unknown)}`."
        if suggestion is not None:
            said += f" Did you mean `/okr {suggestion.name}`?"
        blocks.append(section(f":thinking_face: {said}"))
        fallback = said
    else:
        fallback = "okr-bot commands"
    blocks += [header("okr-bot commands"), section(INTRO), {"type": "divider"}]
    blocks += subcommand_blocks(subcommands)
    blocks.append(context("Type `/okr help` any time to see this list."))
    return {"response_type": "ephemeral", "text": truncate(fallback, MESSAGE_TEXT_LIMIT),
            "blocks": blocks}
