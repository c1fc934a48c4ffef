"""Control characters in what people type are refused at the Slack edge, on both backends:
SQLite would store a NUL and PostgreSQL would fail on it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.checkins.models import Blocker
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Measurement
from tests.conftest import sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example

OWNER = "U0SCS0001"  # owns gross-churn in examples/b2b-saas.yml


def measurements(bot: RunningBot) -> int:
    """Measurements from Slack (the example plan brings its own history)."""
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.source == Source.SLACK))


@sqlite_only  # refused before anything is stored: the backend does not matter
@pytest.mark.parametrize(("typed", "named"), [
    ("update gross-churn 6 renewals\x00in", "U+0000"),
    ("update gross-churn 6 \x1b[31mred", "U+001B"),
    ("update gross-churn\x7f 6", "U+007F"),
    ("update gross-churn 6 \x85next", "U+0085"),
    ("blocker add gross-churn legal\x00review", "U+0000"),
])
def test_a_control_character_is_refused_and_nothing_is_stored(bot: RunningBot, typed: str,
                                                              named: str) -> None:
    import_example(bot)

    reply = bot.slack.command(typed, user_id=OWNER)

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert validate_blocks(reply.json["blocks"]) == []
    shown = str(reply.json["blocks"])
    assert f"contains {named}, a control character" in shown
    assert "Nothing was recorded" in shown
    assert measurements(bot) == 0
    with bot.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Blocker)) == 0


def test_line_breaks_and_tabs_are_text(bot: RunningBot) -> None:
    import_example(bot)

    reply = bot.slack.command("update gross-churn 6 renewals\n\tslipped\r\n", user_id=OWNER)

    assert "→ *6%*" in str(reply.json["blocks"])
    with bot.session_factory() as session:
        [note] = session.scalars(select(Measurement.note).where(
            Measurement.source == Source.SLACK)).all()
    assert note == "renewals\n\tslipped"


def test_a_modal_input_with_a_control_character_gets_an_error_under_it(
        bot: RunningBot) -> None:
    view = {"type": "modal", "callback_id": "checkin", "title": {"type": "plain_text",
                                                                  "text": "Check-in"},
            "blocks": [], "state": {"values": {
                "note": {"note_input": {"type": "plain_text_input", "value": "ok\x00then"}},
                "fine": {"fine_input": {"type": "plain_text_input", "value": "line\nbreak"}}}}}

    reply = bot.slack.view_submission(view, user_id=OWNER)

    assert reply.status == 200
    assert reply.json["response_action"] == "errors"
    assert list(reply.json["errors"]) == ["note"]
    assert "control character" in reply.json["errors"]["note"]
    assert "U+0000" in reply.json["errors"]["note"]
