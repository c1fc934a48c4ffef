"""The causal chain: North Star ← goals ← objectives ← activities, KPIs measuring activities and
objectives, KPI trees below KPIs. Traceable both ways, with health at every node. Pure.

`build_chain` takes blueprints (what the plan says, with measurements) and computes each node's
health bottom-up (`chain_update.update_chain` recomputes part of a built one); `path_up`,
`subtree` and `walk_down` read the result, and so do `first_broken_link` and `diagnose`
(bot/okrs/method/diagnosis.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.okrs.method.enums import ActivityStatus, Indicator, Operator, Rollup, Status
from bot.okrs.method.health import (
    Health,
    Measurement,
    MetricSpec,
    metric_health,
    rollup,
    with_counter_metric,
)
from bot.okrs.method.kpi_tree import TreeInput, evaluate


class NodeKind(StrEnum):
    NORTH_STAR = "north_star"
    GOAL = "goal"
    OBJECTIVE = "objective"
    KEY_RESULT = "key_result"
    ACTIVITY = "activity"
    KPI = "kpi"


LABELS = {NodeKind.NORTH_STAR: "North Star", NodeKind.GOAL: "Goal",
          NodeKind.OBJECTIVE: "Objective", NodeKind.KEY_RESULT: "Key result",
          NodeKind.ACTIVITY: "Activity", NodeKind.KPI: "KPI"}

NodeId = tuple[NodeKind, str]
T = TypeVar("T")


@dataclass(frozen=True)
class Blueprint:
    """A node as the plan describes it, before its health is known."""

    kind: NodeKind
    key: str
    name: str
    owner: str | None = None
    metric: MetricSpec | None = None
    measurements: tuple[Measurement, ...] = ()
    children: tuple[NodeId, ...] = ()  # down the chain, in the plan's order
    rollup: Rollup = Rollup.WORST  # objectives: how key results combine
    activity_status: ActivityStatus | None = None
    counter_metrics: tuple[NodeId, ...] = ()
    formula: tuple[TreeInput, ...] = ()  # KPI-tree inputs (values filled in by build_chain)
    formula_operator: Operator | None = None
    timeframe: tuple[date, date] | None = None  # objectives: start and end
    indicator: Indicator | None = None  # KPIs: leading ones move first and warn

    @property
    def id(self) -> NodeId:
        return (self.kind, self.key)


@dataclass(frozen=True)
class ChainNode:
    kind: NodeKind
    key: str
    name: str
    owner: str | None
    health: Health
    blueprint: Blueprint

    @property
    def id(self) -> NodeId:
        return (self.kind, self.key)

    @property
    def label(self) -> str:
        return LABELS[self.kind]


SHAPE = "shape:"  # the prefix of memos an in-place update keeps (Chain.shape_memo)


@dataclass
class Chain:
    nodes: dict[NodeId, ChainNode] = field(default_factory=dict)
    children: dict[NodeId, list[NodeId]] = field(default_factory=dict)
    parents: dict[NodeId, list[NodeId]] = field(default_factory=dict)
    computed_at: datetime | None = None  # the present its health was computed for
    # Indexes computed once per chain (a cached chain answers many commands).
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` the first time, the same value after: for indexes over a built chain,
        which never changes. Two threads may both compute it; either result is the same."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def shape_memo(self, name: str, compute: Callable[[], T]) -> T:
        """`memo` for an index of the plan's shape alone (node ids, keys, names, kinds, links;
        no health, no ChainNode): a chain updated in place keeps it (`shape_memos`), so it is
        computed once per plan, not once per new measurement."""
        return self.memo(SHAPE + name, compute)

    def shape_memos(self) -> dict[str, Any]:
        return {name: value for name, value in list(self._memo.items())
                if name.startswith(SHAPE)}

    def of_kind(self, kind: NodeKind) -> list[ChainNode]:
        """The nodes of one kind, in the plan's order."""
        return self.memo(f"kind:{kind}", lambda: [n for n in self.nodes.values()
                                                  if n.kind is kind])

    def owned_by(self, owner: str) -> list[ChainNode]:
        by_owner = self.memo("owners", self._by_owner)
        return by_owner.get(owner, [])

    def _by_owner(self) -> dict[str, list[ChainNode]]:
        out: dict[str, list[ChainNode]] = {}
        for node in self.nodes.values():
            if node.owner:
                out.setdefault(node.owner, []).append(node)
        return out

    @property
    def north_star(self) -> ChainNode | None:
        stars = self.of_kind(NodeKind.NORTH_STAR)
        return stars[0] if stars else None

    def find(self, key: str) -> ChainNode | None:
        return next((n for n in self.nodes.values() if n.key == key), None)

    def children_of(self, node_id: NodeId) -> list[ChainNode]:
        return [self.nodes[c] for c in self.children.get(node_id, []) if c in self.nodes]


class _Builder:
    def __init__(self, blueprints: Iterable[Blueprint], now: datetime) -> None:
        self.blueprints = {b.id: b for b in blueprints}
        self.now = now
        self.chain = Chain(computed_at=now)
        self.own: dict[NodeId, Health] = {}  # metric health before counter-metrics
        self.visiting: set[NodeId] = set()
        self.outdated: set[NodeId] = set()  # nodes of the chain being updated to recompute

    def build(self) -> Chain:
        for blueprint in self.blueprints.values():
            children = [c for c in blueprint.children if c in self.blueprints]
            self.chain.children[blueprint.id] = children
            for child in children:
                self.chain.parents.setdefault(child, []).append(blueprint.id)
        for node_id in self.blueprints:
            self.node(node_id)
        return self.chain

    def own_health(self, node_id: NodeId) -> Health:
        if node_id not in self.own:
            blueprint = self.blueprints[node_id]
            assert blueprint.metric is not None
            self.own[node_id] = metric_health(blueprint.metric, blueprint.measurements, self.now)
        return self.own[node_id]

    def node(self, node_id: NodeId) -> ChainNode:
        if node_id in self.chain.nodes and node_id not in self.outdated:
            return self.chain.nodes[node_id]
        if node_id in self.visiting:  # a cycle (lint forbids them): judge without children
            blueprint = self.blueprints[node_id]
            cycle = Health(status=Status.NO_DATA, reason="no data: part of a cycle",
                           rule="no_data")
            return ChainNode(blueprint.kind, blueprint.key, blueprint.name, blueprint.owner,
                             cycle, blueprint)
        self.visiting.add(node_id)
        blueprint = self.blueprints[node_id]
        node = ChainNode(blueprint.kind, blueprint.key, blueprint.name, blueprint.owner,
                         self.health(blueprint), blueprint)
        self.visiting.discard(node_id)
        self.outdated.discard(node_id)
        self.chain.nodes[node_id] = node  # an updated node keeps its place in the order
        return node

    def child_healths(self, blueprint: Blueprint, *kinds: NodeKind) -> list[Health]:
        return [self.node(c).health for c in self.chain.children[blueprint.id] if c[0] in kinds]

    def health(self, blueprint: Blueprint) -> Health:
        kind = blueprint.kind
        if kind is NodeKind.OBJECTIVE:
            return rollup(self.child_healths(blueprint, NodeKind.KEY_RESULT), blueprint.rollup)
        if kind is NodeKind.ACTIVITY:
            return self.activity_health(blueprint)
        own = self.own_health(blueprint.id) if blueprint.metric else None
        if kind in (NodeKind.KEY_RESULT, NodeKind.KPI):
            assert own is not None
            # Its inputs first, whether or not they are needed: the order nodes are met in
            # (the chain's order) then follows the plan's shape, not its measurements, so a
            # chain updated in place (`update_chain`) keeps the order a rebuild gives.
            self.child_healths(blueprint, NodeKind.KPI)
            if own.status is Status.NO_DATA and blueprint.formula:
                own = self.computed_health(blueprint, own)
            return self.guarded(blueprint, own)
        # North Star and goals: their own measure when measured, else their children's.
        child_kind = NodeKind.GOAL if kind is NodeKind.NORTH_STAR else NodeKind.OBJECTIVE
        noun = "goals" if kind is NodeKind.NORTH_STAR else "objectives"
        children = rollup(self.child_healths(blueprint, child_kind), Rollup.WORST, noun=noun)
        if own is None or own.status is Status.NO_DATA:
            return children
        own = self.guarded(blueprint, own)
        if own.status is Status.GREEN and children.status is Status.RED:
            # Its own number is fine today, but what should move it next is red: a warning.
            detail = children.reason.split(": ", 1)[-1]
            return replace(own, status=Status.YELLOW, rule="children_red",
                           reason=f"yellow: {own.reason.split(': ', 1)[-1]}; but {detail}")
        return own

    def guarded(self, blueprint: Blueprint, health: Health) -> Health:
        """A green metric whose counter-metric is red is not green (either side of a pair)."""
        for counter in blueprint.counter_metrics:
            if counter in self.blueprints and self.blueprints[counter].metric is not None:
                health = with_counter_metric(health, self.own_health(counter),
                                             self.blueprints[counter].name)
        return health

    def computed_health(self, blueprint: Blueprint, own: Health) -> Health:
        """A KPI-tree parent with no value of its own: its value from its inputs' values."""
        inputs = []
        latest = None
        for tree_input in blueprint.formula:
            child_id = (NodeKind.KPI, tree_input.key)
            if child_id not in self.blueprints or self.blueprints[child_id].metric is None:
                return own
            child = self.node(child_id)
            inputs.append(replace(tree_input, value=child.health.value,
                                  target=self.blueprints[child_id].metric.target))
            times = [m.measured_at for m in self.blueprints[child_id].measurements
                     if m.measured_at <= self.now]
            if child.blueprint.formula and child.health.value is not None:
                times.append(self.now)  # computed itself: as fresh as its own inputs
            if times:
                latest = max([latest, *times]) if latest else max(times)
        metric = blueprint.metric
        assert metric is not None
        assert blueprint.formula_operator is not None
        try:
            result = evaluate(blueprint.formula_operator, inputs, direction=metric.direction)
        except ValueError as error:
            return replace(own, reason=f"no data: cannot compute from its inputs ({error})")
        if result.value is None or latest is None:
            return replace(own, reason=f"no data: {result.reason or 'inputs not measured yet'}")
        health = metric_health(metric, (Measurement(value=result.value, measured_at=latest),),
                               self.now)
        word, _, detail = health.reason.partition(": ")
        return replace(health, reason=f"{word}: {detail} (computed from its inputs)")

    def activity_health(self, blueprint: Blueprint) -> Health:
        status = blueprint.activity_status
        if status is ActivityStatus.BLOCKED:
            return Health(status=Status.RED, reason="red: the activity is blocked",
                          rule="activity_status")
        kpis = self.child_healths(blueprint, NodeKind.KPI)
        if kpis:
            measured = rollup(kpis, Rollup.WORST, noun="KPIs")
            if measured.status is not Status.NO_DATA:
                return measured
        if status is ActivityStatus.DONE:
            return Health(status=Status.GREEN, reason="green: done",
                          rule="activity_status")
        word = (status or ActivityStatus.PLANNED).value.replace("_", " ")
        # KPIs that are linked but unmeasured are not "no KPI": the fix is a value, not a link.
        why = ("no KPI measures it yet" if not kpis else "its KPI has no value yet"
               if len(kpis) == 1 else f"its {len(kpis)} KPIs have no values yet")
        return Health(status=Status.NO_DATA, reason=f"no data: {word}, {why}",
                      rule="no_data")


def build_chain(blueprints: Iterable[Blueprint], now: datetime) -> Chain:
    """Every node with its health, computed bottom-up, at `now`."""
    return _Builder(blueprints, now).build()


# Going up, the nearest level first: a KPI's parent KPI in its tree, then the activity it
# measures, then the objective. So the path reads tours → completion → objective → goal.
UPWARD_PREFERENCE = {NodeKind.KPI: 0, NodeKind.ACTIVITY: 1, NodeKind.KEY_RESULT: 1,
                     NodeKind.OBJECTIVE: 2, NodeKind.GOAL: 3, NodeKind.NORTH_STAR: 4}


def path_up(chain: Chain, node_id: NodeId) -> list[ChainNode]:
    """The node, then its parents one by one up to the North Star (nearest level first)."""
    path, seen = [], set()
    current: NodeId | None = node_id
    while current is not None and current in chain.nodes and current not in seen:
        seen.add(current)
        path.append(chain.nodes[current])
        parents = sorted((p for p in chain.parents.get(current, []) if p not in seen),
                         key=lambda p: UPWARD_PREFERENCE[p[0]])
        current = parents[0] if parents else None
    return path


@dataclass(frozen=True)
class Subtree:
    node: ChainNode
    children: tuple[Subtree, ...]
    depth: int


def subtree(chain: Chain, node_id: NodeId, *, max_depth: int = 8) -> Subtree:
    """The node and everything below it: objectives, key results, activities, KPIs, inputs."""

    def walk(current: NodeId, depth: int, seen: frozenset[NodeId]) -> Subtree:
        below = () if depth >= max_depth else tuple(
            walk(child, depth + 1, seen | {child}) for child in chain.children.get(current, [])
            if child in chain.nodes and child not in seen)
        return Subtree(chain.nodes[current], below, depth)

    return walk(node_id, 0, frozenset({node_id}))


@dataclass(frozen=True)
class Visit:
    """One node met walking down the chain: how deep, and (at the depth limit) how many
    children were not walked into."""

    node: ChainNode
    depth: int
    hidden: int = 0


def walk_down(chain: Chain, node_id: NodeId, *, max_depth: int) -> Iterator[Visit]:
    """The node and what lies below it, depth first in the plan's order, lazily: a caller
    that shows the first screenful stops early and counts the rest without building them."""
    path: set[NodeId] = set()

    def visit(current: NodeId, depth: int) -> Iterator[Visit]:
        below = [c for c in chain.children.get(current, []) if c in chain.nodes and c not in path]
        if depth >= max_depth:
            yield Visit(chain.nodes[current], depth, len(below))
            return
        yield Visit(chain.nodes[current], depth)
        path.add(current)
        for child in below:
            yield from visit(child, depth + 1)
        path.discard(current)

    yield from visit(node_id, 0)

