"""`/okr summary [team] [preview]` over signed HTTP: the team's week from its check-in rounds,
its objectives and blockers (issue 10, items 1 and 6, as a preview to the asker): who checked
in (the missed named, never @-mentioned), how its numbers stand and what moved, what needs a
decision, each person's answers; and who may see it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins import answering
from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.people.models import Workspace
from tests.conftest import TEAM_ID
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

MAYA, PRIYA, OLIVIA, KWAME, LARS = "U0AIPM001", "U0AIUX001", "U0AIGM001", "U0AIML001", \
    "U0AIVP001"
DUE = datetime(2026, 11, 30, 9, tzinfo=UTC)
CLOSES = DUE + timedelta(hours=48)
NOW = CLOSES + timedelta(hours=1)


def week_of_rounds(bot: RunningBot) -> None:
    """Maya answered on time, Kwame late, Olivia was excused, Priya missed."""
    with bot.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        questions = answering.question_set(session, workspace, DUE)
        for person, status, answered in ((MAYA, "answered", DUE + timedelta(hours=2)),
                                         (KWAME, "answered", CLOSES + timedelta(minutes=30)),
                                         (OLIVIA, "excused", None), (PRIYA, "missed", None)):
            row = CheckinRound(workspace_id=workspace.id, slack_user_id=person,
                               cycle="2026-W49", due_at=DUE, closes_at=CLOSES, status=status,
                               answered_at=answered)
            session.add(row)
            session.flush()
            if answered is not None:
                session.add(CheckinAnswer(
                    workspace_id=workspace.id, slack_user_id=person, round_id=row.id,
                    question_set_id=questions.id, part=1, submission_key=f"k{row.id}",
                    submitted_at=answered,
                    answers={"accomplished": f"Shipped <tours> ({person})",
                             "priorities": "Fix the funnel", "blockers": ""}))


def summary(bot: RunningBot, text: str = "summary preview", user: str = MAYA) -> dict:
    with freeze_time(NOW):
        reply = bot.slack.command(text, user_id=user)
    assert reply.status == 200
    return bot.answer(reply)


def test_a_member_sees_the_teams_week(planned: RunningBot) -> None:
    week_of_rounds(planned)
    with freeze_time(DUE + timedelta(hours=3)):
        planned.slack.command("update onboarding-completion 4.5", user_id=MAYA)

    answer = summary(planned)

    blocks = answer["blocks"]
    assert validate_blocks(blocks) == [] and len(blocks) <= 50
    text = json.dumps(blocks, ensure_ascii=False)
    assert blocks[0]["text"]["text"] == "AI Launch: the week in OKRs"
    assert ("*Check-ins* (2026-W49, Mon 30 Nov – Wed 2 Dec): 1 on time, 1 late, 1 excused, "
            "1 missed. Missed: Priya Raman") in text
    assert "<@U0AIUX001>" not in blocks[1]["text"]["text"]  # named, never @-mentioned
    assert "*Key results and KPIs:* 🟢" in text
    assert "*North Star:*" in text and "Monthly AI Feature Engaged Users" in text
    # The thread's detail: objectives with their key results, the answers as asked.
    assert "*Optimize onboarding experience for AI features*" in text
    assert "_What did you accomplish last week toward your OKRs?_\\nShipped &lt;tours&gt; " \
           "(U0AIPM001)" in text
    # A red KPI nobody works on needs a decision (the plan's objectives all ended).
    assert "AI feature onboarding completion rate is red and no objective works on it" in text


def test_the_manager_and_people_above_see_it_and_others_are_refused(
        planned: RunningBot) -> None:
    week_of_rounds(planned)
    assert summary(planned, "summary ai-launch preview", user=LARS)["blocks"][0]["text"][
        "text"] == "AI Launch: the week in OKRs"
    refused = summary(planned, "summary ai-launch preview", user="U0STRANGER")
    assert "The digest of AI Launch is for its members, its managers, the people they " \
           "report to and workspace admins" in json.dumps(refused)
    nobody = summary(planned, "summary preview", user="U0STRANGER")
    assert "You are in no team of the plan" in json.dumps(nobody)


def test_a_managers_reporting_line_and_the_activity_outcome_gap(planned: RunningBot) -> None:
    week_of_rounds(planned)
    # The tours are in progress (the plan says so) while the completion they drive is flat.
    for days in (22, 14, 7, 1):
        with freeze_time(NOW - timedelta(days=days)):
            planned.slack.command("update onboarding-completion 12", user_id=MAYA)

    lars = json.dumps(summary(planned, "summary <@U0AIVP001|lars> preview", user=LARS),
                      ensure_ascii=False)

    assert "Lars Eriksen's reporting line: the week in OKRs" in lars
    assert "1 on time, 1 late, 1 excused, 1 missed" in lars
    assert ("Implement in-app onboarding tours for AI features is in progress while AI "
            "feature onboarding completion rate has stayed flat for 3 weeks") in lars
    mine = json.dumps(summary(planned, "summary <@U0AIPM001> preview", user=MAYA),
                      ensure_ascii=False)
    assert "Maya Chen's reporting line" in mine  # Priya reports to Maya
    refused = json.dumps(summary(planned, "summary <@U0AIVP001> preview", user=PRIYA))
    assert "A reporting line's digest is for its head, the people above them" in refused
