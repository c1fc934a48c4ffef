"""Bringing a built chain up to date after new measurements, recomputing only what they feed:
the same chain `build_chain` gives from the new blueprints. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

# The builder is the chain module's own; updating a chain is building part of one again.
from bot.okrs.method.chain import Blueprint, Chain, NodeId, _Builder


def update_chain(chain: Chain, replaced: Iterable[Blueprint],
                 now: datetime | None = None) -> Chain:
    """The chain as `build_chain` would compute it, at the same present, with these nodes'
    blueprints replaced (new measurements; the plan's shape unchanged): only they and what
    depends on them are recomputed — their parents up to the North Star, and the metrics
    they guard as counter-metrics, and so on up — everything else is taken as it was.
    The given chain is left as it was: requests may still be reading it.

    A later `now` computes what is recomputed at that present (a measurement taken after the
    chain's present counts only from then); the rest stays as of the chain's present, as
    any cached node does until the chain is next computed whole."""
    assert chain.computed_at is not None
    new = {b.id: b for b in replaced if b.id in chain.nodes}
    builder = _Builder((), max(now or chain.computed_at, chain.computed_at))
    builder.blueprints = _Replaced(chain, new)  # type: ignore[assignment]
    guarding = chain.shape_memo("guarding", lambda: _guarding(chain))
    outdated, todo = set(new), list(new)
    while todo:
        node_id = todo.pop()
        for dependent in (*chain.parents.get(node_id, ()), *guarding.get(node_id, ())):
            if dependent not in outdated:
                outdated.add(dependent)
                todo.append(dependent)
    builder.chain = Chain(nodes=dict(chain.nodes), children=chain.children,
                          parents=chain.parents, computed_at=builder.now,
                          _memo=chain.shape_memos())  # the plan's shape: still true
    builder.outdated = outdated
    for node_id in list(outdated):
        builder.node(node_id)
    return builder.chain


class _Replaced(Mapping[NodeId, Blueprint]):
    """The chain's blueprints with a few replaced, without copying the rest."""

    def __init__(self, chain: Chain, new: dict[NodeId, Blueprint]) -> None:
        self.nodes, self.new = chain.nodes, new

    def __getitem__(self, node_id: NodeId) -> Blueprint:
        found = self.new.get(node_id)
        return found if found is not None else self.nodes[node_id].blueprint

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __iter__(self) -> Iterator[NodeId]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


def _guarding(chain: Chain) -> dict[NodeId, list[NodeId]]:
    """Metric → the metrics whose health it can turn yellow as their counter-metric."""
    out: dict[NodeId, list[NodeId]] = {}
    for node in chain.nodes.values():
        for counter in node.blueprint.counter_metrics:
            out.setdefault(counter, []).append(node.id)
    return out
