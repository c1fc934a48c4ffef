"""The fakes must behave like Slack where the app can tell, and must be able to say no."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jsonschema
import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.version import __version__ as SDK_VERSION
from slack_sdk.webhook import WebhookClient

from tests.contracts import EVENT_WRAPPER_SCHEMA
from tests.fakes import FakeSlack, SlackSender, sign_request
from tests.fakes import socket_mode as ws
from tests.fakes import web_api_contract as contract
from tests.fakes.signing import new_trigger_id
from tests.support.lines import Lines

BOT_TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
PROJECT = Path(__file__).resolve().parents[2]


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def button(text: str, action_id: str = "go", value: str = "kr-1") -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": value}


CHECK_IN_MODAL = {
    "type": "modal", "callback_id": "checkin", "title": plain("Weekly check-in"),
    "submit": plain("Save"), "close": plain("Cancel"), "private_metadata": '{"kr": 1}',
    "blocks": [
        section("*KR 1* Ship the pilot"),
        {"type": "input", "block_id": "value", "label": plain("Progress"),
         "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": True}},
        {"type": "input", "block_id": "confidence", "label": plain("Confidence"),
         "element": {"type": "static_select", "action_id": "c",
                     "options": [{"text": plain("High"), "value": "high"}]}},
    ],
}  # fmt: skip


@pytest.fixture(autouse=True)
def no_threads_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2
    while (extra := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.02)  # request threads finish just after their reply
    assert not extra, f"threads left running: {sorted(t.name for t in extra)}"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={"U0ALICE": {"real_name": "Alice Example"}, "U0BOB": {}}) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.base_url)


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


# -- Web API: the contract ------------------------------------------------------------------
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


# -- signing and the requests Slack sends -----------------------------------------------------
DOC_BODY = (  # the worked example in Slack's "Verifying requests from Slack"
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmib"
    "IGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_signatures_match_slacks_example_and_slack_sdks_verifier() -> None:
    documented = sign_request(DOC_BODY.encode(), "8f742231b10e8888abcd99yyyzzz85a5", 1531420618)
    assert documented["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
    body = b'{"type": "event_callback"}'
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, sign_request(body, SECRET))
    assert not verifier.is_valid_request(body, sign_request(body, "another-secret"))
    assert not verifier.is_valid_request(body, sign_request(body, SECRET, int(time.time()) - 600))


def test_event_envelope_matches_the_wrapper_schema() -> None:
    schema_path = EVENT_WRAPPER_SCHEMA
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET)
    envelope = sender.event_envelope({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    jsonschema.Draft7Validator(schema).validate(envelope)
    assert len({sender.event_envelope({"type": "x"})["event_id"] for _ in range(50)}) == 50


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[tuple[SlackSender, list[Any]]]:
    """A real Bolt app, served over HTTP and talking to the fake: the pair must agree."""
    seen: list[Any] = []
    executor = ThreadPoolExecutor(max_workers=2)
    app = App(client=WebClient(token=BOT_TOKEN, base_url=fake.base_url), signing_secret=SECRET,
              listener_executor=executor)  # fmt: skip

    @app.command("/okr")
    def okr(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        seen.append(command)
        ack()
        respond(text=f"got {command['text']}")

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        say(text="hello", channel=event["channel"])

    @app.action("update")
    def update(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body)  # before ack(): the HTTP reply waits for ack, so the test sees it
        ack()

    @app.view("checkin")
    def checkin(ack: Any, view: dict[str, Any]) -> None:
        seen.append(view)
        ack(response_action="errors", errors={"value": "Too big"})

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    yield SlackSender(url, SECRET, response_urls=fake.response_url), seen
    server.shutdown()
    server.server_close()
    thread.join()
    executor.shutdown()


def test_bolt_accepts_what_the_sender_sends(
    fake: FakeSlack, bolt: tuple[SlackSender, list[Any]]
) -> None:
    sender, seen = bolt
    assert sender.command("progress 40").status == 200
    assert fake.wait_for_response()[0]["json"]["text"] == "got progress 40"
    assert seen[0]["trigger_id"] and seen[0]["team_id"] == "T0TEST"
    assert sender.url_verification("3eZbrw1aBm2r").json == {"challenge": "3eZbrw1aBm2r"}
    event = {"type": "app_mention", "user": "U0ALICE", "text": "<@UBOT> hi", "channel": "C0GENERAL"}
    assert sender.event(event, retry_num=1, retry_reason="http_timeout").status == 200
    assert fake.wait_for("chat.postMessage")[0].params["channel"] == "C0GENERAL"
    assert sender.block_actions([button("Update", "update") | {"type": "button"}]).status == 200
    reply = sender.view_submission(CHECK_IN_MODAL)
    assert reply.json == {"response_action": "errors", "errors": {"value": "Too big"}}
    assert seen[1]["actions"][0]["value"] == "kr-1" and seen[2]["callback_id"] == "checkin"
    fake.assert_no_problems()


def test_bolt_refuses_bad_signatures(bolt: tuple[SlackSender, list[Any]]) -> None:
    sender, seen = bolt
    assert sender.command("x", signing_secret="not-the-secret").status == 401
    assert sender.command("x", timestamp=int(time.time()) - 6 * 60).status == 401
    assert sender.command("x", sign=False).status == 401
    assert seen == []


def test_command_has_every_field_slack_sends() -> None:
    captured: list[bytes] = []
    sender = SlackSender("http://127.0.0.1:9/", SECRET)
    sender.post = lambda body, headers=None, **kw: captured.append(body)  # type: ignore[method-assign]
    sender.command("hello world", user_id="U0ALICE")
    fields = {k: v[0] for k, v in parse_qs(captured[0].decode(), keep_blank_values=True).items()}
    assert list(fields) == [
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
        "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    ]  # fmt: skip
    assert (fields["command"], fields["text"]) == ("/okr", "hello world")
    assert fields["user_id"] == "U0ALICE" and fields["is_enterprise_install"] == "false"


# -- Socket Mode ------------------------------------------------------------------------------
def test_builtin_socket_mode_client_round_trip(fake: FakeSlack) -> None:
    client = SocketModeClient(
        app_token=fake.app_token, web_client=WebClient(base_url=fake.base_url)
    )
    messages: list[dict[str, Any]] = []
    client.message_listeners.append(lambda _client, message, _raw: messages.append(message))

    def ack(c: Any, request: Any) -> None:  # an ack longer than 125 bytes: a 16-bit length
        text = f"got {request.payload['text'][:5]}" + "!" * 200
        c.send_socket_mode_response(SocketModeResponse(request.envelope_id, {"text": text}))

    client.socket_mode_request_listeners.append(ack)
    try:
        client.connect()
        fake.socket_mode.wait_connected()
        big = "k" * 70_000  # more than 65535 bytes: a 64-bit length frame to the client
        envelope_id = fake.socket_mode.send_envelope("slash_commands", {"text": big})
        assert fake.socket_mode.wait_ack(envelope_id)["payload"]["text"].startswith("got kkkkk!")
    finally:
        client.close()
    assert messages[0]["type"] == "hello"
    [open_call] = fake.calls_to("apps.connections.open")
    assert open_call.headers["Authorization"] == f"Bearer {fake.app_token}"
    assert open_call.response["url"].startswith(f"ws://127.0.0.1:{fake.socket_mode.port}/link")


@pytest.fixture
def ws_server() -> Iterator[ws.SocketModeServer]:
    server = ws.SocketModeServer(ping_interval=0.05).start()
    yield server
    server.stop()


def _handshake(
    server: ws.SocketModeServer, key: str | None = None
) -> tuple[socket.socket, BinaryIO, bytes]:
    key = key or base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    request = (
        "GET /link/?ticket=t HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    rfile = sock.makefile("rb")
    status = rfile.readline()
    headers = {}
    while line := rfile.readline().strip():
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    if b" 101 " in status:
        assert headers["sec-websocket-accept"] == ws.accept_key(key)
    return sock, rfile, status


def _next_frame(rfile: BinaryIO) -> tuple[int, bytes]:
    while True:  # the server pings every 0.05 s here
        _fin, opcode, payload = ws.read_frame(rfile, require_mask=False)
        if opcode != ws.OP_PING:
            return opcode, payload


def test_websocket_protocol_details(ws_server: ws.SocketModeServer) -> None:
    sock, rfile, _ = _handshake(ws_server)
    with sock, rfile:
        assert json.loads(_next_frame(rfile)[1])["type"] == "hello"
        mask = os.urandom(4)
        sock.sendall(ws.encode_frame(ws.OP_PING, b"are you there", mask=mask))
        assert _next_frame(rfile) == (ws.OP_PONG, b"are you there")
        huge = json.dumps({"envelope_id": "e1", "payload": {"text": "z" * 70_000}}).encode()
        sock.sendall(ws.encode_frame(ws.OP_TEXT, huge, mask=mask))  # 64-bit length, masked
        assert ws_server.wait_ack("e1")["payload"]["text"] == "z" * 70_000
        part1, part2 = b'{"envelope_id": ', b'"e2"}'  # a fragmented message
        sock.sendall(
            ws.encode_frame(ws.OP_TEXT, part1, mask=mask, fin=False)
            + ws.encode_frame(0, part2, mask=mask)
        )
        assert ws_server.wait_ack("e2") == {"envelope_id": "e2"}
        sock.sendall(ws.encode_frame(ws.OP_CLOSE, (1000).to_bytes(2, "big"), mask=mask))
        assert _next_frame(rfile) == (ws.OP_CLOSE, (1000).to_bytes(2, "big"))


def test_websocket_refusals(ws_server: ws.SocketModeServer) -> None:
    sock, rfile, status = _handshake(ws_server, key="too-short")
    with sock, rfile:
        assert b" 400 " in status
    sock, rfile, _ = _handshake(ws_server)
    with sock, rfile:
        _next_frame(rfile)  # hello
        sock.sendall(ws.encode_frame(ws.OP_TEXT, b"{}"))  # unmasked: RFC 6455 says fail with 1002
        opcode, payload = _next_frame(rfile)
        assert (opcode, payload[:2]) == (ws.OP_CLOSE, (1002).to_bytes(2, "big"))


# -- by hand ----------------------------------------------------------------------------------
def test_runs_by_hand_and_prints_each_call() -> None:
    command = [sys.executable, "-m", "tests.fakes.slack_api", "--port", "0"]
    proc = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = Lines(proc.stdout)
    try:
        banner, source = lines.next(), lines.next()
        base_url = banner.split(" at ")[1].split()[0]
        assert source.startswith("Web API calls are checked against "), source
        client = WebClient(token=BOT_TOKEN, base_url=base_url)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="hi", colour="red")
        call_line, problem_line = lines.next(), lines.next()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=5)
    assert call_line.startswith("chat.postMessage {") and '"colour": "red"' in call_line
    assert "invalid_arguments" in call_line and BOT_TOKEN not in call_line
    assert problem_line.strip() == "PROBLEM: chat.postMessage: unknown parameter 'colour'"
    assert proc.returncode == 0
