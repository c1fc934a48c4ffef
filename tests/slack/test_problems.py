"""One mapping from the errors flows raise to what Slack shows: an ephemeral reply, or a
modal's errors on the exact field."""

from __future__ import annotations

import json

from bot.errors import Ambiguous, Choice, InvalidInput, NoPlan, NotAllowed, NotFound
from bot.slack.problems import modal_errors, reply_for
from tests.fakes.web_api_contract import validate_blocks


def shown(reply: dict) -> str:
    assert validate_blocks(reply["blocks"]) == []
    return json.dumps(reply["blocks"], ensure_ascii=False)


def test_a_bad_value_goes_under_its_own_field_in_a_modal() -> None:
    error = InvalidInput("“abc” is not a number", field="value", expected="a value like 12")
    ack = modal_errors(error, block_ids={"confidence": "confidence_block",
                                         "value": "value_block"})
    assert ack == {"response_action": "errors",
                   "errors": {"value_block": "“abc” is not a number"}}
    # An error about no field of the modal goes under its first field, never nowhere.
    ack = modal_errors(NotFound("No key result matches “x”."), block_ids={"value": "v"})
    assert ack["errors"] == {"v": "No key result matches “x”."}


def test_nothing_found_gets_the_surfaces_hint_and_is_escaped() -> None:
    reply = reply_for(NotFound("No objective matches “<!here>”."),
                      hint="For example: /okr status onboarding")
    assert reply["response_type"] == "ephemeral"
    text = shown(reply)
    assert "No objective matches “&lt;!here&gt;”. For example: /okr status onboarding" in text
    assert "<!here>" not in text


def test_several_found_are_listed_with_how_to_pick_one() -> None:
    choices = [Choice(f"kr-{n}", f"Key result {n}", label="Key result") for n in range(12)]
    reply = reply_for(Ambiguous("“kr” fits 12 metrics. Which one?", typed="kr",
                                choices=choices),
                      pick=lambda choice: f"`/okr update {choice.key} &lt;value&gt;`")
    text = shown(reply)
    assert "Which one? Use its key, e.g. `/okr update kr-0 &lt;value&gt;`" in text
    assert "• Key result `kr-9` — Key result 9" in text
    assert "kr-10" not in text and "…and 2 more" in text


def test_not_allowed_names_whose_it_is_with_a_real_mention() -> None:
    reply = reply_for(NotAllowed("Only the owner of Churn, their manager or a workspace admin "
                                 "can update it. Nothing was recorded.", owner="U0OWNER",
                                 item="Churn"))
    assert ":no_entry: Only the owner of *Churn* (<@U0OWNER>)" in shown(reply)


def test_no_plan_names_the_team_that_asked_and_those_that_have_one() -> None:
    text = shown(reply_for(NoPlan("T0ASKED", ["T0OTHER"])))
    assert "No plan for this Slack team (T0ASKED)" in text and "T0OTHER" in text
