"""KPI trees: a parent KPI computed from its drivers (Revenue = New + Expansion + Retained,
New = Leads × Conversion, Retained = Existing × (1 − churn)), and which driver explains how much
of the parent's miss.

A driver's impact is what the parent would gain if that driver alone were at its target. It is
computed through the formula itself, so direction needs no special case: churn enters Retained as
1 − churn, and bringing it down to target shows up as a positive impact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.okrs.method.enums import Direction, Operator, Transform


@dataclass(frozen=True)
class TreeInput:
    """One child of a parent: its latest value and its target."""

    key: str
    value: float | None
    target: float | None
    weight: float | None = None
    transform: Transform = Transform.IDENTITY


@dataclass(frozen=True)
class Attribution:
    key: str
    impact: float  # parent gain with this driver at target, others as they are
    share: float  # impact / the sum of all positive impacts


@dataclass(frozen=True)
class TreeResult:
    value: float | None  # None when a driver has no value, with `reason` saying which
    target: float | None  # implied by the drivers' targets; None when one has none
    attributions: tuple[Attribution, ...] = ()  # biggest impact first
    reason: str | None = None


def combine(operator: Operator, values: Sequence[float],
            weights: Sequence[float | None] | None = None,
            transforms: Sequence[Transform] | None = None) -> float:
    """The parent's value from its children's. Raises ValueError for a malformed formula or a
    division by zero."""
    count = len(values)
    weights = list(weights) if weights is not None else [None] * count
    transforms = list(transforms) if transforms is not None else [Transform.IDENTITY] * count
    if len(weights) != count or len(transforms) != count:
        raise ValueError(f"{count} values need as many weights and transforms "
                         f"(got {len(weights)} and {len(transforms)})")
    _check_shape(operator, count, weights)
    terms = [1 - value if transform is Transform.COMPLEMENT else value
             for value, transform in zip(values, transforms, strict=True)]
    if operator is Operator.SUM:
        return sum(terms)
    if operator is Operator.PRODUCT:
        return math.prod(terms)
    if operator is Operator.RATIO:
        if terms[1] == 0:
            raise ValueError("ratio: the second input (the denominator) is 0, cannot divide by it")
        return terms[0] / terms[1]
    return sum(weight * term for weight, term in zip(weights, terms, strict=True)
                     if weight is not None)


def evaluate(operator: Operator, inputs: Sequence[TreeInput], *,
             direction: Direction = Direction.HIGHER_IS_BETTER) -> TreeResult:
    """One parent from its direct children: value, implied target, and each child's share of the
    miss. `direction` is the parent's: for a lower-is-better parent, impact counts reductions."""
    weights = [child.weight for child in inputs]
    _check_shape(operator, len(inputs), weights)
    transforms = [child.transform for child in inputs]

    def formula(values: Sequence[float]) -> float:
        return combine(operator, values, weights, transforms)

    return _result(formula, [child.key for child in inputs], [child.value for child in inputs],
                   [child.target for child in inputs], direction)


def _result(formula: Callable[[Sequence[float]], float], keys: Sequence[str],
            values: Sequence[float | None], targets: Sequence[float | None],
            direction: Direction) -> TreeResult:
    target = None
    known_targets = [t for t in targets if t is not None]
    if len(known_targets) == len(targets):
        try:
            target = formula(known_targets)
        except ValueError:
            target = None  # the targets themselves divide by zero: no implied target
    missing = [key for key, value in zip(keys, values, strict=True) if value is None]
    if missing:
        return TreeResult(None, target, reason=f"no value yet for {', '.join(missing)}")
    actual_values = [value for value in values if value is not None]
    try:
        actual = formula(actual_values)
    except ValueError as error:
        return TreeResult(None, target, reason=str(error))
    sign = -1.0 if direction is Direction.LOWER_IS_BETTER else 1.0
    impacts: list[tuple[str, float]] = []
    for index, (key, child_target) in enumerate(zip(keys, targets, strict=True)):
        if child_target is None:
            continue  # no target, nothing to be short of
        moved = list(actual_values)
        moved[index] = child_target
        try:
            impacts.append((key, sign * (formula(moved) - actual)))
        except ValueError:
            continue  # at its target this driver would divide by zero: no impact to show
    positive = sum(impact for _, impact in impacts if impact > 0)
    ordered = sorted(impacts, key=lambda item: item[1], reverse=True)
    attributions = tuple(Attribution(key, impact, impact / positive if positive > 0 else 0.0)
                         for key, impact in ordered)
    return TreeResult(actual, target, attributions)


def _check_shape(operator: Operator, count: int, weights: Sequence[float | None]) -> None:
    if count == 0:
        raise ValueError(f"{operator.value}: a formula needs at least one input")
    if operator is Operator.RATIO and count != 2:
        raise ValueError(f"ratio: divides the first input by the second, so needs exactly 2 "
                         f"inputs (got {count})")
    if operator is Operator.WEIGHTED_SUM and any(weight is None for weight in weights):
        raise ValueError("weighted_sum: every input needs a weight")
