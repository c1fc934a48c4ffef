"""The causal chain from the example plans: health at every node, both directions, the first
broken link and the top-down diagnosis. Pure: a plan in, the chain out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.okrs.method.chain import (
    NodeKind,
    build_chain,
    path_up,
    subtree,
    walk_down,
)
from bot.okrs.method.diagnosis import diagnose, first_broken_link
from bot.okrs.method.enums import Status
from bot.okrs.plans import plan as p
from bot.okrs.plans.blueprints import blueprints
from bot.okrs.plans.files import load_plan

ROOT = Path(__file__).resolve().parents[3]
JULY_1 = datetime(2026, 7, 1, 9, tzinfo=UTC)


def example(name: str) -> p.Plan:
    plan = load_plan(ROOT / "examples" / name).plan
    assert plan is not None
    return plan


def measured(plan: p.Plan, key: str, *values: tuple[str, float]) -> p.Plan:
    """The plan with measurements added to the metric `key` (any kind)."""
    extra = [p.Measurement(value=v, at=datetime.fromisoformat(at)) for at, v in values]

    def add(fields):
        if fields is not None and getattr(fields, "key", None) == key:
            return fields.model_copy(update={"measurements": [*fields.measurements, *extra]})
        return fields

    return plan.model_copy(update={
        "north_star": add(plan.north_star),
        "objectives": [o.model_copy(update={"key_results": [add(kr) for kr in o.key_results]})
                       for o in plan.objectives],
        "kpis": [add(k) for k in plan.kpis],
    })


def test_every_node_has_a_status_and_a_one_line_reason() -> None:
    chain = build_chain(blueprints(example("ai-feature-launch.yml")), JULY_1)
    for node in chain.nodes.values():
        word = {Status.GREEN: "green", Status.YELLOW: "yellow", Status.RED: "red",
                Status.NO_DATA: "no data"}[node.health.status]
        assert node.health.reason.startswith(f"{word}:"), node
        assert "\n" not in node.health.reason


def test_bottom_up_the_completion_kpi_leads_to_the_north_star() -> None:
    chain = build_chain(blueprints(example("ai-feature-launch.yml")), JULY_1)
    path = path_up(chain, (NodeKind.KPI, "onboarding-completion"))
    assert [(n.kind, n.key) for n in path] == [
        (NodeKind.KPI, "onboarding-completion"),
        (NodeKind.ACTIVITY, "onboarding-tours"),
        (NodeKind.OBJECTIVE, "ai-onboarding"),
        (NodeKind.GOAL, "trial-conversion"),
        (NodeKind.NORTH_STAR, "ai-engaged-users"),
    ]


def test_top_down_an_objective_shows_its_key_results_then_its_work_and_kpis() -> None:
    chain = build_chain(blueprints(example("ai-feature-launch.yml")), JULY_1)
    tree = subtree(chain, (NodeKind.OBJECTIVE, "ai-onboarding"))
    kinds = [child.node.kind for child in tree.children]
    assert kinds[:4] == [NodeKind.KEY_RESULT] * 4
    assert [c.node.key for c in tree.children[:4]] == [
        "trial-drop-off", "first-week-activation", "tutorial-completion", "customer-effort"]
    assert NodeKind.ACTIVITY in kinds
    assert NodeKind.KPI in kinds
    assert kinds.index(NodeKind.ACTIVITY) < kinds.index(NodeKind.KPI)


def test_walking_down_visits_what_subtree_holds_in_the_same_order_and_counts_the_cut() -> None:
    chain = build_chain(blueprints(example("b2b-saas.yml")), JULY_1)
    star = chain.north_star
    assert star is not None

    def flatten(tree, out):
        out.append((tree.node.id, tree.depth))
        for child in tree.children:
            flatten(child, out)
        return out

    whole = flatten(subtree(chain, star.id), [])
    assert [(v.node.id, v.depth) for v in walk_down(chain, star.id, max_depth=8)] == whole

    cut = list(walk_down(chain, star.id, max_depth=1))
    assert [v.depth for v in cut] == [0] + [1] * (len(cut) - 1)
    assert [v.node.kind for v in cut[1:]] == [NodeKind.GOAL] * (len(cut) - 1)
    for visit in cut[1:]:
        assert visit.hidden == len(chain.children_of(visit.node.id)) > 0
    assert cut[0].hidden == 0


def test_a_chains_indexes_answer_like_a_scan() -> None:
    chain = build_chain(blueprints(example("ai-feature-launch.yml")), JULY_1)
    assert chain.of_kind(NodeKind.OBJECTIVE) == [
        n for n in chain.nodes.values() if n.kind is NodeKind.OBJECTIVE]
    assert chain.owned_by("U0AIPM001") == [
        n for n in chain.nodes.values() if n.owner == "U0AIPM001"]
    assert chain.owned_by("U0NOBODY1") == []
    assert chain.north_star is not None
    assert chain.north_star.kind is NodeKind.NORTH_STAR


def test_objective_health_is_the_worst_of_its_key_results() -> None:
    plan = measured(example("ai-feature-launch.yml"), "trial-drop-off",
                    ("2026-06-29T08:00:00+00:00", 39.5))  # barely moved: red on pace
    chain = build_chain(blueprints(plan), JULY_1)
    objective = chain.nodes[(NodeKind.OBJECTIVE, "ai-onboarding")]
    drop_off = chain.nodes[(NodeKind.KEY_RESULT, "trial-drop-off")]
    assert drop_off.health.status is Status.RED
    assert objective.health.status is Status.RED
    assert "(worst of)" in objective.health.reason


def test_the_first_broken_link_is_the_highest_red_node_its_children_explain() -> None:
    plan = example("ai-feature-launch.yml")
    # The North Star and the conversion goal on pace; onboarding's activation stalled.
    plan = measured(plan, "ai-engaged-users", ("2026-06-29T08:00:00+00:00", 11600))
    plan = measured(plan, "first-week-activation", ("2026-06-30T08:00:00+00:00", 9.0))
    chain = build_chain(blueprints(plan), JULY_1)
    star = chain.north_star
    assert star.health.status is Status.GREEN
    assert chain.nodes[(NodeKind.GOAL, "trial-conversion")].health.status is Status.YELLOW

    broken = first_broken_link(chain, star.id)

    assert broken is not None
    assert broken.node.id == (NodeKind.OBJECTIVE, "ai-onboarding")
    assert broken.node.health.status is Status.RED
    assert all(c.health.status is Status.RED for c in broken.explained_by)
    assert (NodeKind.KEY_RESULT, "first-week-activation") in [c.id for c in broken.explained_by]


def test_a_red_node_with_no_red_children_is_the_broken_link_itself() -> None:
    plan = measured(example("ai-feature-launch.yml"), "first-week-activation",
                    ("2026-06-30T08:00:00+00:00", 9.0))
    chain = build_chain(blueprints(plan), JULY_1)
    broken = first_broken_link(chain, (NodeKind.KEY_RESULT, "first-week-activation"))
    assert broken is not None
    assert broken.node.key == "first-week-activation"
    assert broken.explained_by == ()


def test_diagnosis_walks_north_star_goal_objective_to_the_kpi_with_evidence() -> None:
    plan = measured(example("ai-feature-launch.yml"), "onboarding-completion",
                    ("2026-06-30T08:00:00+00:00", 4.2))
    steps = diagnose(build_chain(blueprints(plan), JULY_1))

    assert [s.node.kind for s in steps][:3] == [NodeKind.NORTH_STAR, NodeKind.GOAL,
                                                 NodeKind.OBJECTIVE]
    assert steps[1].node.key == "trial-conversion"
    assert steps[2].node.key == "ai-onboarding"
    assert steps[-1].node.key == "onboarding-completion"
    assert "4.2%" in steps[-1].evidence
    assert "worst key result" in steps[2].evidence
    assert all(step.evidence for step in steps)


def test_a_green_key_result_with_a_red_counter_metric_shows_yellow() -> None:
    plan = example("b2b-saas.yml")
    plan = measured(plan, "at-risk-saved", ("2026-06-29T08:00:00+00:00", 61))  # target met
    plan = measured(plan, "save-discounts", ("2026-06-29T08:00:00+00:00", 90))  # bought
    chain = build_chain(blueprints(plan), JULY_1)
    saved = chain.nodes[(NodeKind.KEY_RESULT, "at-risk-saved")]
    discounts = chain.nodes[(NodeKind.KEY_RESULT, "save-discounts")]
    assert discounts.health.status is Status.RED
    assert saved.health.status is Status.YELLOW
    assert saved.health.reason.startswith("yellow: counter-metric Saves that needed a discount")


def test_a_kpi_tree_miss_is_traced_to_the_driver_that_explains_it() -> None:
    plan = example("b2b-saas.yml")
    by_key = {k.key: k for k in plan.kpis}
    at = "2026-06-29T08:00:00+00:00"
    for key in ("leads", "new-account-arr", "seats", "upsell-rate", "upgrade-arpu",
                "existing-revenue", "churn-rate"):
        plan = measured(plan, key, (at, by_key[key].target))  # every driver on target…
    plan = measured(plan, "lead-conversion", (at, by_key["lead-conversion"].baseline * 0.5))
    chain = build_chain(blueprints(plan), JULY_1)

    steps = diagnose(chain, (NodeKind.KPI, "revenue"))

    keys = [s.node.key for s in steps]
    assert keys[0] == "revenue"
    assert keys[-1] == "lead-conversion", keys  # …but conversion, which explains the miss


def test_the_goal_shows_yellow_when_its_measure_is_on_pace_but_an_objective_is_red() -> None:
    plan = measured(example("ai-feature-launch.yml"), "first-week-activation",
                    ("2026-06-30T08:00:00+00:00", 9.0))
    chain = build_chain(blueprints(plan), JULY_1)
    goal = chain.nodes[(NodeKind.GOAL, "trial-conversion")]
    assert goal.health.status is Status.YELLOW
    assert goal.health.reason.startswith("yellow: on the expected pace")
    assert "but 1 of 1 objectives red" in goal.health.reason


def test_an_objective_with_unmeasured_key_results_is_not_green() -> None:
    plan = measured(example("ai-feature-launch.yml"), "first-week-activation",
                    ("2026-06-30T08:00:00+00:00", 17.0))  # ahead of pace
    chain = build_chain(blueprints(plan), JULY_1)
    assert chain.nodes[(NodeKind.KEY_RESULT, "first-week-activation")].health.status \
        is Status.GREEN
    objective = chain.nodes[(NodeKind.OBJECTIVE, "ai-onboarding")]
    assert objective.health.status is Status.YELLOW
    assert objective.health.reason == ("yellow: 3 of 4 key results not measured yet, "
                                       "the rest green (worst of)")


def test_a_kpi_tree_parent_is_computed_from_its_inputs() -> None:
    plan = example("b2b-saas.yml")
    by_key = {k.key: k for k in plan.kpis}
    at = "2026-06-29T08:00:00+00:00"
    for key in ("existing-revenue", "churn-rate"):
        plan = measured(plan, key, (at, by_key[key].target))
    chain = build_chain(blueprints(plan), JULY_1)
    retained = chain.nodes[(NodeKind.KPI, "retained-revenue")]
    expected = by_key["existing-revenue"].target * (1 - by_key["churn-rate"].target)
    assert retained.health.value == expected
    assert retained.health.reason.endswith("(computed from its inputs)")


def test_a_closed_key_result_is_judged_on_its_final_value_not_called_stale() -> None:
    plan = example("ai-feature-launch.yml")
    months_later = datetime(2026, 11, 22, 9, tzinfo=UTC)
    plan = measured(plan, "first-week-activation", ("2026-07-28T08:00:00+00:00", 20.5))
    chain = build_chain(blueprints(plan), months_later)
    activation = chain.nodes[(NodeKind.KEY_RESULT, "first-week-activation")]
    assert activation.health.status is Status.GREEN
    assert activation.health.stale is False


def test_an_activity_whose_kpis_are_unmeasured_says_so_not_that_no_kpi_measures_it() -> None:
    chain = build_chain(blueprints(example("b2b-saas.yml")), JULY_1)
    reasons = {key: n.health.reason for (kind, key), n in chain.nodes.items()
               if kind is NodeKind.ACTIVITY}
    assert reasons["lead-scoring"] == "no data: planned, its 2 KPIs have no values yet"
    assert reasons["upgrade-prompts"] == "no data: planned, its KPI has no value yet"
    assert reasons["health-playbook"] == "no data: in progress, no KPI measures it yet"
