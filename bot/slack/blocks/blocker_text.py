"""How one blocker reads in Slack, in `/okr blockers`, in replies and in `/okr status`; and how
old things are. Pure. A blocker's words are escaped here, so every surface shows them safely."""

from __future__ import annotations

from datetime import datetime

from bot.checkins.blocker_rules import BlockedItem, BlockerEntry
from bot.okrs.method.chain import Chain
from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.visuals import status_mark

LIST_CLIP = 300  # characters of a blocker's words in a list; the rest is one command away


def age(since: datetime, now: datetime) -> str:
    """How long since, in the largest whole unit: "under a minute", "5 minutes", "3 days"."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


def ago(since: datetime, now: datetime) -> str:
    said = age(since, now)
    return "just now" if said == "under a minute" else f"{said} ago"


def clipped(text: str, limit: int = LIST_CLIP) -> str:
    """The words on one line, cut at `limit` characters, then escaped."""
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def item_text(item: BlockedItem | None, chain: Chain | None = None) -> str:
    if item is None:
        return "general (not tied to one item)"
    node = chain.nodes.get(item.id) if chain is not None else None
    status = f"{status_mark(node.health.status, node.health.stale)} " if node else ""
    owner = f", owner <@{item.owner}>" if item.owner else ""
    return f"{status}{escape(item.label)} *{escape(item.name)}* (`{escape(item.key)}`){owner}"


def entry_text(entry: BlockerEntry, *, now: datetime, chain: Chain | None = None,
               clip: int = LIST_CLIP) -> str:
    """Number, age, author, what it blocks, then the words as a quote."""
    return (f"*{entry.label}* · open {age(entry.created_at, now)} · raised by <@{entry.author}>"
            f"\non {item_text(entry.item, chain)}\n>{clipped(entry.text, clip)}")
