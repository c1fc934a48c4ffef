"""The causal chain as plain text, for the command line (Slack gets Block Kit elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.okrs.method.chain import Chain, Subtree, path_up
from bot.okrs.method.diagnosis import BrokenLink, Step
from bot.okrs.method.enums import Status
from bot.okrs.method.explanations import EarlyWarning

MARKS = {Status.GREEN: "🟢", Status.YELLOW: "🟡", Status.RED: "🔴", Status.NO_DATA: "⚪"}


def mark(status: Status, stale: bool = False) -> str:
    return MARKS[status] + (" (stale)" if stale else "")


def tree_lines(tree: Subtree, broken: BrokenLink | None = None) -> list[str]:
    node = tree.node
    flag = ""
    if broken is not None and broken.node.id == node.id:
        causes = ", ".join(c.key for c in broken.explained_by)
        flag = f"  ← first broken link{f' (explained by {causes})' if causes else ''}"
    lines = [f"{'  ' * tree.depth}{mark(node.health.status, node.health.stale)} "
             f"{node.label} {node.name} [{node.key}] — {node.health.reason}{flag}"]
    for child in tree.children:
        lines += tree_lines(child, broken)
    return lines


def upward_lines(chain: Chain, tree: Subtree) -> list[str]:
    above = path_up(chain, tree.node.id)[1:]
    return [f"↑ {mark(n.health.status, n.health.stale)} {n.label} {n.name} [{n.key}] — "
            f"{n.health.reason}" for n in reversed(above)]


def diagnosis_lines(steps: list[Step], warnings: Sequence[EarlyWarning] = ()) -> list[str]:
    lines = []
    for depth, step in enumerate(steps):
        node = step.node
        arrow = "→ " if depth else ""
        lines.append(f"{'  ' * depth}{arrow}{mark(node.health.status, node.health.stale)} "
                     f"{node.label} {node.name} [{node.key}]: {step.evidence}")
    if warnings:
        lines.append("Early warnings (leading indicators move first):")
        lines.extend(f"  {w.text}" for w in warnings)
    return lines
