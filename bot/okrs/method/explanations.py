"""The method's diagnosis in words, for people who read it in a digest or under `/okr why`:
which driver of a KPI tree explains a miss, and which lagging numbers a red leading indicator
says will follow. Pure: it reads a built chain.

(A counter-metric that turned red beside a green metric is said by the metric's own health:
"yellow: counter-metric … is red", bot/okrs/method/health.py.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.okrs.method.chain import Chain, ChainNode, NodeId, NodeKind
from bot.okrs.method.enums import Direction, Indicator, Status
from bot.okrs.method.kpi_tree import Attribution, evaluate


def attributions(node: ChainNode, chain: Chain) -> list[Attribution]:
    """How much of a KPI-tree node's miss each of its inputs explains, biggest first (only
    inputs that explain some); empty when an input is unknown or has no value."""
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
    return [a for a in result.attributions if a.impact > 0]


def tree_miss(chain: Chain, node: ChainNode) -> str | None:
    """For a KPI computed from drivers and behind its target, how much it misses by and how
    much of that each driver explains, naming the driver further down the biggest one
    depends on: "Revenue 6% under target: new revenue explains 70% (lead conversion, leading,
    is the driver), expansion revenue 30%". None when it is on target or cannot be told."""
    spec, value = node.blueprint.metric, node.health.value
    if not node.blueprint.formula or spec is None or spec.target in (None, 0) or value is None:
        return None
    lower_is_better = spec.direction is Direction.LOWER_IS_BETTER
    gap = (value - spec.target) / abs(spec.target)
    if (gap >= 0) != lower_is_better or gap == 0:
        return None  # at or past its target, in the direction that counts
    parts = []
    for number, attribution in enumerate(attributions(node, chain)):
        child = chain.nodes[(NodeKind.KPI, attribution.key)]
        share = f"{attribution.share:.0%}"
        if number == 0:
            driver = _driver(chain, child)
            named = (f" ({_lower_first(driver.name)}{_kind_of(driver)}, is the driver)"
                     if driver is not None else "")
            parts.append(f"{_lower_first(child.name)} explains {share}{named}")
        else:
            parts.append(f"{_lower_first(child.name)} {share}")
    if not parts:
        return None
    side = "over" if lower_is_better else "under"
    return f"{node.name} {abs(gap):.0%} {side} target: {', '.join(parts)}"


def _driver(chain: Chain, node: ChainNode) -> ChainNode | None:
    """Down a tree from `node`, the input that explains most of each miss, to the last one."""
    found, seen = None, {node.id}
    while node.blueprint.formula:
        explained = attributions(node, chain)
        if not explained:
            break
        following = chain.nodes[(NodeKind.KPI, explained[0].key)]
        if following.id in seen:
            break
        seen.add(following.id)
        found = node = following
    return found


def _kind_of(node: ChainNode) -> str:
    return f", {node.blueprint.indicator.value}" if node.blueprint.indicator else ""


def _lower_first(name: str) -> str:
    # "New revenue" inside a sentence; a name that starts with an acronym ("AI …") stays.
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


@dataclass(frozen=True)
class EarlyWarning:
    """A red leading indicator, and the lagging numbers it says will follow."""

    leading: ChainNode
    lagging: tuple[ChainNode, ...]

    @property
    def text(self) -> str:
        names = [n.name for n in self.lagging]
        following = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return (f"Leading indicator {self.leading.name} is red: expect {following} to "
                "follow")


def early_warnings(chain: Chain, within: Iterable[NodeId] | None = None) -> list[EarlyWarning]:
    """For each red leading KPI, what has not turned red yet and will: the key results of
    the objectives it measures (directly or through their activities), and the lagging KPIs
    of a tree it feeds. `within`: only the objectives and KPIs among these nodes."""
    allowed = set(within) if within is not None else None
    lagging: dict[NodeId, list[ChainNode]] = {}
    for objective in chain.of_kind(NodeKind.OBJECTIVE):
        if allowed is not None and objective.id not in allowed:
            continue
        results = [c for c in chain.children_of(objective.id) if c.kind is NodeKind.KEY_RESULT
                   and _not_yet(c)]
        for kpi in _measured_by(chain, objective):
            lagging.setdefault(kpi.id, []).extend(results)
    for parent in chain.of_kind(NodeKind.KPI):
        if allowed is not None and parent.id not in allowed:
            continue
        if parent.blueprint.indicator is Indicator.LAGGING and _not_yet(parent):
            for child in chain.children_of(parent.id):
                lagging.setdefault(child.id, []).append(parent)
    warnings = []
    for kpi in chain.of_kind(NodeKind.KPI):
        if (kpi.blueprint.indicator is Indicator.LEADING and kpi.health.status is Status.RED
                and not kpi.health.stale and lagging.get(kpi.id)):
            unique = {n.id: n for n in lagging[kpi.id]}
            warnings.append(EarlyWarning(kpi, tuple(unique.values())))
    return warnings


def descendants(chain: Chain, node_id: NodeId) -> set[NodeId]:
    """The node and everything below it (each once, however many paths lead there)."""
    seen, stack = {node_id}, [node_id]
    while stack:
        for child in chain.children.get(stack.pop(), []):
            if child not in seen and child in chain.nodes:
                seen.add(child)
                stack.append(child)
    return seen


def _not_yet(node: ChainNode) -> bool:
    """Measured and not red yet: what a warning can still be early for."""
    return node.health.status in (Status.GREEN, Status.YELLOW)


def _measured_by(chain: Chain, objective: ChainNode) -> list[ChainNode]:
    """The KPIs that measure an objective or one of the activities that drive it."""
    found = []
    for child in chain.children_of(objective.id):
        if child.kind is NodeKind.KPI:
            found.append(child)
        elif child.kind is NodeKind.ACTIVITY:
            found.extend(c for c in chain.children_of(child.id) if c.kind is NodeKind.KPI)
    return list({n.id: n for n in found}.values())
