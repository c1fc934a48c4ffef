"""A workspace that holds something in (almost) every table: the AI example plan imported for
a team id, a week's check-ins opened and one answered, a blocker, a confidence, a value, time
off, receipts, an opened DM channel and the outbox's pacing, alerts and a digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.alerts.job import check_alerts
from bot.api.models import ApiToken, IdempotentRequest
from bot.checkins import flows as checkin_flows
from bot.checkins.answering import question_set, submit_checkin
from bot.checkins.form import Submission
from bot.checkins.job import run_checkins
from bot.checkins.time_off import take_time_off
from bot.install.models import Installation
from bot.lifecycle import ownership
from bot.okrs import value_flows
from bot.okrs.method.enums import Transform
from bot.okrs.plans.files import load_plan
from bot.okrs.store.cache import ChainCache
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Activity, ActivityGoal, Goal, Metric, MetricEdge
from bot.outbox.models import DirectMessageChannel, OutboxPacing
from bot.people.models import Workspace
from bot.slack.models import SlackEventReceipt, SlackRequestReceipt
from bot.summaries.posting import post_digests
from tests.support.templates import EXAMPLE_PLAN

MAYA, KWAME = "U0AIPM001", "U0AIML001"  # the example plan's PM (owns KRs) and an engineer
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


def populate(session_factory: sessionmaker[Session], team_id: str) -> None:
    plan = load_plan(EXAMPLE_PLAN).plan.model_copy(
        update={"workspace": team_id, "admins": ["U0AIVP001"]})
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=plan)
    for hours in (0, 6, 12, 18):  # Monday in UTC: every zone of the plan falls due
        run_checkins(session_factory, MONDAY + timedelta(hours=hours))
    now = MONDAY + timedelta(hours=20)
    with session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == team_id)).one()
        questions = question_set(session, workspace, now)
        submit_checkin(session, workspace, Actor(MAYA), Submission(
            part=1, answers={"accomplished": "shipped the wizard", "priorities": "activation",
                             "blockers": ""},
            values={"first-week-activation": "31%"}, confidences={}),
            submission_key=f"{team_id}-maya-1", question_set_id=questions.id, now=now)
        checkin_flows.raise_blocker(session, workspace, Actor(KWAME),
                                    typed="onboarding-tickets", text="no export", now=now)
        checkin_flows.record_confidence(session, workspace, Actor(MAYA),
                                        typed="first-week-activation", confidence=6, now=now)
        value_flows.update_metric(session, workspace, Actor(MAYA), typed="first-week-activation",
                            value_text="12%", now=now + timedelta(minutes=1))
        take_time_off(session, workspace, Actor(KWAME), starts_on=date(2026, 12, 21),
                      ends_on=date(2026, 12, 24), reason="holiday", now=now)
        # The example plan has no KPI tree and ties no activity to a goal: one of each.
        metrics = list(session.scalars(select(Metric.id).where(
            Metric.workspace_id == workspace.id).order_by(Metric.id).limit(2)))
        session.execute(insert(MetricEdge).values(parent_id=metrics[0], child_id=metrics[1],
                                                  transform=Transform.IDENTITY))
        session.execute(insert(ActivityGoal).values(
            goal_id=session.scalar(select(Goal.id).where(Goal.workspace_id == workspace.id)
                                   .limit(1)),
            activity_id=session.scalar(select(Activity.id).where(
                Activity.workspace_id == workspace.id).limit(1))))
        session.add_all([
            SlackEventReceipt(event_id=f"Ev{team_id}", slack_team_id=team_id,
                              event_type="app_home_opened", received_at=now),
            SlackRequestReceipt(trigger_id=f"tr-{team_id}", slack_team_id=team_id,
                                kind="command", reply="", received_at=now),
            DirectMessageChannel(team_id=team_id, user_id=MAYA, channel_id=f"D{team_id}",
                                 opened_at=now),
            OutboxPacing(team_id=team_id, next_post_at=now, next_open_at=now),
            ApiToken(workspace_id=workspace.id, name="warehouse", token_hash=f"{team_id:0>64}",
                     prefix="okr_abc", created_at=now),
            IdempotentRequest(workspace_id=workspace.id, key="k1", request_hash="0" * 64,
                              status_code=200, response={"recorded": 1}, created_at=now),
            # What an OAuth install stores (its token column is ciphertext in real life).
            Installation(slack_team_id=team_id, bot_token_encrypted="gAAAA-not-a-token",
                         installed_at=now),
        ])
    chains = ChainCache()
    try:
        check_alerts(session_factory, chains, now + timedelta(minutes=2))
        post_digests(session_factory, chains, MONDAY + timedelta(days=3))
    finally:
        chains.close()


def counts(session: Session, team_id: str) -> dict[str, int]:
    """Rows each table holds for the team."""
    return {table.name: session.scalar(select(func.count()).select_from(
        ownership.owned_rows(table, team_id).subquery())) for table in ownership.tables()}


def totals(session: Session) -> dict[str, int]:
    """Rows each table holds, whoever they belong to."""
    return {table.name: session.scalar(select(func.count()).select_from(table))
            for table in ownership.tables()}
