"""The contract the fake checks calls against: unknown methods and parameters, missing
arguments, blocks and views beyond Slack's limits are problems; realistic payloads are not."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.version import __version__ as SDK_VERSION

from tests.fakes import FakeSlack
from tests.fakes import web_api_contract as contract
from tests.fakes.payloads import CHECK_IN_MODAL, button, mrkdwn, plain, section
from tests.fakes.signing import new_trigger_id

pytestmark = pytest.mark.usefixtures("no_threads_left_behind")


def test_catalogue_merges_the_spec_and_slack_sdk() -> None:
    methods = contract.catalogue()
    assert not methods["apps.connections.open"].in_spec  # newer than the 2020 spec
    assert methods["apps.connections.open"].sdk_function == "apps_connections_open"
    assert "markdown_text" in methods["chat.postMessage"].params
    assert methods["users.info"].required == {"user"}
    assert all(c.sdk_function.replace("_", ".") == n for n, c in methods.items() if c.sdk_function)
    as_json = contract.json_methods()
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish"} <= set(as_json)
    assert "users.info" not in as_json


def test_unknown_names_and_missing_params_are_problems(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.chat_postMessage(channel="C1", text="hi", colour="red")
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("chat.postMesage", json={"channel": "C1", "text": "hi"})
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("users.info")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(view=CHECK_IN_MODAL)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert fake.problems == [
        "chat.postMessage: unknown parameter 'colour'",
        f"unknown method 'chat.postMesage': not in the spec nor slack_sdk {SDK_VERSION}"
        " (did you mean 'chat.postMessage'?)",
        "users.info: missing required parameter 'user'",
        "views.open: needs one of interactivity_pointer, trigger_id",
        "chat.postMessage: needs one of attachments, blocks, markdown_text, text",
    ]
    with pytest.raises(AssertionError, match="colour"):
        fake.assert_no_problems()


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x" * 3001)], "section text has 3001 characters, more than 3000"),
        ([section("x")] * 51, "51 blocks, more than the 50 a message allows"),
        ([{"type": "actions", "elements": [{"type": "button", "action_id": "go"}]}],
         "missing 1 required keyword-only argument: 'text'"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "button text has 76 characters"),
        ([{"type": "header", "text": plain("h" * 151)}], "header text has 151 characters"),
        ([{"type": "section", "fields": [mrkdwn("f")] * 11}], "11 section fields"),
        ([{"type": "section", "fields": [mrkdwn("f" * 2001)]}], "field has 2001 characters"),
        ([{"type": "carousel_of_doom"}], "unknown block type 'carousel_of_doom'"),
        ([{"type": "section", "text": "a bare string"}], "blocks[0].text: dropped or rewritten"),
        ([{"type": "section", "text": mrkdwn("hi"), "accessory": {"type": "buttn"}}],
         "blocks[0].accessory: dropped or rewritten"),
    ],
    ids=["text-3001", "51-blocks", "button-no-text", "button-76", "header-151", "11-fields",
         "field-2001", "unknown-type", "bare-string", "unknown-element"],
)  # fmt: skip
def test_invalid_blocks_are_problems(
    fake: FakeSlack, client: WebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    found = contract.validate_blocks(blocks)
    assert any(expected in p for p in found), found
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert any(expected in p for p in fake.problems), fake.problems


def test_invalid_views_are_problems(fake: FakeSlack, client: WebClient) -> None:
    bad = CHECK_IN_MODAL | {"title": plain("Weekly check-in for Q3 2025"), "submit": None,
                            "private_metadata": "m" * 3001}  # fmt: skip
    assert contract.validate_view(bad) == [
        "view: private_metadata cannot exceed 3000 characters",
        "view: title must be between 1 and 24 characters",
        "view: a modal with input blocks needs a submit button",
    ]
    home = {"type": "home", "blocks": [section("x")] * 101}
    as_home, as_modal = contract.validate_view(home, surface="home"), contract.validate_view(home)
    assert as_home == ["view.blocks: 101 blocks, more than the 100 a home allows"]
    assert as_modal == as_home  # the surface is taken from the view's type when not given
    wrong = contract.validate_view(home, surface="modal")
    assert wrong == ["view type must be 'modal', got 'home'"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id=new_trigger_id(), view=bad)
    assert len(fake.problems) == 3


def test_realistic_payloads_raise_no_problems(fake: FakeSlack, client: WebClient) -> None:
    blocks = [
        {"type": "header", "text": plain("Weekly check-in :chart_with_upwards_trend:")},
        {"type": "section", "text": mrkdwn("*KR 1*"), "fields": [mrkdwn("*Owner*\n<@U0ALICE>")],
         "accessory": {"type": "overflow", "action_id": "more",
                       "options": [{"text": plain("Archive"), "value": "archive"}]}},
        {"type": "context", "elements": [mrkdwn("Due Friday")]},
        {"type": "divider"},
        {"type": "actions", "elements": [
            button("Update", "update") | {"style": "primary"},
            button("Delete", "delete") | {"style": "danger", "confirm": {
                "title": plain("Sure?"), "text": mrkdwn("This cannot be undone."),
                "confirm": plain("Delete"), "deny": plain("Keep")}},
        ]},
    ]  # fmt: skip
    assert contract.validate_blocks(blocks) == []
    posted = client.chat_postMessage(channel="C1", text="Weekly check-in", blocks=blocks)
    client.chat_update(channel="C1", ts=posted["ts"], text="Updated", blocks=blocks)
    client.views_open(trigger_id=new_trigger_id(), view=CHECK_IN_MODAL)
    fake.assert_no_problems()
