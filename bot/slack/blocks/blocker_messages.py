"""What `/okr blockers` and `/okr blocker add | resolve` answer. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.checkins.blocker_rules import BlockerEntry, Resolution
from bot.okrs.method.chain import Chain
from bot.slack.blocks.blocker_text import ago, clipped, entry_text, item_text
from bot.slack.blocks.chain_views import LEVELS, message
from bot.slack.blocks.mrkdwn import context, escape, section
from bot.slack.blocks.update import ephemeral

FORMS = (
    "*Raise a blocker:* `/okr blocker add <objective, key result, KPI or activity> <what "
    "blocks it>` — the item by its key, the start of its name, or its name in quotes; `-` "
    "instead of a name for a blocker on nothing in particular.\n"
    "Example: `/okr blocker add onboarding-tours waiting on the design review`\n"
    "*Resolve one:* `/okr blocker resolve <number> [note]` — its author, the blocked item's "
    "owner, either one's manager or a workspace admin may.\n"
    "Example: `/okr blocker resolve B-12 design review done`\n"
    "*See the open ones:* `/okr blockers [mine | team]`")


def list_message(title: str, entries: Sequence[BlockerEntry], *, now: datetime,
                 chain: Chain | None, page: int, page_size: int, next_command: str,
                 shareable: str | None, empty: str,
                 levels: Mapping[str, int] | None = None) -> dict:
    """One page of open blockers, one section each, then how many more and how to see them.
    `levels` (a reporting line: person → how far below its head) marks each blocker with
    whose it is: the item's owner if they are in the line, else its author."""
    if not entries:
        return message(title, [section(escape(empty))], fallback=empty, shareable=None)
    first = (page - 1) * page_size
    shown = entries[first:first + page_size]
    if not shown:
        said = f"There are {len(entries)} open blockers: page {page} is past the last one."
        return message(title, [section(escape(said))], fallback=said, shareable=None)
    blocks = [context(f"{len(entries)} open · what they hold back first (objectives, key "
                      "results, activities, KPIs, then general), oldest first")]
    blocks += [section(entry_text(entry, now=now, chain=chain) + _whose(entry, levels))
               for entry in shown]
    rest = len(entries) - first - len(shown)
    if rest > 0:
        blocks.append(context(f"…and {rest} more: `{escape(next_command)}`"))
    return message(title, blocks, fallback=f"{title}: {len(entries)}", shareable=shareable)


def _whose(entry: BlockerEntry, levels: Mapping[str, int] | None) -> str:
    if not levels:
        return ""
    owner = entry.item.owner if entry.item is not None else None
    person = owner if owner in levels else entry.author
    if person not in levels:
        return ""
    return f"\n_{LEVELS.get(levels[person], 'through others')}: <@{person}>_"


def raised(entry: BlockerEntry) -> dict:
    blocks = [section(f":construction: Blocker *{entry.label}* raised on "
                      f"{item_text(entry.item)}:\n>{clipped(entry.text, 2000)}"),
              context(f"Raised by <@{entry.author}> from Slack · `/okr blockers` lists it · "
                      f"`/okr blocker resolve {entry.label} [note]` closes it")]
    return ephemeral(f"Blocker {entry.label} raised", blocks)


def resolved(resolution: Resolution, *, now: datetime) -> dict:
    entry = resolution.blocker
    when = ago(entry.resolved_at or now, now)
    note = f" · “{clipped(entry.resolution)}”" if entry.resolution else ""
    if resolution.changed:
        head = f":white_check_mark: Blocker *{entry.label}* is resolved."
        fallback = f"Blocker {entry.label} resolved"
    else:
        head = (f"Blocker *{entry.label}* was already resolved by <@{entry.resolved_by}> "
                f"{when}. Nothing changed.")
        fallback = f"Blocker {entry.label} was already resolved"
    return ephemeral(fallback, [
        section(f"{head}\non {item_text(entry.item)}\n>{clipped(entry.text)}"),
        context(f"Resolved by <@{entry.resolved_by}> {when}{note}")])


def refusal(entry: BlockerEntry) -> dict:
    """Not theirs to resolve: who may, with real mentions; nothing changed."""
    who = [f"its author (<@{entry.author}>)"]
    if entry.item is not None and entry.item.owner and entry.item.owner != entry.author:
        who.append(f"the owner of *{escape(entry.item.name)}* (<@{entry.item.owner}>)")
    managers = "either one's manager" if len(who) > 1 else "their manager"
    text = (f":no_entry: Only {' or '.join(who)}, {managers} or a workspace admin can "
            f"resolve *{entry.label}*. Nothing changed.")
    return ephemeral(f"You may not resolve {entry.label}. Nothing changed.", [section(text)])


def forms(*, problem: str | None = None) -> dict:
    """How to raise and resolve blockers, after what was wrong with the input, if anything.
    The forms' <placeholders> are escaped too, or Slack would read them as links."""
    blocks = [section(f":warning: {escape(problem)}")] if problem else []
    blocks.append(section(escape(FORMS)))
    return ephemeral(problem or "How to raise and resolve blockers", blocks)
