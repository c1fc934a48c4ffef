"""A digest for a team of 200 people and 500 key results is shown whole: split over as many
thread messages as it takes, each within Slack's limits, nothing cut. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.okrs.method.chain import NodeKind, build_chain
from bot.okrs.plans import plan as p
from bot.okrs.plans.blueprints import blueprints
from bot.slack.blocks.digest import detail_parts, headline
from bot.summaries.digest import MISSED, ON_TIME, Participant, build_digest
from tests.fakes.web_api_contract import validate_blocks

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
OWNER = "U0OWNER01"


def big_plan() -> p.Plan:
    start = date(2026, 10, 1)
    objectives = [p.Objective(
        key=f"objective-{i}", name=f"Objective {i} <b>& " + "long name " * 10, goal="goal",
        owner=OWNER, start=start, end=date(2026, 12, 31),
        key_results=[p.KeyResult(
            key=f"kr-{i}-{k}", name=f"Key result {k} of objective {i}", baseline=0,
            target=100, due=date(2026, 12, 31), frequency="weekly",
            measurements=[p.Measurement(value=10.0 * k + w, at=datetime(2026, 11, 2, tzinfo=UTC)
                                        + timedelta(weeks=w)) for w in range(4)])
            for k in range(5)]) for i in range(100)]
    return p.Plan(workspace="T0BIG", north_star=p.NorthStar(key="ns", name="Users", baseline=1,
                                                            target=2, owner=OWNER),
                  goals=[p.Goal(key="goal", name="Grow", owner=OWNER)], objectives=objectives)


def test_two_hundred_people_and_five_hundred_key_results_fit_whole() -> None:
    chain = build_chain(blueprints(big_plan()), NOW)
    people = [Participant(f"U{n:08d}", f"Person {n}", ON_TIME if n % 4 else MISSED,
                          (("What did you accomplish last week toward your OKRs?",
                            f"Work item {n} " + "detail " * 30),))
              for n in range(200)]
    digest = build_digest(team="Big team", cycle="2026-W49",
                          window=(NOW - timedelta(days=2), NOW), chain=chain,
                          objectives=chain.of_kind(NodeKind.OBJECTIVE), participants=people,
                          blockers=[], confidences={}, now=NOW)

    head = headline(digest)
    parts = detail_parts(digest, now=NOW)

    assert validate_blocks(head["blocks"]) == []
    assert "Missed: Person 0, Person 4" in head["blocks"][1]["text"]["text"]
    assert len(parts) > 1
    for part in parts:
        assert validate_blocks(part["blocks"]) == [], part["text"]
        assert len(part["blocks"]) <= 50
    shown = "\n".join(b["text"]["text"] for part in parts for b in part["blocks"]
                      if b["type"] == "section")
    for i in range(100):
        for k in range(5):
            assert f"Key result {k} of objective {i}:" in shown
    for n in range(200):
        if n % 4:
            assert f"Work item {n} " in shown
    assert "…and" not in shown  # nothing cut
