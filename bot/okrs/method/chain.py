"""The causal chain: North Star ← goals ← objectives ← activities, KPIs measuring activities and
objectives, KPI trees below KPIs. Traceable both ways, with health at every node. Pure.

`build_chain` takes blueprints (what the plan says, with measurements) and computes each node's
health bottom-up; `path_up`, `subtree`, `walk_down`, `first_broken_link` and `diagnose` read
the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.okrs.method.enums import ActivityStatus, Direction, Operator, Rollup, Status
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
        if node_id in self.chain.nodes:
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
        self.chain.nodes[node_id] = node
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


def _badness(node: ChainNode) -> tuple[int, float, int]:
    health = node.health
    rank = {Status.RED: 3, Status.YELLOW: 2, Status.NO_DATA: 1, Status.GREEN: 0}[health.status]
    progress = health.progress if health.progress is not None else 1.0
    return (rank, -progress, int(health.stale))


@dataclass(frozen=True)
class BrokenLink:
    node: ChainNode
    explained_by: tuple[ChainNode, ...]  # its red children; empty when it is red on its own


def first_broken_link(chain: Chain, root: NodeId) -> BrokenLink | None:
    """The highest red node below `root` (or root itself) whose red children explain it;
    failing that, the highest red leaf, which is its own explanation."""
    level: list[NodeId] = [root]
    seen: set[NodeId] = set()
    highest_red: ChainNode | None = None
    while level:
        nodes = sorted((chain.nodes[n] for n in level if n in chain.nodes), key=_badness,
                       reverse=True)
        for node in nodes:
            if node.health.status is not Status.RED:
                continue
            red_children = tuple(c for c in chain.children_of(node.id)
                                 if c.health.status is Status.RED)
            if red_children:
                return BrokenLink(node, red_children)
            if not chain.children.get(node.id):
                highest_red = highest_red or node  # a red leaf explains itself
        seen.update(level)
        level = [c for n in level for c in chain.children.get(n, []) if c not in seen]
    return BrokenLink(highest_red, ()) if highest_red else None


@dataclass(frozen=True)
class Step:
    """One step of a top-down diagnosis: a node, its health, and why the next step was taken."""

    node: ChainNode
    evidence: str


# Which children can explain a node, going down: key results are an objective's own measure
# (evidence), the work and its KPIs are what explain it.
NEXT_KINDS = {
    NodeKind.NORTH_STAR: (NodeKind.GOAL,),
    NodeKind.GOAL: (NodeKind.OBJECTIVE, NodeKind.ACTIVITY),
    NodeKind.OBJECTIVE: (NodeKind.ACTIVITY, NodeKind.KPI),
    NodeKind.ACTIVITY: (NodeKind.KPI,),
    NodeKind.KPI: (NodeKind.KPI,),
}


def diagnose(chain: Chain, root: NodeId | None = None) -> list[Step]:
    """From the North Star (or `root`) down the worst path to the leaf that explains it.

    At each level the child chosen is the one with the worst trouble in or below it, so a goal
    whose own measure is on pace but whose objective is red is still followed down.
    """
    star = chain.north_star
    current = root or (star.id if star else None)
    trouble = _Trouble(chain)
    steps: list[Step] = []
    seen: set[NodeId] = set()
    while current is not None and current in chain.nodes and current not in seen:
        seen.add(current)
        node = chain.nodes[current]
        candidates = [c for c in chain.children_of(current)
                      if c.kind in NEXT_KINDS.get(node.kind, ()) and c.id not in seen]
        following = _explaining_child(node, candidates, chain, trouble)
        steps.append(Step(node, _evidence(node, chain)))
        if following is None or trouble.below(following.id) == 0:
            break  # nothing further down is yellow or red: this is as far as evidence goes
        current = following.id
    return steps


class _Trouble:
    """The worst status (red 2, yellow 1, else 0) of a node and everything below it."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.memo: dict[NodeId, int] = {}

    def below(self, node_id: NodeId, seen: frozenset[NodeId] = frozenset()) -> int:
        if node_id in self.memo:
            return self.memo[node_id]
        own = {Status.RED: 2, Status.YELLOW: 1}.get(self.chain.nodes[node_id].health.status, 0)
        worst = max([own, *(self.below(c, seen | {node_id})
                            for c in self.chain.children.get(node_id, [])
                            if c in self.chain.nodes and c not in seen | {node_id})])
        self.memo[node_id] = worst
        return worst


def _explaining_child(node: ChainNode, candidates: list[ChainNode], chain: Chain,
                      trouble: _Trouble) -> ChainNode | None:
    if not candidates:
        return None
    if node.kind is NodeKind.KPI and node.blueprint.formula:
        by_impact = _attributions(node, chain)
        ranked = [c for key in by_impact for c in candidates if c.key == key]
        if ranked:
            return ranked[0]
    return max(candidates, key=lambda c: (trouble.below(c.id), *_badness(c)))


def _attributions(node: ChainNode, chain: Chain) -> list[str]:
    """Formula inputs ordered by how much of the parent's miss each explains."""
    inputs = []
    for tree_input in node.blueprint.formula:
        child = chain.nodes.get((NodeKind.KPI, tree_input.key))
        if child is None or child.blueprint.metric is None:
            return []
        inputs.append(replace(tree_input, value=child.health.value,
                              target=child.blueprint.metric.target))
    metric = node.blueprint.metric
    try:
        result = evaluate(node.blueprint.formula_operator, inputs,  # type: ignore[arg-type]
                          direction=metric.direction if metric else Direction.HIGHER_IS_BETTER)
    except ValueError:
        return []
    return [a.key for a in result.attributions if a.impact > 0]


def _evidence(node: ChainNode, chain: Chain) -> str:
    if node.kind is NodeKind.OBJECTIVE:
        results = [c for c in chain.children_of(node.id) if c.kind is NodeKind.KEY_RESULT]
        if results:
            worst = max(results, key=_badness)
            if worst.health.status is not Status.GREEN:
                return f"{node.health.reason}; worst key result {worst.name}: {worst.health.reason}"
    return node.health.reason
