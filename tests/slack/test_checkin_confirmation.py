"""The confirmation DM after a check-in: what was recorded, and in words what changed status,
in the blocks and in the notification text; many items fill more sections, none cut."""

from __future__ import annotations

import json

from bot.checkins.form import CheckinRecorded
from bot.okrs.method.enums import Status
from bot.okrs.method.health import Health
from bot.okrs.method.recording import MetricRef, Recorded
from bot.slack.blocks.checkin_modal import saved_message
from tests.fakes.web_api_contract import validate_blocks

ACTIVATION = MetricRef(key="first-week-activation", name="First-week activation", unit="%",
                       owner="U0MAYA")
YELLOW = Health(status=Status.YELLOW, rule="pace", reason="yellow: 12% where the pace expects "
                "15% for 3 Dec, 3 points behind")


def recorded(old: Status | None, metric: MetricRef = ACTIVATION) -> Recorded:
    return Recorded(metric=metric, old_value=14.0, new_value=12.0, health=YELLOW, fired=[],
                    old_status=old)


def test_a_value_that_turned_yellow_is_named_with_its_reason() -> None:
    message = saved_message(CheckinRecorded(answer_id=1, repeated=False, edited=False,
                                            recorded=[recorded(Status.GREEN)]))
    change = ("First-week activation turned yellow: 12% where the pace expects 15% for 3 Dec, "
              "3 points behind")
    assert change in message["text"]
    assert change in json.dumps(message["blocks"], ensure_ascii=False)
    assert validate_blocks(message["blocks"]) == []


def test_no_change_and_a_first_value_say_nothing_more() -> None:
    for old in (Status.YELLOW, None):
        message = saved_message(CheckinRecorded(answer_id=1, repeated=False, edited=False,
                                                recorded=[recorded(old)]))
        assert "turned" not in json.dumps(message) and "again" not in json.dumps(message)


def test_many_items_fill_more_sections_within_the_limits() -> None:
    many = [recorded(Status.GREEN, MetricRef(key=f"kr-{n}", name=f"Key result {n} " + "x" * 60,
                                             unit="%", owner=None)) for n in range(80)]
    message = saved_message(CheckinRecorded(answer_id=1, repeated=False, edited=False,
                                            recorded=many))
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert validate_blocks(message["blocks"]) == []
    assert len(message["blocks"]) > 1 and "Key result 79" in shown
