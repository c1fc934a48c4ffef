"""A button's value and a modal's private_metadata are never trusted: each listener asks the
policy again with the person who clicked. Someone with no right to Priya's check-in, blocker
or alert clicks each of its buttons (or submits its modal) with the right value: refused, and
nothing changes. A test also keeps the list of listeners here complete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.alerts.models import TRIGGER, MetricAlert
from bot.checkins import answering
from bot.checkins.models import Blocker
from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.okrs import flows
from bot.okrs.store.models import Metric
from bot.slack import ids
from bot.slack.blocks.alert_dm import blocker_modal
from bot.slack.blocks.checkin_modal import checkin_modal
from bot.summaries.models import TeamDigest
from tests.access import matrix
from tests.conftest import TEAM_ID
from tests.slack.conftest import RunningBot
from tests.slack.test_checkin_modal import filled

ROOT = Path(__file__).resolve().parents[2]
KWAME = matrix.KWAME  # in Priya's team, neither above her nor an admin


def _state(bot: RunningBot) -> tuple:
    """Everything a click on Priya's things could change."""
    with bot.session_factory() as session:
        return (
            tuple(session.execute(select(CheckinRound.id, CheckinRound.status,
                                         CheckinRound.snoozed_until)).all()),
            tuple(session.execute(select(Blocker.number, Blocker.resolved_at,
                                         Blocker.still_blocked_at)).all()),
            tuple(session.execute(select(MetricAlert.id, MetricAlert.acknowledged_at,
                                         MetricAlert.snoozed_until)).all()),
            session.scalar(select(func.count()).select_from(CheckinAnswer)),
            session.scalar(select(func.count()).select_from(Blocker)),
            session.scalar(select(func.count()).select_from(TeamDigest)))


@pytest.fixture(scope="module")
def priyas(sqlite_bot: RunningBot) -> dict[str, int]:
    """Priya's open check-in, a blocker she raised on her KPI, and an alert about it."""
    now = datetime.now(UTC)
    with sqlite_bot.session_factory.begin() as session:
        workspace = flows.workspace(session, TEAM_ID)
        checkin = CheckinRound(workspace_id=workspace.id, slack_user_id=matrix.PRIYA,
                               cycle="reauthorised", due_at=now - timedelta(hours=1),
                               closes_at=now + timedelta(days=2), status="due")
        metric = session.scalars(select(Metric).where(Metric.key == matrix.KPI)).one()
        alert = MetricAlert(workspace_id=workspace.id, metric_id=metric.id, kind=TRIGGER,
                            level="red", value=7.0, measured_at=now, reason="above 6",
                            owner=matrix.PRIYA, opened_at=now)
        session.add_all([checkin, alert])
        session.flush()
        blocker = matrix.checkin_flows.raise_blocker(
            session, workspace, flows.Actor(matrix.PRIYA), typed=matrix.KPI,
            text="no translator", now=now)
        return {"round": checkin.id, "blocker": blocker.number, "alert": alert.id}


BUTTONS = [(ids.CHECKIN_START, "{round}"), (ids.CHECKIN_SKIP, "{round}"),
           (ids.CHECKIN_SNOOZE, "{round}:hour"), (ids.BLOCKER_STILL, "{blocker}"),
           (ids.BLOCKER_RESOLVED, "{blocker}"), (ids.ALERT_ACKNOWLEDGE, "{alert}"),
           (ids.ALERT_SNOOZE, "{alert}"), (ids.ALERT_SNIPPET, "{alert}"),
           (ids.ALERT_BLOCKER, "{alert}"),
           # Share re-runs a command as the one who clicks (one that reads only): here a
           # digest they may not see.
           (ids.SHARE_IN_CHANNEL, f"summary <@{matrix.MAYA}> preview")]
VIEWS = [ids.CHECKIN_MODAL, ids.ALERT_BLOCKER_MODAL]


def test_every_button_and_modal_listener_is_here() -> None:
    registered = set()
    for path in (ROOT / "bot" / "slack" / "listeners").glob("*.py"):
        source = path.read_text()
        registered |= set(re.findall(r"app\.(?:action|view_submission)\(ids\.(\w+)\)", source))
        for loop in re.findall(r"for action_id, work in \((.*?)\):", source, re.S):
            registered |= set(re.findall(r"\(ids\.(\w+),", loop))
    covered = {name for name, value in vars(ids).items() if isinstance(value, str)
               and value in {action_id for action_id, _ in BUTTONS} | set(VIEWS)}
    assert registered == covered


@pytest.mark.parametrize(("action_id", "value"), BUTTONS,
                         ids=[f"{a}-{v.split()[-1]}" for a, v in BUTTONS])
def test_a_button_of_someone_elses_is_refused(sqlite_bot: RunningBot, priyas: dict[str, int],
                                              action_id: str, value: str) -> None:
    before = _state(sqlite_bot)
    sqlite_bot.fake.reset()
    clicked = {"action_id": action_id, "type": "button", "value": value.format(**priyas)}
    if action_id == ids.CHECKIN_SNOOZE:  # a menu: the choice is the option picked
        clicked = {"action_id": action_id, "type": "static_select",
                   "selected_option": {"value": value.format(**priyas)}}
    sqlite_bot.slack.block_actions([clicked], user_id=KWAME,
                                   response_url=sqlite_bot.fake.response_url("dm"))
    [answer] = sqlite_bot.fake.wait_for_response(timeout=20)
    assert ":no_entry:" in str(answer["json"]), answer
    assert answer["json"].get("response_type") != "in_channel"
    assert _state(sqlite_bot) == before
    assert sqlite_bot.fake.calls_to("views.open") == []


def test_someone_elses_check_in_modal_is_refused(sqlite_bot: RunningBot,
                                                priyas: dict[str, int]) -> None:
    with sqlite_bot.session_factory() as session:
        workspace = flows.workspace(session, TEAM_ID)
        form = answering.checkin_form(session, workspace, flows.Actor(matrix.PRIYA),
                                      now=datetime.now(UTC), round_id=priyas["round"])
    view = filled(checkin_modal(form), **{f"{ids.QUESTION}accomplished": "not mine"})
    before = _state(sqlite_bot)
    reply = sqlite_bot.slack.view_submission(view, user_id=KWAME)
    assert reply.json["response_action"] == "errors"
    assert "someone else's" in str(reply.json["errors"])
    assert _state(sqlite_bot) == before


def test_a_blocker_modal_of_someone_elses_alert_is_refused(sqlite_bot: RunningBot,
                                                           priyas: dict[str, int]) -> None:
    view = filled(blocker_modal(priyas["alert"], "Onboarding support tickets"),
                  **{ids.ALERT_BLOCKER_TEXT: "not mine either"})
    before = _state(sqlite_bot)
    reply = sqlite_bot.slack.view_submission(view, user_id=KWAME)
    assert reply.json["response_action"] == "errors"
    assert "Only the owner of" in str(reply.json["errors"])
    assert _state(sqlite_bot) == before
