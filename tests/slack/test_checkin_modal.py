"""The check-in modal end to end, as Slack sends it: `/okr checkin` opens it (views.open with
the command's trigger_id), a signed view_submission records answers, values, confidence and a
blocker in one transaction, and `/okr status` shows them. Bad input stays in the modal with the
error under its field; a double submission records once; an edit keeps the earlier answers."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select

from bot.checkins.models import Blocker, ConfidenceReport
from bot.checkins.rounds import CheckinAnswer
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Measurement, Metric
from bot.slack import ids
from tests.fakes.web_api_contract import validate_view
from tests.slack.conftest import RunningBot

MAYA = "U0AIPM001"  # owns the onboarding objective's key results in ai-feature-launch.yml
ITEM = "first-week-activation"


def opened(bot: RunningBot, user: str = MAYA) -> dict[str, Any]:
    reply = bot.slack.command("checkin", user_id=user)
    assert reply.status == 200 and reply.body == ""
    [call] = bot.fake.wait_for("views.open")
    bot.fake.reset()
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert validate_view(view, surface="modal") == []
    return view


def filled(view: dict[str, Any], **fields: str) -> dict[str, Any]:
    """The view as Slack submits it: each named input holding a value."""
    view = copy.deepcopy(view)
    values: dict[str, dict] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        typed = fields.get(block_id)
        if element["type"] == "static_select":
            chosen = {"value": typed} if typed else element.get("initial_option")
            values[block_id] = {ids.INPUT: {"type": "static_select",
                                            "selected_option": chosen}}
        elif element["type"] == "users_select":
            values[block_id] = {ids.INPUT: {"type": "users_select", "selected_user": typed}}
        else:
            values[block_id] = {ids.INPUT: {"type": "plain_text_input", "value": typed}}
    view["state"] = {"values": values}
    view.setdefault("id", "V0CHECKIN1")
    view.setdefault("hash", "1700000000.aaaa")
    return view


ANSWERS = {f"{ids.QUESTION}accomplished": "Shipped the guided tour",
           f"{ids.QUESTION}priorities": "Measure tour completion",
           f"{ids.QUESTION}blockers": "Design review pending"}


def test_the_modal_records_everything_in_one_go_and_status_shows_it(
        planned: RunningBot) -> None:
    view = opened(planned)
    shown = json.dumps(view, ensure_ascii=False)
    assert "What did you accomplish last week toward your OKRs?" in shown
    assert "First-week activation" in shown

    reply = planned.slack.view_submission(filled(
        view, **ANSWERS, **{f"{ids.VALUE}{ITEM}": "16.5%", f"{ids.CONFIDENCE}{ITEM}": "6",
                            ids.BLOCKER_TEXT: "waiting on the design review",
                            ids.BLOCKER_ITEM: ITEM}), user_id=MAYA)

    assert reply.json["response_action"] == "update"
    saved = json.dumps(reply.json["view"], ensure_ascii=False)
    assert "Your check-in is saved." in saved and "16.5%" in saved and "6/10" in saved
    with planned.session_factory() as session:
        [answer] = session.scalars(select(CheckinAnswer)).all()
        assert answer.answers["accomplished"] == "Shipped the guided tour"
        [value] = session.scalars(select(Measurement).join(Metric).where(
            Metric.key == ITEM, Measurement.source == Source.CHECKIN)).all()
        assert (value.value, value.author) == (16.5, MAYA)
        assert [c.confidence for c in session.scalars(select(ConfidenceReport))] == [6]
        [blocker] = session.scalars(select(Blocker)).all()
        assert blocker.source == Source.CHECKIN
    status = json.dumps(planned.slack.command("status onboarding", user_id=MAYA).json,
                        ensure_ascii=False)
    assert "16.5%" in status and "waiting on the design review" in status


def test_bad_values_stay_in_the_modal_under_their_fields_and_nothing_is_saved(
        planned: RunningBot) -> None:
    view = opened(planned)
    reply = planned.slack.view_submission(filled(
        view, **ANSWERS, **{f"{ids.VALUE}{ITEM}": "1,234.5"}), user_id=MAYA)
    assert reply.json["response_action"] == "errors"
    assert "percentage from 0 to 100" in reply.json["errors"][f"{ids.VALUE}{ITEM}"]
    with planned.session_factory() as session:
        assert session.scalars(select(CheckinAnswer)).all() == []
        assert session.scalars(select(Measurement).where(
            Measurement.source == Source.CHECKIN)).all() == []


def test_a_double_submission_records_once(planned: RunningBot) -> None:
    submitted = filled(opened(planned), **ANSWERS, **{f"{ids.VALUE}{ITEM}": "15"})
    first = planned.slack.view_submission(submitted, user_id=MAYA)
    again = planned.slack.view_submission(submitted, user_id=MAYA)
    assert "Your check-in is saved." in json.dumps(first.json["view"])
    assert again.status == 200
    with planned.session_factory() as session:
        assert len(session.scalars(select(CheckinAnswer)).all()) == 1
        assert len(session.scalars(select(Measurement).where(
            Measurement.source == Source.CHECKIN)).all()) == 1


def test_more_items_than_one_modal_holds_are_answered_in_parts(bot: RunningBot) -> None:
    from bot.okrs.plans.files import parse_plan
    from bot.okrs.store.importer import import_plan
    from tests.conftest import TEAM_ID

    kpis = "\n".join(f"""  - key: kpi-{n:02d}
    name: KPI number {n}
    owner: {MAYA}
    unit: users
    measures: {{objectives: [grow]}}""" for n in range(60))
    loaded = parse_plan(f"""
workspace: {TEAM_ID}
north_star: {{key: ns, name: North Star, owner: {MAYA}}}
goals: [{{key: g, name: Goal, owner: {MAYA}}}]
objectives:
  - key: grow
    name: Grow
    goal: g
    owner: {MAYA}
    start: 2026-10-01
    end: 2026-12-31
    key_results:
      - {{key: kr-a, name: KR A, owner: {MAYA}, unit: users, baseline: 0, target: 10,
          due: 2026-12-31}}
      - {{key: kr-b, name: KR B, owner: {MAYA}, unit: users, baseline: 0, target: 10,
          due: 2026-12-31}}
kpis:
{kpis}
""")
    assert loaded.plan is not None, loaded.errors
    with bot.session_factory.begin() as session:
        import_plan(db_session=session, plan=loaded.plan)
    first = opened(bot)
    assert len(first["blocks"]) <= 100 and "Part 1 of 2" in json.dumps(first)
    reply = bot.slack.view_submission(filled(first, **ANSWERS, **{
        f"{ids.VALUE}kpi-00": "12"}), user_id=MAYA)
    assert reply.json["response_action"] == "update"
    second = reply.json["view"]
    assert "Part 2 of 2" in json.dumps(second) and len(second["blocks"]) <= 100
    shown = {b["block_id"] for v in (first, second) for b in v["blocks"]
             if b.get("block_id", "").startswith(ids.VALUE)}
    assert shown == {f"{ids.VALUE}kpi-{n:02d}" for n in range(60)} | {
        f"{ids.VALUE}kr-a", f"{ids.VALUE}kr-b"}  # each of the 62 items in exactly one part
    done = bot.slack.view_submission(filled(second, **{f"{ids.VALUE}kpi-59": "7"}),
                                     user_id=MAYA)
    assert "Your check-in is saved." in json.dumps(done.json["view"])
    with bot.session_factory() as session:
        parts = sorted(a.part for a in session.scalars(select(CheckinAnswer)))
        assert parts == [1, 2]
        stored = {m.value for m in session.scalars(select(Measurement).where(
            Measurement.source == Source.CHECKIN))}
        assert stored == {12, 7}


def test_the_confirmation_says_what_changed_status(planned: RunningBot) -> None:
    """Past its due date short of target, first-week activation is red; reaching the target
    in a check-in says so in the saved view and in the confirmation DM's words."""
    reply = planned.slack.view_submission(filled(
        opened(planned), **ANSWERS, **{f"{ids.VALUE}{ITEM}": "20%"}), user_id=MAYA)
    saved = json.dumps(reply.json["view"], ensure_ascii=False)
    assert "First-week activation is green again: on the expected pace" in saved
    edit = filled(opened(planned), **ANSWERS, **{f"{ids.VALUE}{ITEM}": "9%"})
    lower = planned.slack.view_submission({**edit, "id": "V0CHECKIN2"}, user_id=MAYA)
    saved = json.dumps(lower.json["view"], ensure_ascii=False)
    assert "First-week activation turned red: 9%" in saved
