"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk`: the chain as lists that fit Slack. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.okrs.chain import BrokenLink, ChainNode, Step, Subtree
from bot.slack.blocks.mrkdwn import context, escape, header, section
from bot.slack.blocks.status import SHARE_ACTION
from bot.slack.blocks.status import mark as _mark

SECTION_BUDGET = 2900  # under Slack's 3000 characters, with room for "…and N more"
MAX_BLOCKS = 45  # under Slack's 50 per message, with room for a header and a button


def node_line(node: ChainNode, *, indent: int = 0, broken: BrokenLink | None = None) -> str:
    flag = " ⛓ *first broken link*" if broken is not None and broken.node.id == node.id else ""
    pad = "\u2003" * indent  # em spaces: Slack keeps them, unlike leading spaces
    return (f"{pad}{_mark(node)} {escape(node.label)} *{escape(node.name)}* "
            f"(`{escape(node.key)}`){flag} — _{escape(node.health.reason)}_")


def packed(lines: Sequence[str], *, more_hint: str) -> list[dict]:
    """Lines packed into as few sections as fit, within Slack's limits, then '…and N more'."""
    blocks: list[dict] = []
    current = ""
    used = 0
    for line in lines:
        if len(line) > SECTION_BUDGET:
            line = line[:SECTION_BUDGET - 1] + "…"
        if current and len(current) + len(line) + 1 > SECTION_BUDGET:
            if len(blocks) + 1 >= MAX_BLOCKS:
                break
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
        used += 1
    if current:
        blocks.append(section(current))
    if used < len(lines):
        blocks.append(context(f"…and {len(lines) - used} more: {more_hint}"))
    return blocks


def share_button(command: str) -> dict:
    return {"type": "actions", "elements": [{
        "type": "button", "action_id": SHARE_ACTION, "value": command[:2000],
        "text": {"type": "plain_text", "text": "Share in channel"}}]}


def message(title: str, blocks: list[dict], *, fallback: str, shareable: str | None) -> dict:
    out = [header(title), *blocks]
    if shareable:
        out.append(share_button(shareable))
    return {"response_type": "ephemeral", "text": escape(fallback), "blocks": out}


def tree_message(tree: Subtree, broken: BrokenLink | None, *, max_depth: int,
                 shareable: str | None) -> dict:
    lines: list[str] = []

    def walk(node: Subtree) -> None:
        lines.append(node_line(node.node, indent=node.depth, broken=broken))
        if node.depth < max_depth:
            for child in node.children:
                walk(child)
        elif node.children:
            lines.append(f"{chr(0x2003) * (node.depth + 1)}… {len(node.children)} below: "
                         f"`/okr tree {escape(node.node.key)}`")

    walk(tree)
    blocks = packed(lines, more_hint="open a branch with `/okr tree <key>`")
    return message(f"Causal chain from {tree.node.name}", blocks,
                   fallback=f"{tree.node.name}: {tree.node.health.status.value}",
                   shareable=shareable)


def why_message(steps: Sequence[Step], *, shareable: str | None) -> dict:
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
    title = f"Why: {steps[0].node.name}" if steps else "Why"
    return message(title, packed(lines, more_hint="see `/okr tree`"),
                   fallback=title, shareable=shareable)


def list_message(title: str, nodes: Sequence[ChainNode], *, empty: str,
                 shareable: str | None) -> dict:
    if not nodes:
        return message(title, [section(escape(empty))], fallback=empty, shareable=None)
    lines = [node_line(node) for node in nodes]
    return message(title, packed(lines, more_hint="narrow it with `/okr status <objective>`"),
                   fallback=f"{title}: {len(nodes)}", shareable=shareable)
