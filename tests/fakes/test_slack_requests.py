"""What the sender sends is what Slack sends: signatures as Slack documents them, event
envelopes in the wrapper's schema, every field of a slash command, and a real Bolt app accepts
it all and refuses bad signatures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jsonschema
import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from tests.contracts import EVENT_WRAPPER_SCHEMA
from tests.fakes import FakeSlack, SlackSender, sign_request
from tests.fakes.payloads import BOT_TOKEN, CHECK_IN_MODAL, SECRET, button

pytestmark = pytest.mark.usefixtures("no_threads_left_behind")


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
