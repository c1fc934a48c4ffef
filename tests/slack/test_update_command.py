"""`/okr update` over signed HTTP: who may, what each bad value gets, what is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.okrs.method.enums import Source
from bot.okrs.store.models import Measurement, Metric
from bot.people.models import Person
from tests.conftest import sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]
MAYA, MANAGER, PRIYA, OUTSIDER = "U0AIPM001", "U0AIVP001", "U0AIUX001", "U0NOBODY1"


def slack_measurements(bot: RunningBot, key: str) -> list[Measurement]:
    with bot.session_factory() as session:
        return list(session.scalars(select(Measurement).join(Metric).where(
            Metric.key == key, Measurement.source == Source.SLACK)))


def text_of(reply) -> str:
    return "\n".join(str(block) for block in reply.json["blocks"])


def test_the_owner_records_a_value_and_sees_old_to_new_and_the_status(
        planned: RunningBot) -> None:
    reply = planned.slack.command("update first-week-activation 16.5% tours live",
                                  user_id=MAYA)

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert validate_blocks(reply.json["blocks"]) == []
    shown = text_of(reply)
    assert "*First-week activation*" in shown
    assert "13.8% → *16.5%*" in shown
    assert "Updated by <@U0AIPM001> from Slack" in shown
    [stored] = slack_measurements(planned, "first-week-activation")
    assert (stored.value, stored.author, stored.note) == (16.5, MAYA, "tours live")
    assert stored.measured_at.tzinfo is not None


@sqlite_only  # wording or layout: the backend does not matter
def test_a_status_change_is_said_in_words(planned: RunningBot) -> None:
    """Red (past due, short of target) to green, then back: each reply names the change."""
    up = text_of(planned.slack.command("update first-week-activation 20%", user_id=MAYA))
    assert "*First-week activation is green again: on the expected pace" in up
    same = text_of(planned.slack.command("update first-week-activation 21%", user_id=MAYA))
    assert "again" not in same and "turned" not in same
    down = text_of(planned.slack.command("update first-week-activation 9%", user_id=MAYA))
    assert "*First-week activation turned red: 9%" in down


@sqlite_only  # wording or layout: the backend does not matter
def test_a_threshold_crossed_shows_the_triggers_action(planned: RunningBot) -> None:
    reply = planned.slack.command("update onboarding-completion 4.2", user_id=MAYA)
    assert ":rotating_light: *Action:* Emergency review: check for technical issues" \
        in text_of(reply)


@pytest.mark.parametrize("actor", [MANAGER, PRIYA])
def test_the_owners_manager_may_update_and_a_report_may_not(planned: RunningBot,
                                                            actor: str) -> None:
    reply = planned.slack.command("update first-week-activation 15", user_id=actor)
    stored = slack_measurements(planned, "first-week-activation")
    if actor == MANAGER:
        assert "→ *15%*" in text_of(reply)
        assert len(stored) == 1
    else:
        assert "Only the owner of *First-week activation* (<@U0AIPM001>), their manager or a " \
            "workspace admin can update it. Nothing was recorded." in text_of(reply)
        assert stored == []


def test_a_workspace_admin_may_update(planned: RunningBot) -> None:
    with planned.session_factory.begin() as session:
        session.scalars(select(Person).where(Person.slack_user_id == PRIYA)).one().is_admin = True
    planned.slack.command("update first-week-activation 15", user_id=PRIYA)
    assert len(slack_measurements(planned, "first-week-activation")) == 1


def test_a_stranger_is_refused_and_nothing_is_recorded(planned: RunningBot) -> None:
    reply = planned.slack.command("update first-week-activation 15", user_id=OUTSIDER)
    assert "Nothing was recorded" in text_of(reply)
    assert slack_measurements(planned, "first-week-activation") == []


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize(("value", "says"), [
    ("abc", "“abc” is not a number"),
    ("1,20", "has a misplaced comma"),
    ("12%%", "is not a number"),
    ("nan", "is not a number"),
    ("1e309", "is not a number"),
])
def test_every_bad_value_explains_the_format_and_records_nothing(planned: RunningBot,
                                                                 value: str, says: str) -> None:
    reply = planned.slack.command(f"update first-week-activation {value}", user_id=MAYA)
    shown = text_of(reply)
    assert "expected a value like 12, 12.5, 12%, 1,200, 1.2k or $3.5M" in shown
    assert "Nothing was recorded" in shown
    assert slack_measurements(planned, "first-week-activation") == []


@pytest.mark.parametrize(("key", "user", "typed", "value"), [
    ("first-week-activation", MAYA, "12", 12), ("first-week-activation", MAYA, "12.5", 12.5),
    ("first-week-activation", MAYA, "12%", 12),
    # Thousands on a metric counted in thousands: the North Star's users, by its owner.
    ("ai-engaged-users", MANAGER, "12,400", 12400), ("ai-engaged-users", MANAGER, "12.4k", 12400),
])
def test_accepted_value_forms(planned: RunningBot, key: str, user: str, typed: str,
                              value: float) -> None:
    planned.slack.command(f"update {key} {typed}", user_id=user)
    assert [m.value for m in slack_measurements(planned, key)] == [value]


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize(("typed", "says"), [
    ("1,234.5", "is a percentage from 0 to 100: 1,234.5% cannot be right"),
    ("-3", "is a percentage from 0 to 100"),
])
def test_an_implausible_value_is_refused_with_the_reason(planned: RunningBot, typed: str,
                                                         says: str) -> None:
    # A new user typed 1,234.5 on a percentage key result and saw "1,234%" stored.
    reply = planned.slack.command(f"update first-week-activation {typed}", user_id=MAYA)
    shown = text_of(reply)
    assert says in shown and "Nothing was recorded" in shown
    assert slack_measurements(planned, "first-week-activation") == []


@sqlite_only  # wording or layout: the backend does not matter
def test_a_missing_value_gets_the_usage(planned: RunningBot) -> None:
    reply = planned.slack.command("update first-week-activation", user_id=MAYA)
    assert "expected: /okr update &lt;key result or KPI&gt; &lt;value&gt; [note]" \
        in text_of(reply)


def test_an_ambiguous_name_gets_a_pick_list_and_records_nothing(planned: RunningBot) -> None:
    reply = planned.slack.command("update answer 3", user_id=MAYA)
    shown = text_of(reply)
    # Goals and the North Star can be updated too, so a goal's metric is among the choices,
    # each labelled with its kind.
    assert "fits 5 metrics. Which one?" in shown
    assert "Key result `answer-latency` — p95 answer latency" in shown
    assert validate_blocks(reply.json["blocks"]) == []
    with planned.session_factory() as session:
        assert session.scalars(select(Measurement).where(
            Measurement.source == Source.SLACK)).all() == []


def test_an_unknown_name_says_how_to_name_it(planned: RunningBot) -> None:
    reply = planned.slack.command("update xyzzy 3", user_id=MAYA)
    assert "No key result or KPI matches “xyzzy”" in text_of(reply)


@sqlite_only  # wording or layout: the backend does not matter
def test_a_quoted_name_and_a_note_with_mrkdwn_injection_are_escaped(planned: RunningBot) -> None:
    reply = planned.slack.command('update "First-week activation" 16 <!channel> see <http://x|y>',
                                  user_id=MAYA)
    shown = text_of(reply)
    assert "&lt;!channel&gt; see &lt;http://x|y&gt;" in shown
    assert "<!channel>" not in reply.body
    [stored] = slack_measurements(planned, "first-week-activation")
    assert stored.note == "<!channel> see <http://x|y>", "stored as typed, escaped when shown"


def test_update_without_a_plan_says_how_to_get_one(bot: RunningBot) -> None:
    reply = bot.slack.command("update anything 3")
    assert "No plan for this Slack team (T0TEST) yet" in str(reply.json["blocks"])


def test_the_north_star_and_a_goal_can_be_updated_by_their_owner(planned: RunningBot) -> None:
    reply = planned.slack.command("update ai-engaged-users 12.4k", user_id=MANAGER)
    assert "Monthly AI Feature Engaged Users" in text_of(reply)
    assert [m.value for m in slack_measurements(planned, "ai-engaged-users")] == [12400]
    refused = planned.slack.command("update ai-engaged-users 13k", user_id=PRIYA)
    assert "Only the owner of *Monthly AI Feature Engaged Users* (<@U0AIVP001>)" \
        in text_of(refused)
    assert len(slack_measurements(planned, "ai-engaged-users")) == 1
    goal = planned.slack.command("update trial-conversion 4.1", user_id=MANAGER)
    assert "→ *4.1%*" in text_of(goal)


def test_the_owner_takes_back_their_own_last_value_and_it_stays_in_the_history(
        planned: RunningBot) -> None:
    planned.slack.command("update first-week-activation 14.5", user_id=MAYA)
    planned.slack.command("update first-week-activation 41.5 oops", user_id=MAYA)

    reply = planned.slack.command("update first-week-activation undo", user_id=MAYA)

    shown = text_of(reply)
    assert "~41.5%~ taken back → *14.5%*" in shown
    assert "kept in the history as undone" in shown
    rows = sorted(slack_measurements(planned, "first-week-activation"), key=lambda m: m.value)
    assert [(m.value, m.undone_by) for m in rows] == [(14.5, None), (41.5, MAYA)]
    status = planned.slack.command("status onboarding", user_id=MAYA)
    assert "14.5%" in text_of(status) and "41.5%" not in text_of(status)
    # Someone else cannot take it back, and with nothing of yours left there is nothing to undo.
    refused = planned.slack.command("update first-week-activation undo", user_id=PRIYA)
    assert "Only the owner of *First-week activation*" in text_of(refused)
    planned.slack.command("update first-week-activation undo", user_id=MAYA)
    nothing = planned.slack.command("update first-week-activation undo", user_id=MAYA)
    assert "no measurement of First-week activation to take back" in text_of(nothing)
    assert all(m.undone_by == MAYA for m in slack_measurements(planned, "first-week-activation"))


def test_a_red_counter_metric_holds_an_update_at_yellow(planned: RunningBot) -> None:
    """The counter-metric is read in the update's own lookup: by key and by name alike."""
    assert "red" in text_of(planned.slack.command("update onboarding-tickets 12",
                                                  user_id=PRIYA))
    by_key = text_of(planned.slack.command("update first-week-activation 20%", user_id=MAYA))
    by_name = text_of(planned.slack.command("update First-week 21%", user_id=MAYA))
    for shown in (by_key, by_name):
        assert "yellow" in shown and "Onboarding support tickets per 100 new AI users" in shown
        assert "green" not in shown.split("yellow")[0]
    assert sorted(m.value for m in slack_measurements(planned, "first-week-activation")) == [20, 21]
