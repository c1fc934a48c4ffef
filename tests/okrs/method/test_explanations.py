"""The diagnosis in words: which driver explains a KPI tree's miss, and which lagging numbers
a red leading indicator says will follow. Pure: the example plans, measured, built at an
instant."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.okrs.method.chain import NodeKind, build_chain
from bot.okrs.method.enums import Status
from bot.okrs.method.explanations import descendants, early_warnings, tree_miss
from bot.okrs.plans.blueprints import blueprints
from tests.okrs.method.test_chain import example, measured

DECEMBER_3 = datetime(2026, 12, 3, 9, tzinfo=UTC)
JULY_1 = datetime(2026, 7, 1, 9, tzinfo=UTC)
AT = "2026-12-01T09:00:00+00:00"
# Every leaf of the b2b revenue tree at its target but leads (at baseline) and the upsell
# rate (at baseline): new revenue and expansion revenue miss, leads and upsell explain it.
B2B_LEAVES = (("leads", 8000), ("lead-conversion", 0.0175), ("new-account-arr", 26),
              ("seats", 46000), ("upsell-rate", 0.05), ("upgrade-arpu", 0.65),
              ("existing-revenue", 11000), ("churn-rate", 0.04))


def b2b(*values: tuple[str, float]):
    plan = example("b2b-saas.yml")
    for key, value in values:
        plan = measured(plan, key, (AT, value))
    return build_chain(blueprints(plan), DECEMBER_3)


def node(chain, key):
    return chain.nodes[(NodeKind.KPI, key)]


def test_a_tree_miss_names_each_drivers_share_and_the_driver_below_the_biggest() -> None:
    chain = b2b(*B2B_LEAVES)
    assert tree_miss(chain, node(chain, "revenue")) == (
        "Revenue (ARR) 7% under target: new revenue explains 75% (leads, leading, is the "
        "driver), expansion revenue 25%")
    # One level down, the driver is a leaf: nothing further to name.
    assert tree_miss(chain, node(chain, "new-customers")) == (
        "New customers 20% under target: leads explains 100%")


def test_on_target_or_unmeasured_trees_have_no_miss_to_explain() -> None:
    on_target = b2b(*(kv for kv in B2B_LEAVES if kv[0] not in ("leads", "upsell-rate")),
                    ("leads", 10000), ("upsell-rate", 0.06))
    assert tree_miss(on_target, node(on_target, "revenue")) is None
    assert tree_miss(on_target, node(on_target, "retained-revenue")) is None
    unmeasured = b2b()
    assert tree_miss(unmeasured, node(unmeasured, "revenue")) is None
    assert tree_miss(unmeasured, node(unmeasured, "leads")) is None  # not a tree


def test_a_red_leading_kpi_warns_of_the_key_results_it_leads() -> None:
    plan = measured(example("ai-feature-launch.yml"), "onboarding-completion",
                    ("2026-06-30T09:00:00+00:00", 4.5))
    chain = build_chain(blueprints(plan), JULY_1)
    assert chain.nodes[(NodeKind.KEY_RESULT, "first-week-activation")].health.status in (
        Status.GREEN, Status.YELLOW)

    [warning] = early_warnings(chain)

    assert warning.leading.key == "onboarding-completion"
    assert [n.key for n in warning.lagging] == ["first-week-activation"]
    assert warning.text == ("Leading indicator AI feature onboarding completion rate is red: "
                            "expect First-week activation to follow")
    # Asked about another goal's part of the chain, it is not that part's warning.
    other = descendants(chain, (NodeKind.GOAL, "answer-trust"))
    assert early_warnings(chain, other) == []
    mine = descendants(chain, (NodeKind.GOAL, "trial-conversion"))
    assert [w.leading.key for w in early_warnings(chain, mine)] == ["onboarding-completion"]


def test_nothing_to_warn_of_when_the_leading_kpi_is_not_red_or_its_followers_already_are(
        ) -> None:
    fine = measured(example("ai-feature-launch.yml"), "onboarding-completion",
                    ("2026-06-30T09:00:00+00:00", 19))
    assert early_warnings(build_chain(blueprints(fine), JULY_1)) == []
    both_red = measured(example("ai-feature-launch.yml"), "onboarding-completion",
                        ("2026-06-30T09:00:00+00:00", 4.5))
    both_red = measured(both_red, "first-week-activation", ("2026-06-30T09:00:00+00:00", 2))
    chain = build_chain(blueprints(both_red), JULY_1)
    assert chain.nodes[(NodeKind.KEY_RESULT, "first-week-activation")].health.status is \
        Status.RED
    assert early_warnings(chain) == []  # it moved already: no longer early
