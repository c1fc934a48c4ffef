"""What `/okr update` answers: old → new, the new status and reason, and the triggers it fired."""

from __future__ import annotations

from bot.okrs.method.health import format_value
from bot.okrs.method.recording import Recorded, Undone
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
    old = (format_value(result.old_value, unit, result.old_decimals)
           if result.old_value is not None else "nothing yet")
    new = format_value(result.new_value, unit, result.new_decimals)
    lines = [
        f"*{escape(metric.name)}* (`{escape(metric.key)}`)",
        f"{escape(old)} → *{escape(new)}*",
        f"{status_mark(health.status, health.stale)} {escape(health.reason)}",
    ]
    if (change := result.status_change()) is not None:
        lines.append(f"*{escape(change)}*")
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


def undone(result: Undone, *, author: str) -> dict:
    """A value taken back: what it was, what is in force now, and that it stays in the history."""
    metric, health = result.metric, result.health
    taken = format_value(result.value, metric.unit, result.decimals)
    now = (format_value(result.now_value, metric.unit, result.now_decimals)
           if result.now_value is not None else "nothing measured")
    lines = [f"*{escape(metric.name)}* (`{escape(metric.key)}`)",
             f"~{escape(taken)}~ taken back → *{escape(now)}*",
             f"{status_mark(health.status, health.stale)} {escape(health.reason)}"]
    return ephemeral(f"{metric.name}: {taken} taken back, now {now}", [
        section("\n".join(lines)),
        context(f"Taken back by <@{author}> · kept in the history as undone")])
