"""Issue 10's acceptance over six simulated weeks: a team whose every check-in is known (one
person missing two weeks, one excused, one late), a key result that turns red and recovers, a
blocker that stays open, and a late answer. Each week's digest is posted once, its headline's
participation matches the known data exactly and its status counts match the chain `/okr
status` reads; the missed are named, never @-mentioned; every reply is in the headline's
thread; the red transition, the recovery and the repeated blocker are said when they happen."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins import answering
from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.okrs import flows
from bot.okrs.method.chain import NodeKind
from bot.okrs.views import objective_parts
from bot.people.models import Workspace
from tests.conftest import TEAM_ID
from tests.fakes.chart_block import data_visualization_problems
from tests.slack.conftest import RunningBot
from tests.slack.test_digest_posting import posts as channel_posts
from tests.slack.test_digest_posting import tick

MAYA, PRIYA, OLIVIA, KWAME, FELIX = "U0AIPM001", "U0AIUX001", "U0AIGM001", "U0AIML001", \
    "U0AIFE001"
FIRST_DUE = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
# Who did what, week by week: the known data the headlines must match.
STATES = {MAYA: ["on time"] * 6, FELIX: ["on time"] * 6,
          PRIYA: ["on time", "missed", "on time", "on time", "missed", "on time"],
          OLIVIA: ["on time", "on time", "excused", "on time", "on time", "on time"],
          KWAME: ["on time", "on time", "on time", "late", "on time", "on time"]}
# First-week activation (Maya's key result): red from week 1, green again in week 3.
ACTIVATION = [19.5, 4.0, 4.5, 24.0, 24.5, 25.0]


def due(week: int) -> datetime:
    return FIRST_DUE + timedelta(weeks=week)


def closes(week: int) -> datetime:
    return due(week) + timedelta(hours=48)


def a_week(bot: RunningBot, week: int) -> None:
    with freeze_time(due(week) + timedelta(hours=1)):
        reply = bot.slack.command(f"update first-week-activation {ACTIVATION[week]}",
                                  user_id=MAYA)
        assert "→" in reply.json["text"], reply.json
        if week == 0:
            bot.slack.command("blocker add onboarding-tours Waiting on the design review",
                              user_id=MAYA)
    with bot.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        questions = answering.question_set(session, workspace, due(week))
        for person, states in STATES.items():
            state = states[week]
            if state == "late":
                continue  # answers after the digest: below
            row = CheckinRound(
                workspace_id=workspace.id, slack_user_id=person, cycle=f"2026-W{45 + week}",
                due_at=due(week), closes_at=closes(week),
                status={"on time": "answered"}.get(state, state),
                answered_at=due(week) + timedelta(hours=3) if state == "on time" else None)
            session.add(row)
            session.flush()
            if state == "on time":
                session.add(CheckinAnswer(
                    workspace_id=workspace.id, slack_user_id=person, round_id=row.id,
                    question_set_id=questions.id, part=1, submission_key=f"{person}-{week}",
                    submitted_at=row.answered_at,
                    answers={"accomplished": f"Week {week}: <done> by {person}"}))


def late_answer(bot: RunningBot, week: int, person: str) -> None:
    with bot.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        row = CheckinRound(workspace_id=workspace.id, slack_user_id=person,
                           cycle=f"2026-W{45 + week}", due_at=due(week),
                           closes_at=closes(week), status="answered",
                           answered_at=closes(week) + timedelta(hours=5))
        session.add(row)
        session.flush()
        session.add(CheckinAnswer(
            workspace_id=workspace.id, slack_user_id=person, round_id=row.id,
            question_set_id=answering.question_set(session, workspace, due(week)).id,
            part=1, submission_key=f"{person}-{week}-late", submitted_at=row.answered_at,
            answers={"accomplished": f"Week {week}: caught up late"}))


def status_counts(bot: RunningBot, at: datetime) -> str:
    """What `/okr status` reads, counted the way the headline counts it."""
    with bot.session_factory() as session:
        read = flows.Reading(session, bot.runtime.chains, flows.workspace(session, TEAM_ID), at)
        nodes: dict[Any, Any] = {}
        for objective in read.chain.of_kind(NodeKind.OBJECTIVE):
            key_results, _activities, kpis = objective_parts(read.chain, objective)
            nodes |= {n.id: n for n in (*key_results, *kpis.values())}
    counts = {"green": 0, "yellow": 0, "red": 0, "stale": 0, "no data": 0}
    for node in nodes.values():
        counts["stale" if node.health.stale
               else node.health.status.value.replace("_", " ")] += 1
    return (f"🟢 {counts['green']} · 🟡 {counts['yellow']} · 🔴 {counts['red']} · "
            f"stale {counts['stale']} · no data {counts['no data']}")


def test_six_weeks_of_digests(planned: RunningBot) -> None:
    bot = planned
    heads: list[dict[str, Any]] = []
    for week in range(6):
        a_week(bot, week)
        tick(bot, closes(week) - timedelta(minutes=1))  # still open: no digest
        tick(bot, closes(week) + timedelta(minutes=1))
        tick(bot, closes(week) + timedelta(minutes=2))
        tick(bot, closes(week) + timedelta(minutes=3))
        expected_counts = status_counts(bot, closes(week) + timedelta(minutes=1))
        if week == 3:
            late_answer(bot, week, KWAME)
            tick(bot, closes(week) + timedelta(hours=5, minutes=1))
            tick(bot, closes(week) + timedelta(hours=5, minutes=2))
        posts = [p | {"text": json.dumps(p["blocks"], ensure_ascii=False)}
                 for p in channel_posts(bot)]
        new_heads = [p for p in posts if p["thread_ts"] is None and p not in heads]
        assert len(new_heads) == 1, f"week {week}: {len(new_heads)} digests"
        head = new_heads[0]
        heads.append(head)
        states = [s[week] for s in STATES.values() if s[week] != "late"]
        said = ", ".join(f"{states.count(state)} {state}"
                         for state in ("on time", "late", "excused", "missed"))
        assert f": {said}" in head["text"], (week, head["text"][:400])
        assert f"*Key results and KPIs:* {expected_counts}" in head["text"], week
        missed = [p for p, s in STATES.items() if s[week] == "missed"]
        assert ("Missed: Priya Raman" in head["text"]) == bool(missed)
        assert "<@U0AIUX001>" not in head["text"]
        replies = [p for p in posts if p["thread_ts"] == head["ts"]]
        assert replies, f"week {week}: no thread"
        assert all(p["thread_ts"] in {h["ts"] for h in heads} for p in posts
                   if p["thread_ts"] is not None)
        if week == 1:
            assert "*turned red:* First-week activation" in head["text"]
        if week == 3:
            assert "*back to green:* First-week activation" in head["text"]
            late = [r for r in replies if "(late)" in r["text"]]
            assert len(late) == 1 and "Week 3: caught up late" in late[0]["text"]
        thread = " ".join(r["text"] for r in replies)
        if week in (1, 2):  # red: its trend is drawn in the thread, valid as Slack's block
            charts = [b for r in replies for b in json.loads(r["text"])
                      if b["type"] == "data_visualization"]
            assert any(c["title"] == "First-week activation (%)" for c in charts)
            assert all(data_visualization_problems(c) == [] for c in charts)
        if week >= 2:  # open since week 0: two weeks running
            assert "has blocked Implement in-app onboarding tours for AI features" in thread
        if week in (1, 2):  # red both at the previous digest and now
            assert ("First-week activation has been red since before" in thread) == (week == 2)
