"""The method's response to a KPI in trouble that no current objective works on: red calls
for an urgent objective, yellow for a hypothesis-driven one, each with a key result that
brings the KPI back to its target by the end of the next quarter. Pure: a plan in, the chain
built at an instant, the proposals out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml

from bot.okrs.method.chain import NodeKind, build_chain
from bot.okrs.method.enums import Status
from bot.okrs.method.proposals import end_of_next_quarter, proposals
from bot.okrs.plans import plan as p
from bot.okrs.plans.blueprints import blueprints
from bot.okrs.plans.files import parse_plan
from bot.okrs.plans.proposals import snippet
from tests.okrs.method.test_chain import example, measured

KPI = (NodeKind.KPI, "onboarding-completion")
JULY_1 = datetime(2026, 7, 1, 9, tzinfo=UTC)  # its objective (May 1 – July 29) under way
DECEMBER_3 = datetime(2026, 12, 3, 9, tzinfo=UTC)  # every objective of the plan has ended


def chain_with(value: float, *, at: str, now: datetime):
    plan = measured(example("ai-feature-launch.yml"), "onboarding-completion", (at, value))
    return build_chain(blueprints(plan), now)


@pytest.mark.parametrize(("today", "end"), [
    (date(2026, 12, 3), date(2027, 3, 31)),
    (date(2027, 1, 1), date(2027, 6, 30)),
    (date(2027, 3, 31), date(2027, 6, 30)),
    (date(2027, 4, 1), date(2027, 9, 30)),
    (date(2027, 7, 15), date(2027, 12, 31)),
    (date(2027, 10, 1), date(2028, 3, 31)),
])
def test_an_objective_runs_to_the_end_of_the_next_quarter(today: date, end: date) -> None:
    assert end_of_next_quarter(today) == end


def test_a_red_kpi_nobody_works_on_gets_an_urgent_objective_that_restores_it() -> None:
    chain = chain_with(4.5, at="2026-12-01T09:00:00+00:00", now=DECEMBER_3)
    assert chain.nodes[KPI].health.status is Status.RED

    [proposal] = [q for q in proposals(chain, DECEMBER_3.date()) if q.kpi.id == KPI]

    assert proposal.urgent
    assert proposal.name == ("Restore AI feature onboarding completion rate from 4.5% to 20% "
                             "by 31 March 2027")
    assert proposal.description.startswith(
        "Urgent: AI feature onboarding completion rate is red: 4.5% where")
    assert (proposal.key, proposal.key_result_key) == ("restore-onboarding-completion",
                                                       "onboarding-completion-restored")
    assert (proposal.baseline, proposal.target) == (4.5, 20)
    assert (proposal.start, proposal.end) == (date(2026, 12, 3), date(2027, 3, 31))
    # The goal above it in the chain: tours → onboarding objective → trial conversion.
    assert proposal.goal == "trial-conversion"
    assert proposal.summary.startswith("KPI AI feature onboarding completion rate is red and "
                                       "no objective is working on it: the method calls for "
                                       "an urgent objective: “Restore")


def test_a_yellow_kpi_gets_a_hypothesis_to_test() -> None:
    chain = chain_with(17, at="2026-12-01T09:00:00+00:00", now=DECEMBER_3)
    assert chain.nodes[KPI].health.status is Status.YELLOW

    [proposal] = [q for q in proposals(chain, DECEMBER_3.date()) if q.kpi.id == KPI]

    assert not proposal.urgent
    assert proposal.name == ("Find what brings AI feature onboarding completion rate back "
                             "from 17% to 20% by 31 March 2027")
    assert proposal.description.startswith("Hypothesis: if we <change>, AI feature "
                                            "onboarding completion rate will be back at 20%")


def test_a_kpi_an_objective_is_working_on_now_gets_none() -> None:
    chain = chain_with(4.5, at="2026-06-30T09:00:00+00:00", now=JULY_1)
    assert chain.nodes[KPI].health.status is Status.RED
    assert [q for q in proposals(chain, JULY_1.date()) if q.kpi.id == KPI] == []


@pytest.mark.parametrize(("value", "at"), [
    (20.5, "2026-12-01T09:00:00+00:00"),  # green
    # Daily, due 31 July, last measured on the 20th: stale, nobody knows where it ended.
    (4.5, "2026-07-20T09:00:00+00:00"),
])
def test_green_or_stale_kpis_get_none(value: float, at: str) -> None:
    chain = chain_with(value, at=at, now=DECEMBER_3)
    health = chain.nodes[KPI].health
    assert health.status is Status.GREEN or health.stale
    assert [q for q in proposals(chain, DECEMBER_3.date()) if q.kpi.id == KPI] == []


def test_red_ones_come_first() -> None:
    plan = measured(example("ai-feature-launch.yml"), "onboarding-completion",
                    ("2026-12-01T09:00:00+00:00", 17))
    plan = measured(plan, "thumbs-down-rate", ("2026-12-01T09:00:00+00:00", 90))
    chain = build_chain(blueprints(plan), DECEMBER_3)
    found = proposals(chain, DECEMBER_3.date())
    assert [q.urgent for q in found] == sorted((q.urgent for q in found), reverse=True)
    assert {q.kpi.key for q in found} >= {"onboarding-completion", "thumbs-down-rate"}


def test_the_snippet_is_an_objective_the_plan_file_reads() -> None:
    chain = chain_with(4.5, at="2026-12-01T09:00:00+00:00", now=DECEMBER_3)
    [proposal] = [q for q in proposals(chain, DECEMBER_3.date()) if q.kpi.id == KPI]

    text = snippet(proposal)

    [entry] = yaml.safe_load(text)["objectives"]
    objective = p.Objective.model_validate(entry)
    assert objective.name == proposal.name
    [key_result] = objective.key_results
    assert (key_result.unit, key_result.baseline, key_result.target, key_result.due) == (
        "%", 4.5, 20, date(2027, 3, 31))
    assert key_result.counter_metrics == ["onboarding-tickets"]  # what guards the KPI
    assert "measures: {objectives: [..., restore-onboarding-completion]}" in text
    # Pasted into the plan it came from (and linked from the KPI), the plan is still valid.
    plan = example("ai-feature-launch.yml")
    data = yaml.safe_load(yaml.safe_dump(plan.model_dump(mode="json", exclude_none=True)))
    data["objectives"].append(entry)
    kpi = next(k for k in data["kpis"] if k["key"] == "onboarding-completion")
    kpi["measures"]["objectives"].append(entry["key"])
    loaded = parse_plan(yaml.safe_dump(data))
    assert loaded.errors == [] and loaded.ok, loaded.errors or loaded.findings
