"""What `/okr ooo` answers. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.checkins.away import Away
from bot.slack.blocks.mrkdwn import escape, section
from bot.slack.blocks.update import ephemeral


def _days(away: Away) -> str:
    if away.starts_on == away.ends_on:
        return f"{away.starts_on:%a %d %b %Y}"
    return f"{away.starts_on:%a %d %b %Y} to {away.ends_on:%a %d %b %Y}"


def planned(away: Away) -> dict:
    why = f" ({away.reason})" if away.reason else ""
    text = (f"Time off {_days(away)}{why}: no check-in comes then and those weeks count as "
            "excused. `/okr ooo off` if you are back early.")
    return ephemeral(text, [section(f":palm_tree: {escape(text)}")])


def back(cancelled: int) -> dict:
    text = ("Welcome back: your time off from today on is cancelled." if cancelled
            else "You have no time off planned from today on.")
    return ephemeral(text, [section(escape(text))])


def away_list(aways: Sequence[Away]) -> dict:
    if not aways:
        text = "No time off planned. `/okr ooo 2026-12-24 2027-01-02 holidays` adds some."
        return ephemeral(text, [section(escape(text))])
    lines = [f"• {_days(a)}{f' — {a.reason}' if a.reason else ''}" for a in aways[:40]]
    return ephemeral("Your time off", [section("*Your time off*\n" + escape("\n".join(lines)))])
