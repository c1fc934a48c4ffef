"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk`: the chain as lists that fit Slack. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.okrs.method.chain import ChainNode, Visit
from bot.okrs.method.diagnosis import BrokenLink, Step
from bot.okrs.method.explanations import EarlyWarning
from bot.slack.blocks.mrkdwn import escape, header, section
from bot.slack.blocks.mrkdwn import fallback as fallback_text
from bot.slack.blocks.packing import Packer, packed
from bot.slack.blocks.share import share_button
from bot.slack.blocks.status import mark as _mark


def _whose(node: ChainNode, levels: Mapping[str, int] | None) -> str:
    if not levels or node.owner not in levels:
        return ""
    level = levels[node.owner]
    return f" · <@{node.owner}>, {LEVELS.get(level, 'through others')}"


def node_line(node: ChainNode, *, indent: int = 0, broken: BrokenLink | None = None) -> str:
    flag = " ⛓ *first broken link*" if broken is not None and broken.node.id == node.id else ""
    pad = "\u2003" * indent  # em spaces: Slack keeps them, unlike leading spaces
    return (f"{pad}{_mark(node)} {escape(node.label)} *{escape(node.name)}* "
            f"(`{escape(node.key)}`){flag} — _{escape(node.health.reason)}_")


def message(title: str, blocks: list[dict], *, fallback: str, shareable: str | None) -> dict:
    out = [header(title), *blocks]
    if shareable:
        out.append(share_button(shareable))
    return {"response_type": "ephemeral", "text": fallback_text(fallback), "blocks": out}


def tree_message(root: ChainNode, visits: Iterable[Visit], broken: BrokenLink | None, *,
                 shareable: str | None) -> dict:
    """The chain below `root` as `walk_down` visits it, one line per node (and one per branch
    cut at the depth limit), formatted only as far as Slack's limits let it show."""
    packer = Packer()
    left_out = 0
    for visit in visits:
        lines = 1 + bool(visit.hidden)
        if packer.full:
            left_out += lines  # counted, never formatted
            continue
        left_out += not packer.add(node_line(visit.node, indent=visit.depth, broken=broken))
        if visit.hidden:
            left_out += not packer.add(
                f"{chr(0x2003) * (visit.depth + 1)}… {visit.hidden} below: "
                f"`/okr tree {escape(visit.node.key)}`")
    blocks = packer.finish(left_out=left_out,
                           more_hint="open a branch with `/okr tree <key>`")
    return message(f"Causal chain from {root.name}", blocks,
                   fallback=f"{root.name}: {root.health.status.value}", shareable=shareable)


def why_message(steps: Sequence[Step], *, shareable: str | None,
                warnings: Sequence[EarlyWarning] = ()) -> dict:
    lines = []
    for depth, step in enumerate(steps):
        arrow = "↳ " if depth else ""
        node = step.node
        lines.append(f"{chr(0x2003) * depth}{arrow}{_mark(node)} {escape(node.label)} "
                     f"*{escape(node.name)}* (`{escape(node.key)}`)\n"
                     f"{chr(0x2003) * (depth + 1)}_{escape(step.evidence)}_")
    if steps and len(steps) > 1:
        last = steps[-1].node
        lines.append(f"\n*What explains it:* {escape(last.label)} *{escape(last.name)}*")
    elif steps:
        lines.append("\nNothing below it is yellow or red: no further explanation in the data.")
    if warnings:
        lines.append("\n*Early warnings* (leading indicators move first):")
        lines.extend(f"• {escape(w.text)}" for w in warnings)
    title = f"Why: {steps[0].node.name}" if steps else "Why"
    return message(title, packed(lines, more_hint="see `/okr tree`"),
                   fallback=title, shareable=shareable)


# Whose a line of a reporting line is, by how far its owner sits below the line's head.
LEVELS = {0: "theirs", 1: "a direct report's"}


def list_message(title: str, nodes: Sequence[ChainNode], *, empty: str,
                 shareable: str | None, levels: Mapping[str, int] | None = None) -> dict:
    """Nodes, one line each. `levels` (a reporting line: owner → how far below its head) marks
    each line with whose it is: the head's own, a direct report's, or one reached through
    others."""
    if not nodes:
        return message(title, [section(escape(empty))], fallback=empty, shareable=None)
    lines = [node_line(node) + _whose(node, levels) for node in nodes]
    return message(title, packed(lines, more_hint="narrow it with `/okr status <objective>`"),
                   fallback=f"{title}: {len(nodes)}", shareable=shareable)
