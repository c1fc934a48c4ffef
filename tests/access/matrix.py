"""The people of the role matrix and what each action is, as Slack sends it, with what it
stores. One served bot holds them all: every entry point here compares counts before and
after, so the cases run in any order against the same database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access.policy import Action, Role
from bot.alerts.models import TRIGGER, MetricAlert
from bot.audit import service as audit
from bot.audit.models import AuditEvent
from bot.checkins import flows as checkin_flows
from bot.checkins.models import Blocker
from bot.checkins.rounds import CheckinRound
from bot.config import load_settings
from bot.okrs import flows
from bot.okrs.plans import plan as p
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Measurement, Metric
from bot.people.models import Person
from bot.serve import build_runtime
from bot.slack import ids
from bot.summaries.models import TeamDigest
from tests.conftest import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.slack.conftest import RunningBot
from tests.support.server import serving

ROOT = Path(__file__).resolve().parents[2]
KPI = "onboarding-tickets"  # Priya's; she reports to Maya, who reports to Lars, then the CEO
TEAM = "ai-launch"  # managed by Lars and by the team manager below

STRANGER, KWAME, PRIYA, MAYA = "U0STRANGE1", "U0AIML001", "U0AIUX001", "U0AIPM001"
LARS, CEO, TEAM_MANAGER, SLACK_ADMIN, PLAN_ADMIN = (
    "U0AIVP001", "U0AICEO01", "U0AITMG01", "U0AIADM01", "U0AIPAD01")

M, TM, OW, MG, TMG, A = (Role.MEMBER, Role.TEAM_MEMBER, Role.OWNER, Role.MANAGER,
                        Role.TEAM_MANAGER, Role.ADMIN)
# Who each of them is toward the KPI (and a blocker on it, its alerts), the team's digest, and
# Maya's reporting line: written out here, so the test states the people, the table decides.
PEOPLE: dict[str, tuple[str, dict[str, frozenset[Role]]]] = {
    "member": (STRANGER, {"kpi": frozenset({M}), "team": frozenset({M}),
                          "line": frozenset({M})}),
    "team member": (KWAME, {"kpi": frozenset({M}), "team": frozenset({M, TM}),
                            "line": frozenset({M})}),
    "owner": (PRIYA, {"kpi": frozenset({M, OW}), "team": frozenset({M, TM}),
                      "line": frozenset({M})}),
    "direct manager": (MAYA, {"kpi": frozenset({M, MG}), "team": frozenset({M, TM}),
                              "line": frozenset({M, OW})}),
    "indirect manager": (CEO, {"kpi": frozenset({M, MG}), "team": frozenset({M, MG}),
                               "line": frozenset({M, MG})}),
    "team manager": (TEAM_MANAGER, {"kpi": frozenset({M}), "team": frozenset({M, OW, TMG}),
                                    "line": frozenset({M})}),
    "slack admin": (SLACK_ADMIN, {"kpi": frozenset({M, A}), "team": frozenset({M, A}),
                                  "line": frozenset({M, A})}),
    "plan admin": (PLAN_ADMIN, {"kpi": frozenset({M, A}), "team": frozenset({M, A}),
                                "line": frozenset({M, A})}),
}


def prepare(session: Session) -> None:
    """The AI example plan with a CEO above Lars, a second manager of the team and an admin
    listed in the plan, imported as the CLI would; a Slack admin as users.info tells it."""
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    people = [person.model_copy(update={"manager": CEO}) if person.slack_user_id == LARS
              else person for person in plan.people]
    teams = [team.model_copy(update={"managers": [*team.managers, TEAM_MANAGER]})
             for team in plan.teams]
    import_plan(db_session=session, plan=plan.model_copy(update={
        "workspace": TEAM_ID, "admins": [PLAN_ADMIN], "teams": teams,
        "people": [*people, p.Person(slack_user_id=CEO, name="Ada Okafor")]}))
    workspace = flows.workspace(session, TEAM_ID)
    session.add(Person(workspace_id=workspace.id, slack_user_id=SLACK_ADMIN, is_admin=True))


@contextmanager
def matrix_bot(database_url: str) -> Iterator[RunningBot]:
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, team_id=TEAM_ID) as fake:
        settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN,
                                 slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.base_url, database_url=database_url)
        runtime = build_runtime(settings)
        with runtime.session_factory.begin() as session:
            prepare(session)
        with serving(runtime.web_app(with_scheduler=False, warm_chains=False)) as url:
            sender = SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID,
                                 response_urls=fake.response_url)
            yield RunningBot(url, runtime, fake, sender)


def events(bot: RunningBot, uid: str, action: str) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor == uid, AuditEvent.action == action)) or 0


def shown(reply: dict) -> str:
    return json.dumps(reply)


def command(bot: RunningBot, uid: str, text: str) -> str:
    return shown(bot.answer(bot.slack.command(text, user_id=uid)))


def click(bot: RunningBot, uid: str, action_id: str, value: str) -> str:
    """A DM's button, clicked as Slack sends it; what okr-bot answered at the response_url."""
    bot.fake.reset()
    bot.slack.block_actions([{"action_id": action_id, "value": value, "type": "button"}],
                            user_id=uid, response_url=bot.fake.response_url("dm"))
    return shown(bot.fake.wait_for_response(timeout=20)[-1]["json"])


def refused(reply: str) -> bool:
    return ":no_entry:" in reply


# -- each action, through its entry point: True when it was done (and stored) ---------------
def update(bot: RunningBot, uid: str) -> bool:
    def mine() -> int:
        with bot.session_factory() as session:
            return session.scalar(select(func.count()).select_from(Measurement).join(Metric)
                                  .where(Metric.key == KPI, Measurement.author == uid)) or 0
    before, logged = mine(), events(bot, uid, audit.VALUE_RECORDED)
    reply = command(bot, uid, f"update {KPI} 5.5")
    done = mine() - before
    assert done == events(bot, uid, audit.VALUE_RECORDED) - logged == (0 if refused(reply) else 1)
    return done == 1


def undo(bot: RunningBot, uid: str) -> bool:
    update(bot, uid)  # a value of their own to take back, where they may record one
    logged = events(bot, uid, audit.VALUE_UNDONE)
    reply = command(bot, uid, f"update {KPI} undo")
    done = events(bot, uid, audit.VALUE_UNDONE) - logged
    with bot.session_factory() as session:
        latest = session.scalars(select(Measurement).join(Metric).where(
            Metric.key == KPI, Measurement.author == uid)
            .order_by(Measurement.id.desc()).limit(1)).one_or_none()
    assert done == (0 if refused(reply) else 1)
    assert (latest is not None and latest.undone_at is not None) == (done == 1)
    return done == 1


def raise_blocker(bot: RunningBot, uid: str) -> bool:
    def raised() -> int:
        with bot.session_factory() as session:
            return session.scalar(select(func.count()).select_from(Blocker).where(
                Blocker.author == uid)) or 0
    before = raised()
    reply = command(bot, uid, f"blocker add {KPI} waiting on the help centre")
    assert raised() - before == (0 if refused(reply) else 1)
    return raised() > before


def _priyas_blocker(bot: RunningBot) -> int:
    with bot.session_factory.begin() as session:
        workspace = flows.workspace(session, TEAM_ID)
        return checkin_flows.raise_blocker(session, workspace, flows.Actor(PRIYA), typed=KPI,
                                           text="the tours' copy is not translated",
                                           now=datetime.now(UTC)).number


def resolve_blocker(bot: RunningBot, uid: str) -> bool:
    number = _priyas_blocker(bot)
    reply = command(bot, uid, f"blocker resolve B-{number}")
    with bot.session_factory() as session:
        row = session.scalars(select(Blocker).where(Blocker.number == number)).one()
        logged = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == audit.BLOCKER_RESOLVED, AuditEvent.subject_key == f"B-{number}"))
    assert (row.resolved_by == uid) == (logged == 1) == (not refused(reply))
    return row.resolved_by == uid


def skip_checkin(bot: RunningBot, uid: str) -> bool:
    """Priya's open check-in, skipped from its DM by whoever clicks."""
    now = datetime.now(UTC)
    with bot.session_factory.begin() as session:
        workspace = flows.workspace(session, TEAM_ID)
        count = session.scalar(select(func.count()).select_from(CheckinRound)) or 0
        checkin = CheckinRound(workspace_id=workspace.id, slack_user_id=PRIYA,
                               cycle=f"matrix-{count}", due_at=now - timedelta(hours=1),
                               closes_at=now + timedelta(days=2), status="due")
        session.add(checkin)
        session.flush()
        round_id = checkin.id
    reply = click(bot, uid, ids.CHECKIN_SKIP, str(round_id))
    with bot.session_factory() as session:
        status = session.get(CheckinRound, round_id).status
    assert (status == "excused") == (not refused(reply))
    return status == "excused"


def see_team_digest(bot: RunningBot, uid: str) -> bool:
    reply = command(bot, uid, f"summary {TEAM} preview")
    assert refused(reply) or "AI Launch: the week in OKRs" in reply, reply
    return not refused(reply)


def post_team_digest(bot: RunningBot, uid: str) -> bool:
    reply = command(bot, uid, f"summary {TEAM}")
    with bot.session_factory() as session:
        asked = session.scalar(select(func.count()).select_from(TeamDigest)) or 0
    assert refused(reply) or ("AI Launch's digest" in reply and asked > 0), reply
    return not refused(reply)


def see_line_digest(bot: RunningBot, uid: str) -> bool:
    reply = command(bot, uid, f"summary <@{MAYA}> preview")
    assert refused(reply) or "reporting line" in reply, reply
    return not refused(reply)


def acknowledge_alert(bot: RunningBot, uid: str) -> bool:
    """A new alert on the KPI for each click, so each case starts from one unacknowledged."""
    now = datetime.now(UTC)
    with bot.session_factory.begin() as session:
        metric = session.scalars(select(Metric).where(Metric.key == KPI)).one()
        alert = MetricAlert(workspace_id=metric.workspace_id, metric_id=metric.id, kind=TRIGGER,
                            level="red", value=7.0, measured_at=now, reason="above 6",
                            owner=PRIYA, opened_at=now)
        session.add(alert)
        session.flush()
        alert_id = alert.id
    reply = click(bot, uid, ids.ALERT_ACKNOWLEDGE, str(alert_id))
    with bot.session_factory() as session:
        by = session.get(MetricAlert, alert_id).acknowledged_by
    assert (by == uid) == (not refused(reply)), reply
    return by == uid


# The action, the item the people's roles are toward, and its entry point.
ENTRY_POINTS: dict[Action, tuple[str, Callable[[RunningBot, str], bool]]] = {
    Action.UPDATE_VALUE: ("kpi", update),
    Action.UNDO_VALUE: ("kpi", undo),
    Action.RAISE_BLOCKER: ("kpi", raise_blocker),
    Action.RESOLVE_BLOCKER: ("kpi", resolve_blocker),
    Action.ANSWER_CHECKIN: ("kpi", skip_checkin),
    Action.SEE_TEAM_DIGEST: ("team", see_team_digest),
    Action.POST_TEAM_DIGEST: ("team", post_team_digest),
    Action.SEE_LINE_DIGEST: ("line", see_line_digest),
    Action.ACT_ON_ALERT: ("kpi", acknowledge_alert),
}
