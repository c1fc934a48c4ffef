"""`/okr tree`, `/okr why`, `/okr mine`, `/okr at-risk` over signed HTTP, and Slack's limits on a
large generated plan."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.okrs.plans import plan as p
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.people.models import Person, Workspace
from tests.conftest import TEAM_ID, sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]
MAYA = "U0AIPM001"


def example() -> p.Plan:
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    return plan.model_copy(update={"workspace": TEAM_ID})


def shown(reply) -> str:
    return json.dumps(reply.json["blocks"], ensure_ascii=False)


def within_limits(reply) -> None:
    assert reply.status == 200
    assert validate_blocks(reply.json["blocks"]) == []
    assert len(reply.json["blocks"]) <= 50


@sqlite_only  # wording or layout: the backend does not matter
def test_tree_reads_from_the_north_star_down(planned: RunningBot) -> None:
    reply = planned.slack.command("tree", user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    order = ["North Star *Monthly AI Feature Engaged Users*",
             "Goal *Increase trial-to-paid conversion for AI features*",
             "Objective *Optimize onboarding experience for AI features*",
             "Key result *First-week activation*"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)


@sqlite_only  # wording or layout: the backend does not matter
def test_why_walks_down_to_what_explains_the_north_star(planned: RunningBot) -> None:
    planned.slack.command("update onboarding-completion 4.1", user_id=MAYA)
    reply = planned.slack.command("why", user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    assert text.index("North Star") < text.index("Goal *Increase trial-to-paid") \
        < text.index("Objective *Optimize onboarding")
    assert "*What explains it:* KPI *AI feature onboarding completion rate*" in text
    assert "4.1%" in text


@sqlite_only  # wording or layout: the backend does not matter
def test_why_warns_that_a_lagging_key_result_will_follow_its_red_leading_indicator(
        planned: RunningBot) -> None:
    first_week = planned.slack.command("update first-week-activation 20", user_id=MAYA)
    assert "(green)" in first_week.json["text"], first_week.json["text"]
    planned.slack.command("update onboarding-completion 4.1", user_id=MAYA)

    text = shown(planned.slack.command("why", user_id=MAYA))

    assert "*Early warnings* (leading indicators move first):" in text
    assert ("• Leading indicator AI feature onboarding completion rate is red: expect "
            "First-week activation to follow") in text


@sqlite_only  # wording or layout: the backend does not matter
def test_why_says_which_driver_explains_a_kpi_trees_miss(bot: RunningBot) -> None:
    plan = load_plan(ROOT / "examples" / "b2b-saas.yml").plan
    with bot.session_factory.begin() as session:
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": TEAM_ID}))
    for key, value in (("leads", "8000"), ("lead-conversion", "0.0175"),
                       ("new-account-arr", "26"), ("seats", "46000"), ("upsell-rate", "0.05"),
                       ("upgrade-arpu", "0.65"), ("existing-revenue", "11000"),
                       ("churn-rate", "0.04")):
        owner = next(k.owner for k in plan.kpis if k.key == key)
        assert bot.slack.command(f"update {key} {value}", user_id=owner).status == 200

    text = shown(bot.slack.command("why revenue", user_id="U0SCRO001"))

    assert ("Revenue (ARR) 7% under target: new revenue explains 75% (leads, leading, is the "
            "driver), expansion revenue 25%") in text


def test_mine_lists_what_the_caller_owns(planned: RunningBot) -> None:
    reply = planned.slack.command("mine", user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    assert "Objective *Optimize onboarding experience for AI features*" in text
    assert "KPI *AI feature onboarding completion rate*" in text
    assert "Cut wrong and unhelpful AI answers" not in text  # someone else's


def test_at_risk_orders_by_closeness_to_the_north_star(planned: RunningBot) -> None:
    reply = planned.slack.command("at-risk", user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    assert text.index("North Star") < text.index("Key result *First-week activation*")


@sqlite_only  # wording or layout: the backend does not matter
def test_tree_of_an_unknown_node_says_so(planned: RunningBot) -> None:
    assert "Nothing in the plan matches “xyzzy”" in shown(planned.slack.command("tree xyzzy"))


def generated_plan(objectives: int = 200, key_results: int = 5) -> p.Plan:
    """A large plan with long, hostile names, to test Slack's limits."""
    owner = "U0OWNER01"
    start = date(2026, 10, 1)
    goals = [p.Goal(key=f"goal-{g}", name=f"Goal {g} <!channel> " + "x" * 200, owner=owner)
             for g in range(5)]
    measured = datetime(2026, 11, 1, tzinfo=UTC)
    objs = [p.Objective(
        key=f"objective-{i}", name=f"Objective {i} " + "long name " * 25,
        goal=f"goal-{i % 5}", owner=owner, start=start, end=start + timedelta(days=85),
        key_results=[p.KeyResult(
            key=f"kr-{i}-{k}", name=f"Key result {k} of {i} & <b>", baseline=0, target=100,
            due=start + timedelta(days=85), frequency="weekly",
            measurements=[p.Measurement(value=10 * k, at=measured)])
            for k in range(key_results)])
        for i in range(objectives)]
    north_star = p.NorthStar(key="ns", name="Engaged users", baseline=1, target=2, owner=owner)
    return p.Plan(workspace=TEAM_ID, north_star=north_star, goals=goals, objectives=objs)


@sqlite_only  # wording or layout: the backend does not matter
def test_every_view_stays_within_slacks_limits_on_a_large_plan(bot: RunningBot) -> None:
    # One import for every view: importing the plan is most of each check's time.
    with bot.session_factory.begin() as session:
        import_plan(db_session=session, plan=generated_plan())

    for command in ("tree", "mine", "at-risk", "why", "status objective-199"):
        # A plan this size may be read after the command arrives: then the answer comes
        # through response_url (tests/slack/test_slow_commands.py), and the limits hold there.
        answer = bot.answer(bot.slack.command(command, user_id="U0OWNER01"))

        assert validate_blocks(answer["blocks"]) == [], command
        assert len(answer["blocks"]) <= 50, command
        text = json.dumps(answer["blocks"], ensure_ascii=False)
        assert "<!channel>" not in text, command
        if command in ("tree", "mine", "at-risk"):
            assert "…and " in text, f"{command}: a long list ends with how many more there are"


@pytest.mark.parametrize(("args", "includes", "excludes"), [
    ("", "Objective *Optimize onboarding experience", "Cut wrong and unhelpful AI answers"),
    ("<@U0AIVP001|lars>", "Cut wrong and unhelpful AI answers", None),
    ("<#C0AILAUNCH|ai-launch>", "Objective *Optimize onboarding experience", None),
    ("AI Launch", "Objective *Optimize onboarding experience", None),
])
def test_team_by_manager_person_channel_or_name(planned: RunningBot, args: str,
                                                includes: str, excludes: str | None) -> None:
    reply = planned.slack.command(f"team {args}".strip(), user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    assert includes in text
    if excludes:
        assert excludes not in text


def test_team_that_does_not_exist(planned: RunningBot) -> None:
    assert "No team matches “nope”" in shown(planned.slack.command("team nope", user_id=MAYA))


def test_a_team_counts_only_reports_in_the_same_workspace(planned: RunningBot) -> None:
    # In another workspace Maya manages Kwame; here Lars does, so Kwame's objective is not hers.
    with planned.session_factory.begin() as session:
        elsewhere = Workspace(slack_team_id="T0ELSEWHERE")
        maya = Person(workspace=elsewhere, slack_user_id=MAYA)
        session.add(Person(workspace=elsewhere, slack_user_id="U0AIML001", manager=maya))

    text = shown(planned.slack.command("team", user_id=MAYA))

    assert "Objective *Optimize onboarding experience" in text
    assert "Cut wrong and unhelpful AI answers" not in text


def test_a_team_is_the_whole_reporting_line_and_says_how_deep(planned: RunningBot) -> None:
    lars = "U0AIVP001"  # manages Maya, who manages Priya: Priya's KPI is in Lars's team
    reply = planned.slack.command("team", user_id=lars)
    within_limits(reply)
    text = shown(reply)
    assert "Team of you: 5 in the reporting line, 2 of them through others" in text
    assert "Onboarding support tickets per 100 new AI users" in text
    # Each line says whose it is: Lars's own, a direct report's, or one reached through others.
    lines = text.split("\\n")
    tickets = next(line for line in lines if "Onboarding support tickets per 100" in line)
    assert tickets.endswith("· <@U0AIUX001>, through others")
    onboarding = next(line for line in lines if "Optimize onboarding experience" in line)
    assert onboarding.endswith("· <@U0AIPM001>, a direct report's")
    maya_only = shown(planned.slack.command("team", user_id=MAYA))
    assert "Team of you: 2 in the reporting line" in maya_only
    assert "through others" not in maya_only
