"""What `/okr update` answers: old → new, the new status and reason, and the triggers it fired."""

from __future__ import annotations

from collections.abc import Sequence

from bot.okrs.method.health import format_value
from bot.okrs.method.names import Candidate
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


def refusal(*, metric_name: str, owner: str | None) -> dict:
    """Not yours to update: says who may, with a real mention of the owner."""
    owner_part = f" (<@{owner}>)" if owner else ""
    mrkdwn = (f":no_entry: Only the owner of *{escape(metric_name)}*{owner_part}, their manager "
              "or a workspace admin can update it. Nothing was recorded.")
    return ephemeral(f"Only the owner of {metric_name}, their manager or a workspace admin "
                     "can update it. Nothing was recorded.", [section(mrkdwn)])


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


def pick_list(typed: str, found: Sequence[Candidate], *, kinds: str, example: str,
              labelled: bool = False) -> dict:
    """Several things fit what was typed: the first CHOICES_SHOWN (with their kind when
    `labelled`), how many more, and how to pick one. `example` is mrkdwn, escaped already."""
    shown = [f"• {f'{escape(c.item.label)} ' if labelled else ''}`{escape(c.key)}` — "
             f"{escape(c.name)}" for c in found[:CHOICES_SHOWN]]
    more = len(found) - CHOICES_SHOWN
    if more > 0:
        shown.append(f"…and {more} more: type more of the name or use the key")
    message = (f"“{escape(typed)}” fits {len(found)} {kinds}. Which one? Use its key, e.g. "
               f"{example}")
    return ephemeral(f"“{typed}” is ambiguous", [section(message), section("\n".join(shown))])


def choices(typed: str, found: Sequence[Candidate]) -> dict:
    return pick_list(typed, found, kinds="key results and KPIs",
                     example=f"`/okr update {escape(found[0].key)} &lt;value&gt;`")
