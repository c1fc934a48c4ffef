"""A whole KPI tree evaluated from its measured leaves, with each leaf's share of the root's
miss. Kept with the tests, not in bot/: the chain attributes a miss one level at a time
(`kpi_tree.evaluate`) and walks down to the first broken link; nothing in the product asks for
leaves directly yet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.okrs.method.enums import Direction, Operator, Transform
from bot.okrs.method.kpi_tree import TreeResult, _check_shape, _result, combine


@dataclass(frozen=True)
class FormulaInput:
    key: str
    weight: float | None = None
    transform: Transform = Transform.IDENTITY


@dataclass(frozen=True)
class Formula:
    """A computed KPI: `operator` over the KPIs its inputs name (see plan.Formula)."""

    operator: Operator
    inputs: tuple[FormulaInput, ...]


def evaluate_tree(root: str, formulas: Mapping[str, Formula],
                  values: Mapping[str, float | None], targets: Mapping[str, float | None], *,
                  direction: Direction = Direction.HIGHER_IS_BETTER) -> TreeResult:
    """A whole tree from its measured leaves: the KPIs in `formulas` are computed, every other
    KPI it reaches is a leaf read from `values`/`targets`. Attributions name leaves, so a revenue
    miss points at conversion rather than at "new business"."""
    leaves = _leaves(root, formulas)
    if not leaves:  # the root itself is measured, not computed
        leaves = [root]

    def formula(leaf_values: Sequence[float]) -> float:
        return _compute(root, formulas, dict(zip(leaves, leaf_values, strict=True)))

    return _result(formula, leaves, [values.get(key) for key in leaves],
                   [targets.get(key) for key in leaves], direction)


def _leaves(root: str, formulas: Mapping[str, Formula]) -> list[str]:
    """The measured KPIs under `root`, each once, in formula order. Raises on a loop."""
    found: list[str] = []

    def visit(key: str, path: tuple[str, ...]) -> None:
        if key in path:
            raise ValueError(f"the KPI tree loops: {' → '.join((*path, key))}")
        node = formulas.get(key)
        if node is None:
            if key != root and key not in found:
                found.append(key)
            return
        _check_shape(node.operator, len(node.inputs), [i.weight for i in node.inputs])
        for child in node.inputs:
            visit(child.key, (*path, key))

    visit(root, ())
    return found


def _compute(key: str, formulas: Mapping[str, Formula], leaf_values: Mapping[str, float]) -> float:
    node = formulas.get(key)
    if node is None:
        return leaf_values[key]
    return combine(node.operator, [_compute(i.key, formulas, leaf_values) for i in node.inputs],
                   [i.weight for i in node.inputs], [i.transform for i in node.inputs])
