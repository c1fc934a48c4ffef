"""The weekly check-in DM: a greeting naming what the person owns and what changed since
their last check-in, buttons to start, skip or snooze it, and last week's open blockers with
"Still blocked" / "Resolved". Pure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.form import Greeting
from bot.slack import ids
from bot.slack.blocks.blocker_text import clipped
from bot.slack.blocks.mrkdwn import button, context, escape, fallback, section

BLOCKERS_SHOWN = 10  # each is two blocks; the DM stays well inside 50
CHANGES_SHOWN = 10


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def checkin_dm(greeting: Greeting, *, round_id: int,
               blockers: Sequence[BlockerEntry] = ()) -> dict:
    """The message (text and blocks) for chat.postMessage."""
    owns = " and ".join(part for part in (
        _count(greeting.key_results, "key result", "key results") if greeting.key_results
        else "", _count(greeting.kpis, "KPI", "KPIs") if greeting.kpis else "") if part)
    intro = (f"Time for your weekly check-in: about a minute. You own {owns}."
             if owns else "Time for your weekly check-in: about a minute.")
    blocks = [section(f":wave: {escape(intro)}")]
    if greeting.changes:
        shown = [f"• {escape(c)}" for c in greeting.changes[:CHANGES_SHOWN]]
        if len(greeting.changes) > CHANGES_SHOWN:
            shown.append(f"…and {len(greeting.changes) - CHANGES_SHOWN} more")
        blocks.append(section("*Since your last check-in*\n" + "\n".join(shown)))
    snooze = {"type": "static_select", "action_id": ids.CHECKIN_SNOOZE,
              "placeholder": {"type": "plain_text", "text": "Snooze"},
              "options": [{"text": {"type": "plain_text", "text": text},
                           "value": f"{round_id}:{choice}"}
                          for choice, text in (("hour", "For an hour"),
                                               ("tomorrow", "Until tomorrow, same time"))]}
    blocks.append({"type": "actions", "block_id": ids.CHECKIN_ACTIONS, "elements": [
        button("Start check-in", ids.CHECKIN_START, str(round_id), "primary"),
        button("Skip this week", ids.CHECKIN_SKIP, str(round_id)), snooze]})
    blocks.append(context(f"Answers are collected until {escape(greeting.closes)}."))
    for entry in list(blockers)[:BLOCKERS_SHOWN]:
        blocks.append(section(f"Still blocked? *{entry.label}*: {clipped(entry.text, 300)}"))
        blocks.append({"type": "actions", "block_id": f"{ids.BLOCKER_ACTIONS}{entry.number}",
                       "elements": [
                           button("Still blocked", ids.BLOCKER_STILL, str(entry.number)),
                           button("Resolved", ids.BLOCKER_RESOLVED, str(entry.number))]})
    return {"text": fallback(intro), "blocks": blocks}


def reminder_dm(round_id: int, closes: str) -> dict:
    """The one reminder of a round not answered yet; `closes` in the person's own zone."""
    text = f"A reminder: your weekly check-in is still open, until {closes}. About a minute."
    return {"text": fallback(text), "blocks": [
        section(f":hourglass_flowing_sand: {escape(text)}"),
        {"type": "actions", "block_id": ids.CHECKIN_ACTIONS, "elements": [
            button("Start check-in", ids.CHECKIN_START, str(round_id), "primary"),
            button("Skip this week", ids.CHECKIN_SKIP, str(round_id))]}]}
