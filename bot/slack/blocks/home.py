"""The App Home tab."""

from __future__ import annotations

from collections.abc import Iterable

from bot.slack.blocks.help import INTRO, subcommand_blocks
from bot.slack.blocks.mrkdwn import context, escape, header, section
from bot.slack.router import Subcommand


def home_view(subcommands: Iterable[Subcommand], *, name: str | None = None,
              time_zone: str | None = None) -> dict:
    greeting = f"Hi {escape(name)}!" if name else "Hi!"
    blocks = [
        header("okr-bot"),
        section(f"{greeting} {INTRO}"),
        {"type": "divider"},
        section("*Commands*"),
        *subcommand_blocks(subcommands),
    ]
    if time_zone:
        blocks.append(context(f"Your Slack time zone, as okr-bot has it: {escape(time_zone)}."))
    return {"type": "home", "blocks": blocks}
