"""Reading a built chain for what went wrong: the first broken link below a node, and a
top-down diagnosis from the North Star to the leaf that explains it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.okrs.method.chain import Chain, ChainNode, NodeId, NodeKind
from bot.okrs.method.enums import Status
from bot.okrs.method.explanations import attributions, tree_miss


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
    return [a.key for a in attributions(node, chain)]


def _evidence(node: ChainNode, chain: Chain) -> str:
    if node.kind is NodeKind.KPI and (miss := tree_miss(chain, node)) is not None:
        return f"{node.health.reason}; {miss}"
    if node.kind is NodeKind.OBJECTIVE:
        results = [c for c in chain.children_of(node.id) if c.kind is NodeKind.KEY_RESULT]
        if results:
            worst = max(results, key=_badness)
            if worst.health.status is not Status.GREEN:
                return f"{node.health.reason}; worst key result {worst.name}: {worst.health.reason}"
    return node.health.reason
