"""What the OKR flows answer with, as plain data every surface renders: pure, so Block Kit
builders, the CLI and jobs can take them without reaching the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.confidence import Confidence
from bot.okrs.method.chain import (
    Chain,
    ChainNode,
    NodeId,
    NodeKind,
    Subtree,
    Visit,
)
from bot.okrs.method.diagnosis import BrokenLink, Step
from bot.okrs.method.explanations import EarlyWarning


@dataclass(frozen=True)
class ObjectiveStatus:
    """One objective with what `status` shows: its chain (health at every node), the first
    broken link below it, the open blockers on what is shown, and the owners' confidence."""

    chain: Chain
    objective: ChainNode
    broken: BrokenLink | None
    blockers: list[BlockerEntry]
    confidences: dict[str, Confidence]  # by key result key
    now: datetime


@dataclass(frozen=True)
class TreeView:
    root: ChainNode
    visits: Iterable[Visit]  # lazy: a renderer that shows one screenful stops early
    broken: BrokenLink | None


@dataclass(frozen=True)
class ChainFrom:
    root: ChainNode
    subtree: Subtree
    broken: BrokenLink | None


@dataclass(frozen=True)
class Diagnosis:
    root: ChainNode
    steps: list[Step]
    # Red leading indicators below the root and the lagging numbers they say will follow.
    warnings: list[EarlyWarning] = field(default_factory=list)


def objective_parts(chain: Chain, objective: ChainNode) -> tuple[
        list[ChainNode], list[ChainNode], dict[NodeId, ChainNode]]:
    """The objective's key results, the activities driving it, and the KPIs measuring it or
    them (each once, in the plan's order)."""
    children = chain.children_of(objective.id)
    key_results = [c for c in children if c.kind is NodeKind.KEY_RESULT]
    activities = [c for c in children if c.kind is NodeKind.ACTIVITY]
    kpis = {c.id: c for c in children if c.kind is NodeKind.KPI}
    for activity in activities:
        kpis.update({k.id: k for k in chain.children_of(activity.id)
                     if k.kind is NodeKind.KPI})
    return key_results, activities, kpis


def shown_nodes(chain: Chain, objective: ChainNode) -> list[NodeId]:
    """What the status of an objective shows below it: itself, its key results, the activities
    driving it and the KPIs measuring them. Its open blockers are the blockers on these."""
    key_results, activities, kpis = objective_parts(chain, objective)
    return [objective.id, *(n.id for n in (*key_results, *activities)), *kpis]


@dataclass(frozen=True)
class TeamView:
    """What a team owns. `levels`: for a reporting line, how far each member is from its head
    (0 the head, 1 a direct report, 2 and more reached through others)."""

    title: str
    nodes: list[ChainNode]
    levels: dict[str, int]
