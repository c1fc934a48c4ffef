"""KPI trees: combining drivers, implied targets, and which driver explains the parent's miss."""

from __future__ import annotations

import pytest

from bot.okrs.method.enums import Direction, Operator, Transform
from bot.okrs.method.kpi_tree import (
    Attribution,
    TreeInput,
    TreeResult,
    combine,
    evaluate,
)
from tests.okrs.method.kpi_trees import Formula, FormulaInput, evaluate_tree

# Revenue = New + Expansion + Retained; New = Leads × Conversion; Retained = Existing × (1 − churn)
REVENUE_TREE = {
    "revenue": Formula(Operator.SUM, (FormulaInput("new"), FormulaInput("expansion"),
                                      FormulaInput("retained"))),
    "new": Formula(Operator.PRODUCT, (FormulaInput("leads"), FormulaInput("conversion"))),
    "retained": Formula(Operator.PRODUCT, (FormulaInput("existing"),
                                           FormulaInput("churn", transform=Transform.COMPLEMENT))),
}
# A quarter where conversion stalled at 3% against 5%; the rest is nearly on plan.
VALUES = {"leads": 2000, "conversion": 0.03, "expansion": 20, "existing": 1000, "churn": 0.05}
TARGETS = {"leads": 2100, "conversion": 0.05, "expansion": 25, "existing": 1000, "churn": 0.04}


def test_combine_each_operator() -> None:
    assert combine(Operator.SUM, [1, 2, 3]) == 6
    assert combine(Operator.PRODUCT, [2000, 0.05]) == pytest.approx(100)
    assert combine(Operator.RATIO, [30, 120]) == pytest.approx(0.25)
    assert combine(Operator.WEIGHTED_SUM, [10, 20], weights=[0.25, 0.75]) == pytest.approx(17.5)


def test_combine_complement_is_one_minus_the_value() -> None:
    retained = combine(Operator.PRODUCT, [1000, 0.05],
                       transforms=[Transform.IDENTITY, Transform.COMPLEMENT])
    assert retained == pytest.approx(950)


def test_a_ratio_needs_exactly_two_inputs_and_a_nonzero_denominator() -> None:
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        combine(Operator.RATIO, [1, 2, 3])
    with pytest.raises(ValueError, match="cannot divide"):
        combine(Operator.RATIO, [5, 0])
    with pytest.raises(ValueError, match="cannot divide"):  # 1 − 1 = 0 as well
        combine(Operator.RATIO, [5, 1], transforms=[Transform.IDENTITY, Transform.COMPLEMENT])


def test_malformed_formulas_are_refused() -> None:
    with pytest.raises(ValueError, match="every input needs a weight"):
        combine(Operator.WEIGHTED_SUM, [1, 2], weights=[0.5, None])
    with pytest.raises(ValueError, match="at least one input"):
        combine(Operator.SUM, [])
    with pytest.raises(ValueError, match="as many weights"):
        combine(Operator.SUM, [1, 2], weights=[1])


def test_evaluate_gives_value_implied_target_and_attribution() -> None:
    result = evaluate(Operator.PRODUCT, [TreeInput("leads", 2000, 2100),
                                         TreeInput("conversion", 0.03, 0.05)])
    assert result.value == pytest.approx(60)
    assert result.target == pytest.approx(105)
    assert [a.key for a in result.attributions] == ["conversion", "leads"]
    conversion, leads = result.attributions
    assert conversion.impact == pytest.approx(40)  # 2000 × 0.05 − 60
    assert leads.impact == pytest.approx(3)  # 2100 × 0.03 − 60
    assert conversion.share == pytest.approx(40 / 43)
    assert result.reason is None


def test_churn_going_down_to_target_improves_the_parent() -> None:
    result = evaluate(Operator.PRODUCT, [
        TreeInput("existing", 1000, 1000),
        TreeInput("churn", 0.05, 0.04, transform=Transform.COMPLEMENT),
    ])
    assert (result.value, result.target) == (pytest.approx(950), pytest.approx(960))
    assert result.attributions[0] == Attribution("churn", pytest.approx(10), pytest.approx(1.0))
    assert result.attributions[1] == Attribution("existing", 0.0, 0.0)


def test_a_driver_ahead_of_target_has_negative_impact() -> None:
    result = evaluate(Operator.SUM, [TreeInput("new", 60, 105), TreeInput("expansion", 30, 25)])
    by_key = {a.key: a for a in result.attributions}
    assert by_key["new"].impact == pytest.approx(45)
    assert by_key["expansion"].impact == pytest.approx(-5)
    assert by_key["expansion"].share == pytest.approx(-5 / 45)
    assert [a.key for a in result.attributions] == ["new", "expansion"]


def test_a_lower_is_better_parent_counts_reductions_as_impact() -> None:
    cost = evaluate(Operator.SUM, [TreeInput("cloud", 120, 100), TreeInput("tools", 30, 30)],
                    direction=Direction.LOWER_IS_BETTER)
    assert cost.attributions[0] == Attribution("cloud", pytest.approx(20), pytest.approx(1.0))


def test_a_child_without_a_value_leaves_the_parent_unknown_with_a_reason() -> None:
    result = evaluate(Operator.PRODUCT, [TreeInput("leads", 2000, 2100),
                                         TreeInput("conversion", None, 0.05)])
    assert result == TreeResult(None, pytest.approx(105), (), "no value yet for conversion")


def test_a_child_without_a_target_leaves_the_target_unknown_but_others_attributed() -> None:
    result = evaluate(Operator.SUM, [TreeInput("new", 60, 105), TreeInput("expansion", 20, None)])
    assert result.value == 80
    assert result.target is None
    assert [a.key for a in result.attributions] == ["new"]


def test_division_by_zero_in_the_values_is_a_reason_not_a_crash() -> None:
    result = evaluate(Operator.RATIO, [TreeInput("paid", 30, 45), TreeInput("trials", 0, 1000)])
    assert result.value is None
    assert result.target == pytest.approx(0.045)
    assert result.reason is not None
    assert "cannot divide" in result.reason


def test_evaluate_refuses_a_malformed_formula() -> None:
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        evaluate(Operator.RATIO, [TreeInput("a", 1, 1)])


def test_revenue_miss_driven_by_conversion_is_attributed_mostly_to_conversion() -> None:
    result = evaluate_tree("revenue", REVENUE_TREE, VALUES, TARGETS)
    assert result.value == pytest.approx(60 + 20 + 950)
    assert result.target == pytest.approx(105 + 25 + 960)
    keys = [a.key for a in result.attributions]
    assert keys == ["conversion", "churn", "expansion", "leads", "existing"]
    impacts = {a.key: a.impact for a in result.attributions}
    assert impacts == {"conversion": pytest.approx(40), "churn": pytest.approx(10),
                       "expansion": pytest.approx(5), "leads": pytest.approx(3),
                       "existing": pytest.approx(0)}
    assert result.attributions[0].share == pytest.approx(40 / 58)
    assert result.attributions[0].share > 0.5


def test_revenue_level_alone_points_at_new_business() -> None:
    result = evaluate(Operator.SUM, [TreeInput("new", 60, 105), TreeInput("expansion", 20, 25),
                                     TreeInput("retained", 950, 960)])
    assert result.attributions[0].key == "new"
    assert result.value == pytest.approx(1030)


def test_a_tree_with_an_unmeasured_leaf_says_which() -> None:
    result = evaluate_tree("revenue", REVENUE_TREE, {**VALUES, "churn": None}, TARGETS)
    assert result.value is None
    assert result.reason == "no value yet for churn"


def test_a_looping_tree_is_refused() -> None:
    looping = {"a": Formula(Operator.SUM, (FormulaInput("b"),)),
               "b": Formula(Operator.SUM, (FormulaInput("a"),))}
    with pytest.raises(ValueError, match="loops: a → b → a"):
        evaluate_tree("a", looping, {}, {})


def test_a_measured_root_is_its_own_leaf() -> None:
    result = evaluate_tree("leads", REVENUE_TREE, VALUES, TARGETS)
    assert (result.value, result.target) == (2000, 2100)
    assert result.attributions == (Attribution("leads", 100, 1.0),)
