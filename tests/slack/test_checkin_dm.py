"""The check-in DM and its buttons, as Slack sends the clicks: Start check-in opens the modal at
once, Skip excuses the week, Snooze moves it (never past the window), and last week's blockers
are confirmed or resolved. A button's value is checked on every click: a round is its person's."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot import clock
from bot.checkins import service
from bot.checkins.blocker_rules import BlockedItem, BlockerEntry
from bot.checkins.models import Blocker
from bot.checkins.rounds import CheckinRound
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source
from bot.people.models import Workspace
from bot.slack import ids
from bot.slack.blocks.checkin_dm import Greeting, checkin_dm
from tests.conftest import TEAM_ID
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

MAYA, PRIYA = "U0AIPM001", "U0AIUX001"


def a_round(bot: RunningBot, person: str = MAYA) -> int:
    now = clock.now()
    with bot.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        found = CheckinRound(workspace_id=workspace.id, slack_user_id=person, cycle="2026-W49",
                             due_at=now - timedelta(hours=1),
                             closes_at=now + timedelta(hours=47), status="due")
        session.add(found)
        session.flush()
        return found.id


def click(bot: RunningBot, action_id: str, value: str, *, user: str = MAYA,
          select: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": action_id, "type": "button", "value": value}
    if select:
        action = {"action_id": action_id, "type": "static_select",
                  "selected_option": {"value": value, "text": {"type": "plain_text",
                                                                "text": value}}}
    bot.fake.reset()
    reply = bot.slack.block_actions([action], user_id=user,
                                    response_url=bot.fake.response_url("dm"))
    assert reply.status == 200
    return reply


def told(bot: RunningBot) -> dict[str, Any]:
    [posted] = bot.fake.wait_for_response(timeout=10)
    return posted["json"]


def stored_round(bot: RunningBot, round_id: int) -> CheckinRound:
    with bot.session_factory() as session:
        return session.get(CheckinRound, round_id)


def test_the_dm_names_what_they_own_and_fits_slack() -> None:
    blocker = BlockerEntry(number=3, text="waiting on legal <!here>", author=MAYA,
                           source=Source.SLACK, created_at=clock.now(),
                           item=BlockedItem(NodeKind.KPI, 1, "k", "K", MAYA))
    message = checkin_dm(Greeting(3, 1, ["First-week activation: 12% → 14.5%"],
                                  "Tue 10:00 Europe/Paris"), round_id=7, blockers=[blocker])
    assert validate_blocks(message["blocks"]) == []
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "You own 3 key results and 1 KPI" in shown
    assert "First-week activation: 12% → 14.5%" in shown
    assert "<!here>" not in shown


def test_start_opens_the_modal_for_that_round(planned: RunningBot) -> None:
    round_id = a_round(planned)
    click(planned, ids.CHECKIN_START, str(round_id))
    [call] = planned.fake.wait_for("views.open")
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert json.loads(view["private_metadata"])["r"] == round_id
    assert "week 49" in json.dumps(view)


def test_skip_excuses_the_week_once_and_only_for_its_person(planned: RunningBot) -> None:
    round_id = a_round(planned)
    click(planned, ids.CHECKIN_SKIP, str(round_id), user=PRIYA)
    assert "someone else's" in json.dumps(told(planned))
    assert stored_round(planned, round_id).status == "due"

    click(planned, ids.CHECKIN_SKIP, str(round_id))
    reply = told(planned)
    assert reply["replace_original"] is True and "Skipped this week" in reply["text"]
    skipped = stored_round(planned, round_id)
    assert (skipped.status, skipped.excused_reason) == ("excused", "skipped")
    click(planned, ids.CHECKIN_SKIP, str(round_id))
    assert "skipped already" in told(planned)["text"]


def test_snooze_moves_it_but_never_past_the_window(planned: RunningBot) -> None:
    round_id = a_round(planned)
    click(planned, ids.CHECKIN_SNOOZE, f"{round_id}:hour", select=True)
    assert "Snoozed: it comes back" in told(planned)["text"]
    assert stored_round(planned, round_id).snoozed_until is not None
    with planned.session_factory.begin() as session:
        session.get(CheckinRound, round_id).closes_at = clock.now() + timedelta(hours=2)
    click(planned, ids.CHECKIN_SNOOZE, f"{round_id}:tomorrow", select=True)
    assert "before the snooze would end" in json.dumps(told(planned), ensure_ascii=False)


def test_last_weeks_blocker_is_confirmed_or_resolved_from_the_dm(planned: RunningBot) -> None:
    with planned.session_factory.begin() as session:
        workspace = session.scalars(select(Workspace).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        entry = service.raise_blocker(db_session=session, workspace_id=workspace.id,
                                      author=MAYA, text="legal review", source=Source.CHECKIN,
                                      now=clock.now())
    click(planned, ids.BLOCKER_STILL, str(entry.number))
    assert "still blocks" in told(planned)["text"]
    click(planned, ids.BLOCKER_RESOLVED, str(entry.number))
    assert f"{entry.label} is resolved" in told(planned)["text"]
    with planned.session_factory() as session:
        [blocker] = session.scalars(select(Blocker)).all()
        assert blocker.still_blocked_at is not None and blocker.resolved_by == MAYA
