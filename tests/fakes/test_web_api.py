"""The fake Web API answers as Slack does: calls recorded with their parameters, answers in
Slack's shapes, wrong tokens refused, and failures injected on demand (429, 500, errors) and
on `response_url`."""

from __future__ import annotations

import json
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.webhook import WebhookClient

from tests.fakes import FakeSlack
from tests.fakes.payloads import BOT_TOKEN, CHECK_IN_MODAL, section
from tests.fakes.signing import new_trigger_id

pytestmark = pytest.mark.usefixtures("no_threads_left_behind")


# -- Web API: recording and answers ---------------------------------------------------------
def test_webclient_call_is_recorded_with_its_params(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("*Q3* objectives")]
    first = client.chat_postMessage(channel="C0GENERAL", text="Q3 objectives", blocks=blocks)
    call = fake.wait_for("chat.postMessage")[0]
    assert call.params == {"channel": "C0GENERAL", "text": "Q3 objectives", "blocks": blocks}
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert call.headers["Content-Type"].startswith("application/json")  # chat.* go as JSON
    assert call.ok and first["ts"] == call.response["ts"] == first["message"]["ts"]
    assert first["message"]["blocks"] == blocks and first["message"]["user"] == "UBOT"
    second = client.chat_postMessage(channel="C0GENERAL", text="again")
    assert float(second["ts"]) > float(first["ts"])
    fake.assert_no_problems()


def test_form_encoded_params_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.users_info(user="U0ALICE")  # declared GET by slack_sdk, sent as a form POST
    client.api_call(
        "chat.postMessage", params={"channel": "C1", "blocks": json.dumps([section("x")])}
    )
    info, post = fake.calls
    assert info.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert info.params == {"user": "U0ALICE"}
    assert post.params["blocks"] == [section("x")]
    fake.assert_no_problems()


def test_answers_have_slacks_shapes(fake: FakeSlack, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["user_id"], auth["team_id"]) == ("UBOT", "T0TEST")
    assert auth["is_enterprise_install"] is False
    alice = client.users_info(user="U0ALICE")["user"]
    assert alice["real_name"] == alice["profile"]["real_name"] == "Alice Example"
    assert alice["tz"] == "America/New_York" and alice["tz_offset"] in (-18000, -14400)
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")
    dm = client.conversations_open(users="U0ALICE")
    assert dm["channel"]["id"] == fake.dm_channel("U0ALICE") == "D0ALICE"
    assert client.conversations_open(users=["U0ALICE"])["already_open"] is True
    assert client.chat_postMessage(channel="U0ALICE", text="hi")["channel"] == "D0ALICE"
    assert client.chat_postEphemeral(channel="C1", user="U0ALICE", text="psst")["message_ts"]
    home = {"type": "home", "blocks": [section("Your OKRs")]}
    published = client.views_publish(user_id="U0ALICE", view=home)["view"]
    assert published["id"].startswith("V") and published["blocks"] == home["blocks"]
    assert client.views_publish(user_id="U0ALICE", view=home)["view"]["id"] == published["id"]
    fake.assert_no_problems()


def test_users_list_pages_with_cursors(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0CAROL", deleted=True)
    # SlackResponse follows next_cursor, reusing one object: copy each page as it comes
    pages = [dict(page.data) for page in client.users_list(limit=2)]
    assert [[m["id"] for m in p["members"]] for p in pages] == [
        ["U0ALICE", "U0BOB"], ["UBOT", "USLACKBOT"], ["U0CAROL"],
    ]  # fmt: skip
    assert pages[1]["members"][0]["is_bot"] and pages[2]["members"][0]["deleted"]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.users_list(cursor="not-a-cursor")


def test_views_update_and_trigger_ids(fake: FakeSlack, client: WebClient) -> None:
    trigger = new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=CHECK_IN_MODAL)["view"]
    updated = client.views_update(view_id=opened["id"], view=CHECK_IN_MODAL)["view"]
    assert updated["id"] == opened["id"] and updated["callback_id"] == "checkin"
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=trigger, view=CHECK_IN_MODAL)
    stale = f"{int((time.time() - 4) * 1000)}.1.abc"
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_push(trigger_id=stale, view=CHECK_IN_MODAL)
    assert len(fake.problems) == 2


def test_wrong_tokens_are_refused_and_recorded(fake: FakeSlack) -> None:
    for token, error in [("xoxb-wrong", "invalid_auth"), (fake.app_token, "not_allowed_token_type"),
                         (None, "not_authed")]:  # fmt: skip
        with pytest.raises(SlackApiError, match=error):
            WebClient(token=token, base_url=fake.base_url).auth_test()
    errors = [c.response["error"] for c in fake.calls]
    assert errors == ["invalid_auth", "not_allowed_token_type", "not_authed"]
    assert len(fake.problems) == 3


def test_wait_for_says_what_it_saw(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        fake.wait_for("chat.postMessage", timeout=0.1)
    fake.reset()
    assert fake.calls == [] and fake.problems == []



# -- Web API: failure injection ---------------------------------------------------------------
def test_429_is_retried_by_the_rate_limit_handler(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtin_handlers.random, "random", lambda: 0.0)  # no jitter: 1 s flat
    handler = builtin_handlers.RateLimitErrorRetryHandler()
    client = WebClient(token=BOT_TOKEN, base_url=fake.base_url, retry_handlers=[handler])
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, first.injected) == (429, "429")
    assert first.response == {"ok": False, "error": "ratelimited"}
    assert second.ok and second.received_at - first.received_at >= 1.0  # waited Retry-After
    fake.assert_no_problems()


def test_429_without_a_retry_handler_raises(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("users.info", retry_after=30)
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0ALICE")
    response = raised.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "30"
    assert client.users_info(user="U0ALICE")["ok"]  # only the next call failed


def test_500s_and_injected_errors(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("conversations.open", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.conversations_open(users="U0ALICE")
        assert raised.value.response.status_code == 500
    assert client.conversations_open(users="U0ALICE")["ok"]
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0GONE", text="hi")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "channel_not_found"
    assert [c.injected for c in fake.calls] == ["500", "500", None, "channel_not_found"]


# -- response_url -----------------------------------------------------------------------------
def test_response_url_posts_are_recorded_and_checked(fake: FakeSlack) -> None:
    url = fake.response_url("okr")
    webhook = WebhookClient(url)  # what Bolt's respond() uses
    assert (
        webhook.send(
            text="Saved", response_type="ephemeral", blocks=[section("*KR 1*")]
        ).status_code
        == 200
    )
    [response] = fake.wait_for_response()
    assert response["url"] == url and response["json"]["blocks"] == [section("*KR 1*")]
    fake.assert_no_problems()
    webhook.send(text="x", blocks=[section("x" * 3001)])
    assert "response_url: blocks[0]: section text has 3001" in fake.problems[0]
    for _ in range(4):
        webhook.send(text="again")
    assert "used 6 times" in fake.problems[-1]
