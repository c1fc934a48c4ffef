"""What `/okr update` answers: old → new, the new status and reason, and the triggers it fired."""

from __future__ import annotations

from bot.okrs.method.health import format_value
from bot.okrs.method.recording import Recorded
from bot.slack.blocks.mrkdwn import context, escape, fallback, section
from bot.slack.blocks.visuals import status_mark

CHOICES_SHOWN = 10


def ephemeral(text: str, blocks: list[dict]) -> dict:
    """`text`, as written (escaped here), is what notifications and screen readers say."""
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": blocks}


def problem(message: str) -> dict:
    """A refusal or a bad input in plain words (escaped here): what was expected."""
    return ephemeral(message, [section(f":warning: {escape(message)}")])


def refusal(*, message: str, item: str, owner: str | None) -> dict:
    """Not theirs to change: the flow's words, with the item in bold and a real mention of its
    owner, so they know whom to ask."""
    owner_part = f" (<@{owner}>)" if owner else ""
    mrkdwn = escape(message)
    if item:
        mrkdwn = mrkdwn.replace(escape(item), f"*{escape(item)}*{owner_part}", 1)
    return ephemeral(message, [section(f":no_entry: {mrkdwn}")])


def recorded(result: Recorded, *, author: str, note: str) -> dict:
    metric, health = result.metric, result.health
    unit = metric.unit
    old = format_value(result.old_value, unit) if result.old_value is not None else "nothing yet"
    new = format_value(result.new_value, unit)
    lines = [
        f"*{escape(metric.name)}* (`{escape(metric.key)}`)",
        f"{escape(old)} → *{escape(new)}*",
        f"{status_mark(health.status, health.stale)} {escape(health.reason)}",
    ]
    blocks = [section("\n".join(lines))]
    for firing in result.fired:
        blocks.append(section(f":rotating_light: *Action:* {escape(firing.rule.action)}\n"
                              f"_{escape(firing.reason)}_"))
    credit = f"Updated by <@{author}> from Slack"
    if note:
        credit += f" · “{escape(note)}”"
    blocks.append(context(credit))
    text = f"{metric.name}: {old} → {new} ({health.status.value})"
    return ephemeral(text, blocks)
