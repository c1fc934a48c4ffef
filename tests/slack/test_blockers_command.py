"""`/okr blocker add | resolve`, `/okr blockers [mine | team]` and the blockers and confidence
in `/okr status`, over signed HTTP on the AI example plan."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.checkins import service as checkin_service
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Activity, Metric, Objective
from bot.people.models import Workspace
from tests.conftest import TEAM_ID, sqlite_only
from tests.slack.blocker_cases import (
    DAY0,
    KWAME,
    LARS,
    MAYA,
    OLIVIA,
    OUTSIDER,
    PRIYA,
    TOMAS,
    labels_in_order,
    on,
    row_id,
    shown,
    stored,
    within_limits,
)
from tests.slack.conftest import RunningBot


# -- raising ----------------------------------------------------------------------------------
def test_raising_a_blocker_stores_its_author_and_target_and_says_its_number(
        planned: RunningBot) -> None:
    reply = planned.slack.command("blocker add first-week-activation no data from analytics",
                                  user_id=PRIYA)

    within_limits(reply)
    text = shown(reply)
    assert "Blocker *B-1* raised on Key result *First-week activation* " \
        "(`first-week-activation`), owner <@U0AIPM001>" in text
    assert ">no data from analytics" in text
    assert "`/okr blocker resolve B-1 [note]` closes it" in text
    [blocker] = stored(planned).values()
    assert (blocker.number, blocker.author, blocker.text, blocker.source) == \
        (1, PRIYA, "no data from analytics", Source.SLACK)
    assert blocker.metric_id == row_id(planned, Metric, "first-week-activation")
    assert blocker.objective_id is blocker.activity_id is blocker.resolved_at is None


@pytest.mark.parametrize(("item", "model", "column", "key"), [
    ('"First-week activation"', Metric, "metric_id", "first-week-activation"),
    ("onboarding-tours", Activity, "activity_id", "onboarding-tours"),
    ("ai-onboarding", Objective, "objective_id", "ai-onboarding"),
    ("onboarding-tick", Metric, "metric_id", "onboarding-tickets"),
])
def test_a_blocker_goes_on_an_objective_key_result_kpi_or_activity_by_key_name_or_prefix(
        planned: RunningBot, item: str, model: type, column: str, key: str) -> None:
    reply = planned.slack.command(f"blocker add {item} waiting on  the\nevents", user_id=MAYA)
    within_limits(reply)
    [blocker] = stored(planned).values()
    assert getattr(blocker, column) == row_id(planned, model, key)
    assert blocker.text == "waiting on  the\nevents", "stored as typed"


def test_a_dash_raises_a_general_blocker(planned: RunningBot) -> None:
    reply = planned.slack.command("blocker add - the staging VPN is down", user_id=TOMAS)
    assert "raised on general (not tied to one item)" in shown(reply)
    [blocker] = stored(planned).values()
    assert blocker.objective_id is blocker.metric_id is blocker.activity_id is None
    assert blocker.text == "the staging VPN is down"


def test_numbers_count_up(planned: RunningBot) -> None:
    for _ in range(3):
        planned.slack.command("blocker add - x", user_id=TOMAS)
    assert sorted(stored(planned)) == [1, 2, 3]


def test_an_ambiguous_item_gets_a_pick_list_and_raises_nothing(planned: RunningBot) -> None:
    reply = planned.slack.command("blocker add answer latency is up", user_id=MAYA)
    within_limits(reply)
    text = shown(reply)
    assert "fits 6 objectives, key results, KPIs and activities. Which one?" in text
    assert "• Key result `answer-latency` — p95 answer latency" in text
    assert "• Objective `answer-quality` — Cut wrong and unhelpful AI answers" in text
    assert stored(planned) == {}


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize(("args", "says"), [
    ("xyzzy is in the way", "No objective, key result, KPI or activity matches “xyzzy”"),
    ("trial-conversion is in the way", "No objective, key result, KPI or activity matches"),
    ("onboarding-tours", "say what blocks “onboarding-tours”; expected: /okr blocker add "
                         "&lt;objective, key result, KPI or activity&gt; &lt;what blocks it&gt;"),
    ("", "say what is blocked and by what"),
    ('"First-week activation no end', "the name has no closing quote"),
])
def test_a_wrong_item_or_missing_words_say_the_expected_form_and_raise_nothing(
        planned: RunningBot, args: str, says: str) -> None:
    reply = planned.slack.command(f"blocker add {args}", user_id=MAYA)
    within_limits(reply)
    assert says in shown(reply)
    assert "Nothing was raised." in shown(reply)
    assert stored(planned) == {}


@sqlite_only  # wording or layout: the backend does not matter
def test_blocker_alone_explains_the_forms_and_an_unknown_verb_says_so(
        planned: RunningBot) -> None:
    forms = shown(planned.slack.command("blocker", user_id=MAYA))
    assert "`/okr blocker add &lt;objective, key result, KPI or activity&gt; &lt;what blocks " \
        "it&gt;`" in forms
    assert "`/okr blocker resolve &lt;number&gt; [note]`" in forms
    assert "`/okr blockers [mine | team]`" in forms
    unknown = planned.slack.command("blocker frobnicate B-1", user_id=MAYA)
    within_limits(unknown)
    assert "I don't know `/okr blocker frobnicate`" in shown(unknown)
    assert "*Raise a blocker:*" in shown(unknown)


# -- listing ----------------------------------------------------------------------------------
def raise_the_usual(bot: RunningBot) -> None:
    """Six blockers over six days (B-n raised n days after DAY0 minus one)."""
    raised = [
        (KWAME, "answer-grounding the vector DB quota is used up"),  # B-1 Kwame's activity
        (PRIYA, "onboarding-tickets the ticket export is broken"),  # B-2 Priya's KPI
        (OLIVIA, "existing-accounts legal has not approved the emails"),  # B-3 Olivia's objective
        (KWAME, "first-week-activation events are missing"),  # B-4 Maya's key result
        (TOMAS, "- the staging VPN is down"),  # B-5 general
        (MAYA, "ai-opt-out the opt-out survey is not live"),  # B-6 Olivia's key result
    ]
    for day, (author, args) in enumerate(raised):
        with on(DAY0 + timedelta(days=day)):
            assert "raised" in shown(bot.slack.command(f"blocker add {args}", user_id=author))


@pytest.mark.parametrize(("args", "user", "expected"), [
    ("", MAYA, ["B-3", "B-4", "B-6", "B-1", "B-2", "B-5"]),
    ("mine", MAYA, ["B-4", "B-6"]),  # on Maya's key result; raised by Maya
    ("team", MAYA, ["B-4", "B-6", "B-2", "B-5"]),  # + Priya's KPI, Tomás's general one
    # Olivia, Maya, Kwame report to Lars, and Priya and Tomás to Maya: the whole line is his.
    ("team", LARS, ["B-3", "B-4", "B-6", "B-1", "B-2", "B-5"]),
    ("mine", PRIYA, ["B-2"]),
    ("mine", OUTSIDER, []),
])
def test_blockers_all_mine_or_team_in_order_of_what_they_hold_back_then_age(
        planned: RunningBot, args: str, user: str, expected: list[str]) -> None:
    raise_the_usual(planned)
    with on(DAY0 + timedelta(days=8, hours=2)):
        reply = planned.slack.command(f"blockers {args}".strip(), user_id=user)
    within_limits(reply)
    text = shown(reply)
    assert labels_in_order(text) == expected
    if not expected:
        assert "Nothing you raised or own is blocked." in text


@sqlite_only  # wording or layout: the backend does not matter
def test_each_blocker_shows_its_age_author_target_and_words(planned: RunningBot) -> None:
    raise_the_usual(planned)
    with on(DAY0 + timedelta(days=8, hours=2)):
        text = shown(planned.slack.command("blockers", user_id=MAYA))
    assert "*B-1* · open 8 days · raised by <@U0AIML001>\\non ⚪ Activity *Ground AI answers " \
        "in the customer's own documents* (`answer-grounding`), owner <@U0AIML001>\\n" \
        ">the vector DB quota is used up" in text
    assert "*B-4* · open 5 days · raised by <@U0AIML001>\\non 🟡 Key result *First-week " \
        "activation*" in text
    assert "*B-5* · open 4 days · raised by <@U0AIFE001>\\non general (not tied to one item)" \
        in text
    assert "6 open · what they hold back first" in text
    with on(DAY0 + timedelta(hours=3, minutes=30)):
        early = shown(planned.slack.command("blockers", user_id=MAYA))
    assert "*B-1* · open 3 hours" in early


def test_a_resolved_blocker_leaves_the_list(planned: RunningBot) -> None:
    raise_the_usual(planned)
    planned.slack.command("blocker resolve B-2 export fixed", user_id=PRIYA)
    assert labels_in_order(shown(planned.slack.command("blockers", user_id=MAYA))) == \
        ["B-3", "B-4", "B-6", "B-1", "B-5"]


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize("args", ["everyone", "mine team", "0", "team -1"])
def test_a_list_that_is_not_mine_or_team_says_the_form(planned: RunningBot, args: str) -> None:
    reply = planned.slack.command(f"blockers {args}", user_id=MAYA)
    within_limits(reply)
    assert "expected: /okr blockers [mine | team] [page]" in shown(reply)


@sqlite_only  # wording or layout: the backend does not matter
def test_sixty_blockers_stay_within_slacks_limits_and_page_through(planned: RunningBot) -> None:
    long = "<" * 1995  # escapes to 4 characters each: about the widest text a blocker can have
    with planned.session_factory.begin() as session:
        workspace_id = session.scalars(select(Workspace.id).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        drop_off = session.scalars(select(Metric.id).where(Metric.key == "trial-drop-off")).one()
        for n in range(60):
            checkin_service.raise_blocker(db_session=session, workspace_id=workspace_id,
                                          author=MAYA, text=f"{n} {long}", source=Source.SLACK,
                                          now=DAY0 + timedelta(minutes=n), metric_id=drop_off)

    pages = [planned.slack.command(f"blockers {page}".strip(), user_id=MAYA)
             for page in ("", "2", "3", "4")]

    for reply in pages[:3]:
        within_limits(reply)
    first, second, third, past = (shown(reply) for reply in pages)
    assert labels_in_order(first)[:2] == ["B-1", "B-2"]
    assert "…and 40 more: `/okr blockers 2`" in first
    assert labels_in_order(second)[0] == "B-21"
    assert "…and 20 more: `/okr blockers 3`" in second
    assert "B-60" in third
    assert "more" not in third.split("B-60")[-1]
    assert "page 4 is past the last one" in past
    assert "<<" not in pages[0].body


@sqlite_only  # wording or layout: the backend does not matter
def test_share_in_channel_posts_the_blockers_visibly(planned: RunningBot) -> None:
    planned.slack.command("blocker add - <!here> the VPN", user_id=TOMAS)
    reply = planned.slack.command("blockers team", user_id=MAYA)
    [button] = [e for b in reply.json["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["value"] == "blockers team"

    planned.slack.block_actions([{**button, "block_id": "share", "type": "button",
                                  "action_ts": "1.2"}], user_id=MAYA,
                                response_url=planned.fake.response_url("share"))

    [posted] = planned.fake.wait_for_response()
    body = posted["json"]
    assert body["response_type"] == "in_channel"
    assert "*B-1*" in json.dumps(body["blocks"])
    assert "&lt;!here&gt; the VPN" in json.dumps(body["blocks"])
    assert "<!here>" not in json.dumps(body)


@sqlite_only  # wording or layout: the backend does not matter
def test_blockers_without_a_plan_say_how_to_get_one(bot: RunningBot) -> None:
    assert "No plan for this Slack team (T0TEST) yet" in shown(bot.slack.command("blockers"))
    assert "No plan for this Slack team (T0TEST) yet" in shown(bot.slack.command("blocker add - x"))


@sqlite_only  # wording or layout: the backend does not matter
def test_a_teams_blockers_say_whose_each_one_is(planned: RunningBot) -> None:
    raise_the_usual(planned)
    lars = "U0AIVP001"  # manages Maya, who manages Priya
    with on(DAY0 + timedelta(days=8, hours=2)):
        reply = planned.slack.command("blockers team", user_id=lars)
    within_limits(reply)
    entries = [b["text"]["text"] for b in reply.json["blocks"]
               if b["type"] == "section" and b["text"]["text"].startswith("*B-")]
    assert entries
    for entry in entries:
        assert entry.splitlines()[-1].startswith(("_theirs: <@", "_a direct report's: <@",
                                                  "_through others: <@")), entry
    assert any("_through others: <@" in entry for entry in entries)
