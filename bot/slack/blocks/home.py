"""The App Home tab."""

from __future__ import annotations

from collections.abc import Iterable

from bot.checkins.form import CheckinOutlook
from bot.slack.blocks.help import INTRO, subcommand_blocks
from bot.slack.blocks.mrkdwn import context, escape, header, section
from bot.slack.router import Subcommand


def home_view(subcommands: Iterable[Subcommand], *, name: str | None = None,
              time_zone: str | None = None, checkin: CheckinOutlook | None = None) -> dict:
    greeting = f"Hi {escape(name)}!" if name else "Hi!"
    blocks = [
        header("okr-bot"),
        section(f"{greeting} {INTRO}"),
        *_checkin(checkin),
        {"type": "divider"},
        section("*Commands*"),
        *subcommand_blocks(subcommands),
    ]
    if time_zone:
        blocks.append(context(f"Your Slack time zone, as okr-bot has it: {escape(time_zone)}."))
    return {"type": "home", "blocks": blocks}


def _checkin(outlook: CheckinOutlook | None) -> list[dict]:
    if outlook is None or (outlook.this_week is None and outlook.next_due is None):
        return []
    lines = []
    if outlook.this_week == "answered":
        lines.append(":white_check_mark: This week's check-in is answered (`/okr checkin` to edit "
                     "it).")
    elif outlook.this_week == "excused":
        lines.append("This week's check-in is excused.")
    elif outlook.this_week:
        lines.append(f":hourglass_flowing_sand: This week's check-in is {escape(outlook.this_week)}"
                     ": `/okr checkin` opens it.")
    if outlook.next_due:
        lines.append(f"Next check-in: {escape(outlook.next_due)}.")
    return [{"type": "divider"}, section("*Your check-in*\n" + "\n".join(lines))]
