"""`/okr status` over signed HTTP, on the AI example plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from tests.conftest import TEAM_ID, sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]
MAYA = "U0AIPM001"


def texts(reply) -> list[str]:
    out = []
    for block in reply.json["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                out.append(element["text"])
    return out


def test_status_onboarding_shows_key_results_then_the_chain_in_order(planned: RunningBot) -> None:
    reply = planned.slack.command("status onboarding", user_id=MAYA)

    assert reply.status == 200
    assert reply.elapsed < 3
    assert validate_blocks(reply.json["blocks"]) == []
    assert len(reply.json["blocks"]) <= 50
    shown = "\n".join(texts(reply))
    assert reply.json["blocks"][0]["text"]["text"] == \
        "Optimize onboarding experience for AI features"
    order = ["Drop-off after first AI feature trial", "First-week activation",
             "Self-service adoption (tutorial completion)", "Customer effort score",
             "*North Star:* Monthly AI Feature Engaged Users",
             "*Goal:* Increase trial-to-paid conversion for AI features",
             "*Activity:* Implement in-app onboarding tours for AI features",
             "*KPI:* AI feature onboarding completion rate"]
    positions = [shown.index(item) for item in order]
    assert positions == sorted(positions), "key results, then up the chain, then down"
    activation = next(t for t in texts(reply) if "*First-week activation*" in t)
    assert "13.8% / 20%" in activation
    for word in ("green", "yellow", "red", "no data"):
        if f"_{word}:" in activation:
            break
    else:
        pytest.fail(f"no status reason in {activation!r}")
    assert "Owner <@U0AIPM001>" in shown


def test_status_without_a_name_shows_the_callers_own_objective(planned: RunningBot) -> None:
    reply = planned.slack.command("status", user_id=MAYA)
    assert reply.json["blocks"][0]["text"]["text"] == \
        "Optimize onboarding experience for AI features"


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_status_of_someone_with_no_objectives_says_how_to_name_one(planned: RunningBot) -> None:
    reply = planned.slack.command("status", user_id="U0NOBODY1")
    assert "You own no objectives" in texts(reply)[0]
    # Not a dead end: the plan's objectives to pick from.
    shown = "\n".join(texts(reply))
    for key in ("ai-onboarding", "answer-quality", "existing-accounts"):
        assert f"`{key}`" in shown


def test_a_manager_who_owns_no_objective_is_offered_their_reports_objectives(
        planned: RunningBot) -> None:
    lars = "U0AIVP001"  # the VP: manages the owners of all three objectives, owns none
    priya = "U0AIUX001"  # manages nobody
    shown = "\n".join(texts(planned.slack.command("status", user_id=lars)))
    assert "the people you manage own 3" in shown
    assert all(f"`{key}`" in shown for key in ("ai-onboarding", "answer-quality",
                                               "existing-accounts"))
    shown = "\n".join(texts(planned.slack.command("status", user_id=priya)))
    assert "The plan's objectives" in shown


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_an_unknown_objective_says_so_and_an_ambiguous_one_offers_choices(
        planned: RunningBot) -> None:
    unknown = planned.slack.command("status xyzzy", user_id=MAYA)
    assert "No objective matches “xyzzy”" in texts(unknown)[0]
    ambiguous = planned.slack.command("status ai", user_id=MAYA)
    assert "fits" in texts(ambiguous)[0]
    assert "Which one?" in texts(ambiguous)[0]


def test_a_fresh_update_shows_in_the_next_status(planned: RunningBot) -> None:
    planned.slack.command("status onboarding", user_id=MAYA)  # warms the cache
    planned.slack.command("update first-week-activation 18.25", user_id=MAYA)
    reply = planned.slack.command("status onboarding", user_id=MAYA)
    activation = next(t for t in texts(reply) if "*First-week activation*" in t)
    assert "18.2% / 20%" in activation or "18.25% / 20%" in activation


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_share_in_channel_posts_the_same_status_visibly(planned: RunningBot) -> None:
    reply = planned.slack.command("status onboarding", user_id=MAYA)
    [button] = [e for b in reply.json["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Share in channel"

    clicked = planned.slack.block_actions([{**button, "block_id": "share", "type": "button",
                                            "action_ts": "1.2"}],
                                          user_id=MAYA,
                                          response_url=planned.fake.response_url("share"))

    assert clicked.status == 200
    [posted] = planned.fake.wait_for_response()
    body = posted["json"]
    assert body["response_type"] == "in_channel"
    assert body["blocks"][0]["text"]["text"] == "Optimize onboarding experience for AI features"
    assert all(b["type"] != "actions" for b in body["blocks"])
    assert "Shared by <@U0AIPM001>" in json.dumps(body["blocks"])


def test_sharing_what_no_longer_resolves_tells_the_clicker_not_the_channel(
        planned: RunningBot) -> None:
    button = {"action_id": "share_in_channel", "value": "status no-such-objective",
              "text": {"type": "plain_text", "text": "Share in channel"}}

    planned.slack.block_actions([{**button, "block_id": "share", "type": "button",
                                  "action_ts": "1.2"}],
                                user_id=MAYA, response_url=planned.fake.response_url("share"))

    [posted] = planned.fake.wait_for_response()
    body = posted["json"]
    assert body["response_type"] == "ephemeral"
    assert "No objective matches “no-such-objective”" in json.dumps(body["blocks"],
                                                                    ensure_ascii=False)


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_a_plan_imported_for_another_team_is_named_with_the_fix(bot: RunningBot) -> None:
    plan = load_plan(ROOT / "examples" / "b2b-saas.yml").plan
    with bot.session_factory.begin() as session:
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": "T0OTHER"}))

    reply = bot.slack.command("status", user_id=MAYA)

    [said] = texts(reply)
    assert f"No plan for this Slack team ({TEAM_ID})" in said
    assert "The database has a plan for T0OTHER" in said
    assert f"set `workspace: {TEAM_ID}` in the plan file" in said


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_no_plan_anywhere_says_which_team_asked_and_escapes_it(
        bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.slack, "team_id", "T<!here>")
    reply = bot.slack.command("status", user_id=MAYA)
    [said] = texts(reply)
    assert "No plan for this Slack team (T&lt;!here&gt;) yet" in said
    assert "The database has" not in said
    assert "<!here>" not in json.dumps(reply.json["blocks"])


def test_a_workspace_that_only_opened_the_home_tab_still_has_no_plan(bot: RunningBot) -> None:
    # Opening the Home tab stores the workspace and the person, but no plan: the reply must
    # still say how to import one, not "the plan has no objectives".
    bot.fake.add_user("U0ALICE", real_name="Alice", tz="Europe/Paris")
    bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    bot.fake.wait_for("views.publish")

    for command in ("status", "tree", "update first-week-activation 3", "blockers"):
        said = "\n".join(texts(bot.slack.command(command, user_id="U0ALICE")))
        assert f"No plan for this Slack team ({TEAM_ID}) yet" in said, command


def test_status_of_a_goal_shows_its_objectives_and_key_results(planned: RunningBot) -> None:
    # A manager names the goal, not an objective (it used to say "no objective matches").
    reply = planned.slack.command("status trial-conversion", user_id="U0AIVP001")
    shown = "\n".join(texts(reply))
    assert "Increase trial-to-paid conversion for AI features" in shown
    assert "Optimize onboarding experience for AI features" in shown  # an objective below it
    assert "First-week activation" in shown  # and a key result below that
    assert validate_blocks(reply.json["blocks"]) == []
    north_star = "\n".join(texts(planned.slack.command("status ai-engaged-users")))
    assert "Monthly AI Feature Engaged Users" in north_star
    assert "Increase trial-to-paid conversion" in north_star


@sqlite_only  # wording, layout or Slack's side: the backend does not matter
def test_a_key_result_in_trouble_gets_its_trend_as_a_native_line_chart(
        planned: RunningBot) -> None:
    blocks = planned.slack.command("status onboarding", user_id=MAYA).json["blocks"]

    assert validate_blocks(blocks) == []  # the fake checks the chart block against its reference
    charts = [(i, b) for i, b in enumerate(blocks) if b["type"] == "data_visualization"]
    [(at, chart)] = charts  # first-week activation is red and measured on several days
    assert "*First-week activation*" in blocks[at - 1]["text"]["text"]
    assert chart["title"] == "First-week activation (%)"
    series = {s["name"]: [p["value"] for p in s["data"]] for s in chart["chart"]["series"]}
    assert list(series)[:3] == ["Measured", "Target", "Expected pace"]
    assert series["Measured"][-1] == 13.8 and set(series["Target"]) == {20}
    assert any(c in blocks[at - 1]["text"]["text"] for c in "▁▂▃▄▅▆▇█"), "the sparkline stays"
